// Package trace implements the traceparent header of W3C Trace Context
// (https://www.w3.org/TR/trace-context/, level 1, with the random-trace-id
// flag of level 2) and carries the current request's trace through a
// [context.Context].
//
// A server parses the incoming header with [ParseTraceparent]; when it is
// absent or invalid it starts a new trace with [NewSpan]. Either way it puts
// the [Span] in the request context with [NewContext], and code further down
// (loggers, problem responses, outgoing HTTP calls) reads it back with
// [IDFromContext] or [FromContext]. The middleware package's TraceID does
// all of this for you; use this package directly only for outgoing calls:
//
//	if tp := trace.FromContext(ctx).Traceparent(); tp != "" {
//		req.Header.Set("traceparent", tp) // "" outside a traced request
//	}
//
// Parsing is strict where the specification says MUST (lowercase hex, exact
// length for version 00, no all-zero ids, no version ff) and lenient where
// it asks for forward compatibility (higher versions may append fields).
package trace
