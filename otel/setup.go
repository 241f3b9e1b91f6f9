package otel

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracegrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	oteltrace "go.opentelemetry.io/otel/trace"
)

// Options configures [Setup]. The zero value reads everything from the
// environment.
type Options struct {
	// ServiceName is service.name when OTEL_SERVICE_NAME and
	// OTEL_RESOURCE_ATTRIBUTES do not set it; "" means the main package's
	// last path element.
	ServiceName string
	// ServiceVersion is service.version; "" means the VCS revision the
	// binary was built from (debug.ReadBuildInfo), else its module version.
	ServiceVersion string
	// SampleRatio is the ratio of new traces sampled when
	// OTEL_TRACES_SAMPLER is unset (parentbased_traceidratio). 0 means 1;
	// to sample nothing new, set OTEL_TRACES_SAMPLER.
	SampleRatio float64
	// Exporter, when set, replaces the OTLP exporter the environment
	// describes (tests, or an exporter of your own).
	Exporter sdktrace.SpanExporter
	// Logger receives export warnings; nil means slog.Default().
	Logger *slog.Logger
	// WarnInterval bounds export warnings to one per interval; 0 means
	// one minute.
	WarnInterval time.Duration
	// BatchTimeout is the longest a finished span waits before export; 0
	// means the SDK's default (5 s). Tests set it low.
	BatchTimeout time.Duration
	// Getenv reads the environment; nil means os.Getenv.
	Getenv func(string) string
}

// Tracing is the configured SDK: its Handler, Transport and WrapConnector
// create spans, and Shutdown flushes them. A Tracing with nothing to export
// to (no endpoint) passes everything through; its methods are safe on a
// nil *Tracing too.
type Tracing struct {
	provider   *sdktrace.TracerProvider
	tracer     oteltrace.Tracer
	sampler    sdktrace.Sampler
	propagator propagation.TextMapPropagator
	warn       *warnLimiter
	endpoint   string // where spans go ("" when an Options.Exporter is used)
}

// Enabled reports whether spans are created and exported.
func (t *Tracing) Enabled() bool { return t != nil && t.provider != nil }

// Endpoint is the OTLP URL spans are sent to, or "" with a custom exporter
// or when disabled.
func (t *Tracing) Endpoint() string {
	if t == nil {
		return ""
	}
	return t.endpoint
}

// TracerProvider returns the SDK's provider (nil when disabled), for
// instrumentation libraries of your own.
func (t *Tracing) TracerProvider() *sdktrace.TracerProvider {
	if t == nil {
		return nil
	}
	return t.provider
}

// Setup configures tracing from opts and the OTEL_* environment. It
// returns an error that names the variable for settings it cannot use (a
// malformed endpoint URL, an unknown protocol or sampler, a ratio outside
// [0, 1]); it never dials the collector, so a collector that is down does
// not stop the service from starting.
func Setup(ctx context.Context, opts Options) (*Tracing, error) {
	getenv := opts.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	if v := strings.TrimSpace(getenv("OTEL_SDK_DISABLED")); strings.EqualFold(v, "true") {
		return &Tracing{propagator: propagation.TraceContext{}}, nil
	}
	sampler, err := samplerFromEnv(getenv, opts.SampleRatio)
	if err != nil {
		return nil, err
	}
	t := &Tracing{
		sampler:    sampler,
		propagator: propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}),
		warn:       newWarnLimiter(opts.Logger, opts.WarnInterval),
	}
	exporter := opts.Exporter
	if exporter == nil {
		ep, err := exporterFromEnv(ctx, getenv)
		if err != nil {
			return nil, err
		}
		if ep.exporter == nil {
			return &Tracing{propagator: t.propagator}, nil // nothing to export to
		}
		exporter, t.endpoint = ep.exporter, ep.url
	}
	res, err := newResource(ctx, opts, getenv)
	if err != nil {
		return nil, err
	}
	batch := []sdktrace.BatchSpanProcessorOption{}
	if opts.BatchTimeout > 0 {
		batch = append(batch, sdktrace.WithBatchTimeout(opts.BatchTimeout))
	}
	t.provider = sdktrace.NewTracerProvider(
		sdktrace.WithSampler(sampler),
		sdktrace.WithIDGenerator(kitIDs{}),
		sdktrace.WithResource(res),
		sdktrace.WithSpanProcessor(sdktrace.NewBatchSpanProcessor(&reportingExporter{SpanExporter: exporter, warn: t.warn}, batch...)),
	)
	t.tracer = t.provider.Tracer("github.com/golocal/golocal/otel")
	return t, nil
}

// Shutdown flushes the spans still queued and stops the exporter. It
// returns when ctx ends even if the exporter hangs: give it the time left
// of the server's grace.
func (t *Tracing) Shutdown(ctx context.Context) error {
	if !t.Enabled() {
		return nil
	}
	done := make(chan error, 1)
	go func() { done <- t.provider.Shutdown(ctx) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return fmt.Errorf("otel: shutdown cut short, queued spans dropped: %w", ctx.Err())
	}
}

// samplerFromEnv reads OTEL_TRACES_SAMPLER and OTEL_TRACES_SAMPLER_ARG.
// See https://opentelemetry.io/docs/specs/otel/configuration/sdk-environment-variables/#general-sdk-configuration
func samplerFromEnv(getenv func(string) string, ratio float64) (sdktrace.Sampler, error) {
	if ratio == 0 {
		ratio = 1
	}
	if ratio < 0 || ratio > 1 {
		return nil, fmt.Errorf("otel: Options.SampleRatio %v is outside [0, 1]", ratio)
	}
	name := strings.ToLower(strings.TrimSpace(getenv("OTEL_TRACES_SAMPLER")))
	arg := strings.TrimSpace(getenv("OTEL_TRACES_SAMPLER_ARG"))
	if arg != "" && strings.HasSuffix(name, "traceidratio") {
		v, err := strconv.ParseFloat(arg, 64)
		if err != nil || v < 0 || v > 1 {
			return nil, fmt.Errorf("otel: OTEL_TRACES_SAMPLER_ARG=%q is not a ratio between 0 and 1 (e.g. 0.1)", arg)
		}
		ratio = v
	}
	switch name {
	case "", "parentbased_traceidratio":
		return sdktrace.ParentBased(sdktrace.TraceIDRatioBased(ratio)), nil
	case "always_on":
		return sdktrace.AlwaysSample(), nil
	case "always_off":
		return sdktrace.NeverSample(), nil
	case "traceidratio":
		return sdktrace.TraceIDRatioBased(ratio), nil
	case "parentbased_always_on":
		return sdktrace.ParentBased(sdktrace.AlwaysSample()), nil
	case "parentbased_always_off":
		return sdktrace.ParentBased(sdktrace.NeverSample()), nil
	}
	return nil, fmt.Errorf("otel: OTEL_TRACES_SAMPLER=%q is not a sampler this service knows; use always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off or parentbased_traceidratio", name)
}

type envExporter struct {
	exporter sdktrace.SpanExporter
	url      string
}

// exporterFromEnv builds the OTLP exporter the environment describes, or
// none when no endpoint is set. The URL is validated here, so a typo is an
// error at start rather than a silent stream of failed exports.
// See https://opentelemetry.io/docs/specs/otel/protocol/exporter/
func exporterFromEnv(ctx context.Context, getenv func(string) string) (envExporter, error) {
	first := func(keys ...string) (string, string) {
		for _, k := range keys {
			if v := strings.TrimSpace(getenv(k)); v != "" {
				return k, v
			}
		}
		return "", ""
	}
	protoKey, protocol := first("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL")
	if protocol == "" {
		protocol = "http/protobuf"
	}
	if protocol != "http/protobuf" && protocol != "grpc" {
		return envExporter{}, fmt.Errorf("otel: %s=%q is not supported; use http/protobuf or grpc", protoKey, protocol)
	}
	key, raw := first("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT")
	if raw == "" {
		return envExporter{}, nil
	}
	u, err := endpointURL(key, raw, protocol)
	if err != nil {
		return envExporter{}, err
	}
	timeout := 10 * time.Second
	if tk, tv := first("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "OTEL_EXPORTER_OTLP_TIMEOUT"); tv != "" {
		ms, err := strconv.Atoi(tv)
		if err != nil || ms <= 0 {
			return envExporter{}, fmt.Errorf("otel: %s=%q is not a positive number of milliseconds", tk, tv)
		}
		timeout = time.Duration(ms) * time.Millisecond
	}
	headers, err := parseHeaders(first("OTEL_EXPORTER_OTLP_TRACES_HEADERS", "OTEL_EXPORTER_OTLP_HEADERS"))
	if err != nil {
		return envExporter{}, err
	}
	// Retries stay inside the export timeout, so a collector that is down
	// costs one bounded attempt series per batch, never a growing backlog.
	retry := struct{ initial, max, elapsed time.Duration }{250 * time.Millisecond, time.Second, timeout}
	var exp sdktrace.SpanExporter
	if protocol == "grpc" {
		exp, err = otlptracegrpc.New(ctx, otlptracegrpc.WithEndpointURL(u.String()), otlptracegrpc.WithTimeout(timeout),
			otlptracegrpc.WithHeaders(headers),
			otlptracegrpc.WithRetry(otlptracegrpc.RetryConfig{Enabled: true, InitialInterval: retry.initial, MaxInterval: retry.max, MaxElapsedTime: retry.elapsed}))
	} else {
		exp, err = otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(u.String()), otlptracehttp.WithTimeout(timeout),
			otlptracehttp.WithHeaders(headers),
			otlptracehttp.WithRetry(otlptracehttp.RetryConfig{Enabled: true, InitialInterval: retry.initial, MaxInterval: retry.max, MaxElapsedTime: retry.elapsed}))
	}
	if err != nil {
		return envExporter{}, fmt.Errorf("otel: %s=%q: %w", key, raw, err)
	}
	return envExporter{exporter: exp, url: u.String()}, nil
}

// endpointURL validates an OTLP endpoint and, for the signal-independent
// variable over HTTP, appends /v1/traces as the specification says.
func endpointURL(key, raw, protocol string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Opaque != "" {
		return nil, fmt.Errorf("otel: %s=%q is not an http:// or https:// URL with a host (e.g. http://127.0.0.1:4318)", key, raw)
	}
	if port := u.Port(); port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("otel: %s=%q has port %q; want 1-65535", key, raw, port)
		}
	}
	if u.User != nil {
		return nil, fmt.Errorf("otel: %s=%q carries credentials in the URL; put them in OTEL_EXPORTER_OTLP_HEADERS", key, u.Redacted())
	}
	if protocol == "http/protobuf" && key == "OTEL_EXPORTER_OTLP_ENDPOINT" {
		u.Path = path.Join("/", u.Path, "v1/traces")
	}
	return u, nil
}

// parseHeaders reads the W3C-baggage-like list of OTEL_EXPORTER_OTLP_HEADERS
// (key1=value1,key2=value2, values percent-encoded).
func parseHeaders(key, raw string) (map[string]string, error) {
	h := map[string]string{}
	if raw == "" {
		return h, nil
	}
	for _, part := range strings.Split(raw, ",") {
		k, v, ok := strings.Cut(part, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			return nil, fmt.Errorf("otel: %s has %q; want key=value pairs separated by commas", key, part)
		}
		dv, err := url.PathUnescape(strings.TrimSpace(v))
		if err != nil {
			return nil, fmt.Errorf("otel: %s: value of %q is not percent-encoded correctly", key, k)
		}
		h[k] = dv
	}
	return h, nil
}

// newResource describes this service: service.name and service.version
// from opts and the build, overridden by OTEL_SERVICE_NAME and
// OTEL_RESOURCE_ATTRIBUTES.
func newResource(ctx context.Context, opts Options, getenv func(string) string) (*resource.Resource, error) {
	name, version := opts.ServiceName, opts.ServiceVersion
	bi, _ := debug.ReadBuildInfo()
	if name == "" {
		name = "unknown_service"
		if bi != nil && bi.Path != "" {
			name = path.Base(bi.Path)
		}
	}
	if version == "" && bi != nil {
		version = bi.Main.Version
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && s.Value != "" {
				version = s.Value
			}
		}
	}
	attrs := []attribute.KeyValue{attribute.String("service.name", name)}
	if version != "" && version != "(devel)" {
		attrs = append(attrs, attribute.String("service.version", version))
	}
	base := resource.NewSchemaless(attrs...)
	env := resource.NewSchemaless()
	if v := getenv("OTEL_RESOURCE_ATTRIBUTES"); v != "" {
		kvs, err := parseResourceAttributes(v)
		if err != nil {
			return nil, err
		}
		env = resource.NewSchemaless(kvs...)
	}
	if v := strings.TrimSpace(getenv("OTEL_SERVICE_NAME")); v != "" {
		env, _ = resource.Merge(env, resource.NewSchemaless(attribute.String("service.name", v)))
	}
	sdk, err := resource.New(ctx, resource.WithTelemetrySDK())
	if err != nil {
		return nil, fmt.Errorf("otel: resource: %w", err)
	}
	res, err := resource.Merge(sdk, base)
	if err == nil {
		res, err = resource.Merge(res, env)
	}
	if err != nil {
		return nil, fmt.Errorf("otel: resource: %w", err)
	}
	return res, nil
}

// parseResourceAttributes reads OTEL_RESOURCE_ATTRIBUTES (key=value pairs,
// comma-separated, values percent-encoded).
func parseResourceAttributes(raw string) ([]attribute.KeyValue, error) {
	m, err := parseHeaders("OTEL_RESOURCE_ATTRIBUTES", raw)
	if err != nil {
		return nil, err
	}
	kvs := make([]attribute.KeyValue, 0, len(m))
	for k, v := range m {
		kvs = append(kvs, attribute.String(k, v))
	}
	return kvs, nil
}
