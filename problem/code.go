package problem

import "net/http"

// Code classifies an error by what the client can do about it. Each code maps
// to exactly one HTTP status in [Code.Status]; that table is the only place in
// the kit where an error kind becomes a status number.
type Code string

// The codes a service needs in practice. The string values appear in logs;
// they are not sent to clients (clients see the status and title).
const (
	// Invalid: the request is well-formed but its content is wrong (a field
	// out of range, a missing required field). 400, as in RFC 9457 §3's
	// validation example.
	Invalid Code = "invalid"
	// BadRequest: the request cannot be parsed (malformed JSON, a bad query
	// parameter syntax). 400.
	BadRequest Code = "bad_request"
	// Unauthorized: credentials are missing or wrong. 401.
	Unauthorized Code = "unauthorized"
	// Forbidden: the caller is known but not allowed. 403.
	Forbidden Code = "forbidden"
	// NotFound: the target resource does not exist. 404.
	NotFound Code = "not_found"
	// MethodNotAllowed: the resource exists but not for this method. 405.
	MethodNotAllowed Code = "method_not_allowed"
	// NotAcceptable: no representation matches the request's Accept. 406.
	NotAcceptable Code = "not_acceptable"
	// Conflict: the request conflicts with the resource's current state. 409.
	Conflict Code = "conflict"
	// PreconditionFailed: an If-Match / If-Unmodified-Since did not hold. 412.
	PreconditionFailed Code = "precondition_failed"
	// TooLarge: the request body exceeds the limit (see http.MaxBytesReader). 413.
	TooLarge Code = "too_large"
	// UnsupportedMediaType: the request body's Content-Type is not accepted. 415.
	UnsupportedMediaType Code = "unsupported_media_type"
	// TooManyRequests: a rate limit was hit. 429.
	TooManyRequests Code = "too_many_requests"
	// ClientClosed: the client went away before the answer was ready. 499,
	// the nginx convention; nobody reads the response, but access logs do.
	ClientClosed Code = "client_closed"
	// Internal: a bug or an unexpected failure. 500. Its message and cause
	// are logged, never sent.
	Internal Code = "internal"
	// NotImplemented: the feature does not exist yet. 501.
	NotImplemented Code = "not_implemented"
	// Unavailable: a dependency is down or the service is stopping. 503.
	Unavailable Code = "unavailable"
	// Timeout: a dependency did not answer in time (context.DeadlineExceeded).
	// 504, because a deadline inside a handler almost always expired while
	// waiting on something downstream (database, upstream API).
	Timeout Code = "timeout"
)

// StatusClientClosedRequest is the non-standard status nginx introduced for a
// request whose client disconnected; access logs use it to tell "we failed"
// from "they left".
const StatusClientClosedRequest = 499

// statusByCode is the one table mapping codes to statuses.
var statusByCode = map[Code]int{
	Invalid:              http.StatusBadRequest,
	BadRequest:           http.StatusBadRequest,
	Unauthorized:         http.StatusUnauthorized,
	Forbidden:            http.StatusForbidden,
	NotFound:             http.StatusNotFound,
	MethodNotAllowed:     http.StatusMethodNotAllowed,
	NotAcceptable:        http.StatusNotAcceptable,
	Conflict:             http.StatusConflict,
	PreconditionFailed:   http.StatusPreconditionFailed,
	TooLarge:             http.StatusRequestEntityTooLarge,
	UnsupportedMediaType: http.StatusUnsupportedMediaType,
	TooManyRequests:      http.StatusTooManyRequests,
	ClientClosed:         StatusClientClosedRequest,
	Internal:             http.StatusInternalServerError,
	NotImplemented:       http.StatusNotImplemented,
	Unavailable:          http.StatusServiceUnavailable,
	Timeout:              http.StatusGatewayTimeout,
}

// Status returns the HTTP status for c. An unknown code is treated as
// Internal (500): a typo in a code must not turn a failure into a success.
func (c Code) Status() int {
	if s, ok := statusByCode[c]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// statusTitle is the title for a status, including 499 which net/http does
// not know.
func statusTitle(status int) string {
	if status == StatusClientClosedRequest {
		return "Client Closed Request"
	}
	if t := http.StatusText(status); t != "" {
		return t
	}
	return "Error"
}
