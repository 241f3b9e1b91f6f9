package trace_test

import (
	"context"
	"fmt"

	"github.com/golocal/golocal/trace"
)

func ExampleParseTraceparent() {
	tp, err := trace.ParseTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(tp.TraceID, tp.ParentID, tp.Flags&trace.FlagSampled != 0)

	_, err = trace.ParseTraceparent("00-00000000000000000000000000000000-00f067aa0ba902b7-01")
	fmt.Println(err != nil)
	// Output:
	// 4bf92f3577b34da6a3ce929d0e0e4736 00f067aa0ba902b7 true
	// true
}

func ExampleIDFromContext() {
	tp, _ := trace.ParseTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	span := trace.NewSpan(tp) // continues the caller's trace with a new span id
	ctx := trace.NewContext(context.Background(), &span)

	fmt.Println(trace.IDFromContext(ctx))
	fmt.Println(trace.IDFromContext(context.Background()) == "")
	// Output:
	// 4bf92f3577b34da6a3ce929d0e0e4736
	// true
}

// AppendTraceID writes the trace id into a buffer (a log line being built)
// without allocating a string for it.
func ExampleSpan_AppendTraceID() {
	tp, _ := trace.ParseTraceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	span := trace.NewSpan(tp)
	line := []byte(`{"trace_id":"`)
	line = span.AppendTraceID(line)
	line = append(line, `"}`...)
	fmt.Println(string(line))
	// Output:
	// {"trace_id":"4bf92f3577b34da6a3ce929d0e0e4736"}
}
