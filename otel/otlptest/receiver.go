// Package otlptest is a real OTLP/HTTP trace receiver for tests: it listens
// on loopback, decodes the protobuf ExportTraceServiceRequest messages an
// exporter sends (the official go.opentelemetry.io/proto/otlp types, gzip
// or not) and keeps the spans for assertions; [StartGRPC] does the same over
// OTLP/gRPC. It can also refuse (503) or
// hang, to test what a service does when its collector misbehaves.
//
// See https://opentelemetry.io/docs/specs/otlp/#otlphttp
package otlptest

import (
	"compress/gzip"
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"time"

	collectortrace "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"
)

// Span is one received span, flattened for assertions.
type Span struct {
	TraceID, SpanID, ParentSpanID string // lowercase hex; ParentSpanID "" for a root
	Name                          string
	Kind                          string // "server", "client", …
	Attributes                    map[string]string
	Resource                      map[string]string
	StatusError                   bool
}

// Mode is how the receiver answers.
type Mode int

const (
	// Accept decodes and keeps every request (200).
	Accept Mode = iota
	// Refuse answers 503 without reading the spans.
	Refuse
	// Hang holds every request until the receiver is closed.
	Hang
)

// Receiver is an OTLP/HTTP endpoint on 127.0.0.1.
type Receiver struct {
	srv  *http.Server
	ln   net.Listener
	stop chan struct{}

	mu       sync.Mutex
	spans    []Span
	mode     Mode
	requests int
	changed  chan struct{}
}

// Start listens on a free loopback port.
func Start() (*Receiver, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r := &Receiver{ln: ln, stop: make(chan struct{}), changed: make(chan struct{})}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/traces", r.export)
	r.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = r.srv.Serve(ln) }()
	return r, nil
}

// URL is the base endpoint, for OTEL_EXPORTER_OTLP_ENDPOINT.
func (r *Receiver) URL() string { return "http://" + r.ln.Addr().String() }

// SetMode changes how later requests are answered.
func (r *Receiver) SetMode(m Mode) {
	r.mu.Lock()
	r.mode = m
	r.mu.Unlock()
}

// Requests is how many export requests arrived (in any mode).
func (r *Receiver) Requests() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.requests
}

// Close stops the receiver, releasing hung requests.
func (r *Receiver) Close() error {
	close(r.stop)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return r.srv.Shutdown(ctx)
}

// Spans returns a copy of the spans received so far.
func (r *Receiver) Spans() []Span {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Span(nil), r.spans...)
}

// WaitFor returns the received spans once match accepts them, or an error
// after timeout.
func (r *Receiver) WaitFor(timeout time.Duration, match func([]Span) bool) ([]Span, error) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		r.mu.Lock()
		spans, changed := append([]Span(nil), r.spans...), r.changed
		r.mu.Unlock()
		if match(spans) {
			return spans, nil
		}
		select {
		case <-changed:
		case <-deadline.C:
			return spans, fmt.Errorf("otlptest: condition not met within %v; %d spans received", timeout, len(spans))
		}
	}
}

func (r *Receiver) export(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	r.requests++
	mode := r.mode
	r.mu.Unlock()
	switch mode {
	case Refuse:
		http.Error(w, "refusing for the test", http.StatusServiceUnavailable)
		return
	case Hang:
		select {
		case <-r.stop:
		case <-req.Context().Done():
		}
		return
	}
	var body io.Reader = http.MaxBytesReader(w, req.Body, 64<<20)
	if req.Header.Get("Content-Encoding") == "gzip" {
		gz, err := gzip.NewReader(body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		body = gz
	}
	data, err := io.ReadAll(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var msg collectortrace.ExportTraceServiceRequest
	if err := proto.Unmarshal(data, &msg); err != nil {
		http.Error(w, "not an ExportTraceServiceRequest: "+err.Error(), http.StatusBadRequest)
		return
	}
	r.add(flatten(&msg))
	out, _ := proto.Marshal(&collectortrace.ExportTraceServiceResponse{})
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(out)
}

func (r *Receiver) add(spans []Span) {
	r.mu.Lock()
	r.spans = append(r.spans, spans...)
	close(r.changed)
	r.changed = make(chan struct{})
	r.mu.Unlock()
}

func flatten(msg *collectortrace.ExportTraceServiceRequest) []Span {
	var out []Span
	for _, rs := range msg.GetResourceSpans() {
		res := attrs(rs.GetResource().GetAttributes())
		for _, ss := range rs.GetScopeSpans() {
			for _, s := range ss.GetSpans() {
				sp := Span{
					TraceID:     hex.EncodeToString(s.GetTraceId()),
					SpanID:      hex.EncodeToString(s.GetSpanId()),
					Name:        s.GetName(),
					Kind:        kind(int32(s.GetKind())),
					Attributes:  attrs(s.GetAttributes()),
					Resource:    res,
					StatusError: s.GetStatus().GetCode() == 2,
				}
				if p := s.GetParentSpanId(); len(p) > 0 {
					sp.ParentSpanID = hex.EncodeToString(p)
				}
				out = append(out, sp)
			}
		}
	}
	return out
}

func kind(k int32) string {
	switch k {
	case 1:
		return "internal"
	case 2:
		return "server"
	case 3:
		return "client"
	case 4:
		return "producer"
	case 5:
		return "consumer"
	}
	return "unspecified"
}

func attrs(kvs []*commonpb.KeyValue) map[string]string {
	m := make(map[string]string, len(kvs))
	for _, kv := range kvs {
		v := kv.GetValue()
		switch x := v.GetValue().(type) {
		case *commonpb.AnyValue_StringValue:
			m[kv.GetKey()] = x.StringValue
		case *commonpb.AnyValue_IntValue:
			m[kv.GetKey()] = fmt.Sprint(x.IntValue)
		case *commonpb.AnyValue_BoolValue:
			m[kv.GetKey()] = fmt.Sprint(x.BoolValue)
		case *commonpb.AnyValue_DoubleValue:
			m[kv.GetKey()] = fmt.Sprint(x.DoubleValue)
		default:
			m[kv.GetKey()] = v.String()
		}
	}
	return m
}

// GRPCReceiver is an OTLP/gRPC trace endpoint on 127.0.0.1 (the
// collector's TraceService), for OTEL_EXPORTER_OTLP_PROTOCOL=grpc.
type GRPCReceiver struct {
	collectortrace.UnimplementedTraceServiceServer
	srv *grpc.Server
	ln  net.Listener
	rcv *Receiver // keeps the spans; its HTTP side is unused
}

// StartGRPC listens on a free loopback port.
func StartGRPC() (*GRPCReceiver, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	g := &GRPCReceiver{srv: grpc.NewServer(), ln: ln, rcv: &Receiver{changed: make(chan struct{})}}
	collectortrace.RegisterTraceServiceServer(g.srv, g)
	go func() { _ = g.srv.Serve(ln) }()
	return g, nil
}

// Export implements the collector's TraceService.
func (g *GRPCReceiver) Export(_ context.Context, req *collectortrace.ExportTraceServiceRequest) (*collectortrace.ExportTraceServiceResponse, error) {
	g.rcv.mu.Lock()
	g.rcv.requests++
	g.rcv.mu.Unlock()
	g.rcv.add(flatten(req))
	return &collectortrace.ExportTraceServiceResponse{}, nil
}

// URL is the endpoint, for OTEL_EXPORTER_OTLP_ENDPOINT.
func (g *GRPCReceiver) URL() string { return "http://" + g.ln.Addr().String() }

// Spans returns a copy of the spans received so far.
func (g *GRPCReceiver) Spans() []Span { return g.rcv.Spans() }

// WaitFor is [Receiver.WaitFor].
func (g *GRPCReceiver) WaitFor(timeout time.Duration, match func([]Span) bool) ([]Span, error) {
	return g.rcv.WaitFor(timeout, match)
}

// Close stops the server.
func (g *GRPCReceiver) Close() { g.srv.Stop() }
