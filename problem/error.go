package problem

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// Err is the one error type a handler returns to say what went wrong in
// terms a client can act on. Its Code picks the status; Message becomes the
// problem's "detail" (except for Internal, whose message is only logged); Cause
// is the cause, logged and reachable with errors.Is / errors.As but never sent.
type Err struct {
	// Code classifies the error and picks the HTTP status.
	Code Code
	// Message is sent to the client as "detail" unless Code is Internal.
	Message string
	// Type optionally identifies the problem type with a URI (RFC 9457
	// §3.1.1); empty means about:blank.
	Type string
	// Title is the problem type's short summary. Empty with an empty Type
	// (about:blank) gives the status text, as RFC 9457 §4.2.1 asks; a
	// custom Type should carry its own Title, since a status text may not
	// summarise it (empty leaves the member out).
	Title string
	// Fields lists per-field validation errors, sent as the "errors" member.
	Fields []FieldError
	// Extensions are extra top-level members of the problem document.
	Extensions map[string]any
	// Cause is the underlying cause; it is logged, never sent.
	Cause error
}

// FieldError says which input field is wrong and why. It is marshalled as
// {"field": ..., "message": ...} inside the "errors" member.
type FieldError struct {
	// Field names the input, e.g. "quantity" or "items[2].sku".
	Field string `json:"field"`
	// Message says what is wrong and what is expected.
	Message string `json:"message"`
}

// Errorf returns an *Err with the formatted message. The message is what
// the client reads as "detail" (for every code but Internal), so write it for
// the client. A %w verb wraps a cause reachable with errors.Is / errors.As;
// note its text becomes part of the message — use [Wrap] to keep a cause's
// text private.
func Errorf(code Code, format string, args ...any) *Err {
	formatted := fmt.Errorf(format, args...)
	e := &Err{Code: code, Message: formatted.Error()}
	switch u := formatted.(type) {
	case interface{ Unwrap() error }:
		e.Cause = u.Unwrap()
	case interface{ Unwrap() []error }:
		e.Cause = errors.Join(u.Unwrap()...)
	}
	return e
}

// Wrap returns an *Err with a client-facing detail and a private cause:
// the client reads detail, the log records cause.
func Wrap(cause error, code Code, detail string) *Err {
	return &Err{Code: code, Message: detail, Cause: cause}
}

// InvalidFields returns an Invalid (400) error listing every bad field in the
// "errors" extension member, so a form can mark all of them at once.
func InvalidFields(fields ...FieldError) *Err {
	names := make([]string, 0, len(fields))
	for _, f := range fields {
		names = append(names, f.Field)
	}
	msg := "the request has invalid fields: " + strings.Join(names, ", ")
	if len(fields) == 1 {
		msg = fmt.Sprintf("field %s: %s", fields[0].Field, fields[0].Message)
	}
	return &Err{Code: Invalid, Message: msg, Fields: slices.Clone(fields)}
}

// Unacceptable returns a NotAcceptable (406) error for a request whose Accept
// header matches none of the available media types, listing them in the
// "available" extension member so the client can retry with one of them.
func Unacceptable(available ...string) *Err {
	return &Err{
		Code: NotAcceptable,
		Message: "none of the media types in the Accept header can be served; send Accept with one of: " +
			strings.Join(available, ", "),
		Extensions: map[string]any{"available": slices.Clone(available)},
	}
}

// With returns a copy of e with the extension member name set to value. The
// copy keeps e itself safe to share between goroutines.
func (e *Err) With(name string, value any) *Err {
	c := *e
	c.Extensions = maps.Clone(e.Extensions)
	if c.Extensions == nil {
		c.Extensions = make(map[string]any, 1)
	}
	c.Extensions[name] = value
	return &c
}

// Error returns "code: message[: cause]" for logs.
func (e *Err) Error() string {
	var b strings.Builder
	b.WriteString(string(e.Code))
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	if e.Cause != nil && !strings.Contains(e.Message, e.Cause.Error()) {
		b.WriteString(": ")
		b.WriteString(e.Cause.Error())
	}
	return b.String()
}

// Unwrap returns the cause.
func (e *Err) Unwrap() error { return e.Cause }

// Status returns the HTTP status for e's code.
func (e *Err) Status() int { return e.Code.Status() }

// CodeOf classifies any error: a *Err (anywhere in the chain) gives its own
// code; *http.MaxBytesError is TooLarge; context.DeadlineExceeded is Timeout;
// context.Canceled is ClientClosed; anything else, and nil, is Internal.
func CodeOf(err error) Code {
	if e, ok := errors.AsType[*Err](err); ok {
		return e.Code
	}
	if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
		return TooLarge
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return Timeout
	case errors.Is(err, context.Canceled):
		return ClientClosed
	}
	return Internal
}

// Responder writes problems and logs the failures behind them to Logger.
// The zero value logs to slog.Default(); the package-level functions use the
// zero value. A service that wants its own logger (JSON handler, extra
// attributes) keeps one Responder{Logger: l} and calls its methods, so no
// package-level logger has to be set or mutated.
type Responder struct {
	// Logger receives one record per 5xx problem (with the cause and trace
	// id) and a debug record per 4xx problem that has a cause.
	Logger *slog.Logger
}

func (rs Responder) logger() *slog.Logger {
	if rs.Logger != nil {
		return rs.Logger
	}
	return slog.Default()
}

// Error writes err as application/problem+json; see the package-level [Error].
func (rs Responder) Error(w http.ResponseWriter, r *http.Request, err error) {
	d, level, cause := rs.details(r, err)
	if cause != nil {
		ctx := context.Background()
		if r != nil {
			ctx = r.Context()
		}
		attrs := []slog.Attr{
			slog.String("error", cause.Error()),
			slog.String("code", string(CodeOf(err))),
			slog.Int("status", d.Status),
		}
		if r != nil {
			attrs = append(attrs, slog.String("method", r.Method), slog.String("path", r.URL.Path))
		}
		if id := traceID(r); id != "" {
			attrs = append(attrs, slog.String(TraceIDMember, id))
		}
		rs.logger().LogAttrs(ctx, level, "request failed", attrs...)
	}
	rs.Write(w, r, d)
}

// genericDetail is all a client learns about an internal error.
const genericDetail = "The server failed to complete the request. The failure has been logged"

// details turns err into the problem to send, the level to log at and the
// error to log (nil: nothing to log).
func (rs Responder) details(r *http.Request, err error) (*Details, slog.Level, error) {
	if err == nil {
		err = errors.New("problem.Error called with a nil error (a handler bug)")
	}
	internal := func() (*Details, slog.Level, error) {
		detail := genericDetail + "."
		if traceID(r) != "" {
			detail = genericDetail + "; quote the trace_id when reporting it."
		}
		return &Details{Status: http.StatusInternalServerError, Detail: detail}, slog.LevelError, err
	}
	if e, ok := errors.AsType[*Err](err); ok {
		if e.Code == Internal || e.Code.Status() == http.StatusInternalServerError {
			return internal()
		}
		d := &Details{
			Type:     e.Type,
			Title:    e.Title,
			Status:   e.Code.Status(),
			Detail:   e.Message,
			Instance: "",
		}
		if len(e.Extensions) > 0 || len(e.Fields) > 0 {
			d.Extensions = maps.Clone(e.Extensions)
			if d.Extensions == nil {
				d.Extensions = make(map[string]any, 1)
			}
			if len(e.Fields) > 0 {
				d.Extensions["errors"] = e.Fields
			}
		}
		switch {
		case d.Status >= 500:
			return d, slog.LevelWarn, err
		case e.Cause != nil:
			return d, slog.LevelDebug, err
		}
		return d, slog.LevelDebug, nil
	}
	if mb, ok := errors.AsType[*http.MaxBytesError](err); ok {
		return &Details{
			Status: http.StatusRequestEntityTooLarge,
			Detail: "the request body is larger than the limit of " + strconv.FormatInt(mb.Limit, 10) +
				" bytes; send a smaller body",
			Extensions: map[string]any{"limit_bytes": mb.Limit},
		}, slog.LevelDebug, nil
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return &Details{
			Status: http.StatusGatewayTimeout,
			Detail: "the server did not finish in time; retry later",
		}, slog.LevelWarn, err
	}
	// context.Canceled means the client left only if the request's own
	// context is done; a Canceled from elsewhere is a bug, so it is internal.
	if errors.Is(err, context.Canceled) && r != nil && r.Context().Err() != nil {
		return &Details{
			Status: StatusClientClosedRequest,
			Detail: "the client closed the request before the response was ready",
		}, slog.LevelInfo, err
	}
	return internal()
}

// Error writes err as application/problem+json. A *Err (anywhere in the
// chain) is sent with its code's status and its message as detail. Every
// other error — and a *Err with code Internal — becomes a 500 with a fixed
// detail and the trace id: its message is logged through slog.Default with
// the trace id, never sent, because internal messages leak table names, file
// paths and secrets. *http.MaxBytesError is a 413, context.DeadlineExceeded a
// 504, and context.Canceled after the client disconnected a 499.
func Error(w http.ResponseWriter, r *http.Request, err error) {
	Responder{}.Error(w, r, err)
}

// Created answers a successful POST with 201 Created, a Location header
// naming the new resource (RFC 9110 §15.3.2) and body as JSON (nil: no body).
// The body is encoded before anything is written, so an encoding failure is
// still a clean 500 problem.
func Created(w http.ResponseWriter, r *http.Request, location string, body any) {
	Responder{}.Created(w, r, location, body)
}

// Created is the package-level [Created] logging through rs.
func (rs Responder) Created(w http.ResponseWriter, r *http.Request, location string, body any) {
	var payload []byte
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			rs.Error(w, r, fmt.Errorf("problem.Created: encoding the %T response body: %w", body, err))
			return
		}
		payload = append(b, '\n')
	}
	h := w.Header()
	if location != "" {
		h.Set("Location", location)
	}
	if payload != nil {
		h.Set("Content-Type", "application/json")
	}
	h.Set("Content-Length", strconv.Itoa(len(payload)))
	w.WriteHeader(http.StatusCreated)
	if payload != nil && (r == nil || r.Method != http.MethodHead) {
		_, _ = w.Write(payload)
	}
}
