package probe_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/golocal/golocal/internal/lint"
	"github.com/golocal/golocal/internal/probe"
)

func ExampleRun() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprint(w, "hello")
	}))
	defer srv.Close()

	u, _, _ := probe.ParseURL(srv.URL)
	res := probe.Run(context.Background(), u, probe.Options{})
	h := res.Final()
	fmt.Println(h.Proto, h.Status, h.BodyBytes, "bytes")
	fmt.Println("every phase reached:", h.Timings.Reached == probe.PhaseTotal)
	// Output:
	// HTTP/1.1 200 5 bytes
	// every phase reached: true
}

func ExampleParseSLO() {
	slo, err := probe.ParseSLO("total=300ms,ttfb=100ms")
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, b := range slo {
		fmt.Println(b.Phase, b.Limit)
	}
	_, err = probe.ParseSLO("latency=1s")
	fmt.Println(err != nil)
	// Output:
	// total 300ms
	// starttransfer 100ms
	// true
}

func ExampleDo() {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		fmt.Fprint(w, "hello")
	}))
	defer srv.Close()

	rep, err := probe.Do(context.Background(), srv.URL, probe.Config{})
	if err != nil {
		fmt.Println("request failed:", err)
		return
	}
	fmt.Println(rep.Final().Status, "errors:", rep.Lint.Count(lint.Error), "exit:", rep.ExitCode)

	_, err = probe.Do(context.Background(), "ftp://example.test/", probe.Config{})
	fmt.Println(err)
	// Output:
	// 200 errors: 0 exit: 0
	// unsupported URL scheme "ftp" in "ftp://example.test/": golocal probe speaks http and https
}
