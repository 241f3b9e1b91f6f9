// Package otel connects a service built with golocal's kit to
// [OpenTelemetry]: server spans for every request, client spans for outgoing
// HTTP calls and database statements, exported over OTLP, with the same
// trace and span ids in the JSON logs and as exemplars on the Prometheus
// request-duration histogram.
//
// It is a package of its own so that services that do not want
// OpenTelemetry never link its SDK. Wire it in three places:
//
//	tr, err := otel.Setup(ctx, otel.Options{})             // reads OTEL_* from the environment
//	if err != nil { return err }                            // e.g. a malformed OTLP endpoint URL
//	defer tr.Shutdown(shutdownCtx)                          // flushes, bounded by the context
//	stack, _ := middleware.Stack(middleware.StackOptions{Tracing: tr.Handler})
//	db := sql.OpenDB(tr.WrapConnector(connector, "postgresql"))
//	client := &http.Client{Transport: tr.Transport(nil)}
//
// # Settings
//
// Setup follows the [OpenTelemetry environment variables]:
// OTEL_SDK_DISABLED, OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES,
// OTEL_EXPORTER_OTLP_ENDPOINT and OTEL_EXPORTER_OTLP_TRACES_ENDPOINT,
// OTEL_EXPORTER_OTLP_PROTOCOL / _TRACES_PROTOCOL (http/protobuf, the
// default, or grpc), OTEL_EXPORTER_OTLP_TIMEOUT / _TRACES_TIMEOUT,
// OTEL_EXPORTER_OTLP_HEADERS / _TRACES_HEADERS, OTEL_TRACES_SAMPLER and
// OTEL_TRACES_SAMPLER_ARG. Without an endpoint (and without
// [Options.Exporter]) nothing is exported and every wrapper passes
// requests through untouched, so the same binary runs with and without a
// collector. The default sampler is parentbased_traceidratio with ratio
// [Options.SampleRatio] (1 when unset): a caller's decision is kept, new
// traces are sampled at the ratio. service.version defaults to the VCS
// revision stamped in the binary.
//
// # One id, not two
//
// The middleware package's TraceID layer already gives each request a W3C
// trace id and span id (logs and problem responses carry them). The server
// span Setup creates has exactly those ids: the ids the access log prints
// are the ids the trace backend shows. Its name is "METHOD route", the
// route being the same label (http.route) the access log and the metrics
// use. A request that is sampled out costs one sampler decision and no
// allocation; its logs still carry the trace id, and calls it makes still
// propagate traceparent with the sampled flag off.
//
// # Failures
//
// An exporter that cannot reach its endpoint never affects requests: spans
// are batched and dropped when the queue is full, and export errors are
// logged as one warning per [Options.WarnInterval] with a count of the
// ones suppressed, not one line per span. Shutdown returns when its
// context ends even if the exporter hangs, so pass it a context bounded by
// the serve package's grace.
//
// [OpenTelemetry]: https://opentelemetry.io/docs/specs/otel/
// [OpenTelemetry environment variables]: https://opentelemetry.io/docs/specs/otel/configuration/sdk-environment-variables/
package otel
