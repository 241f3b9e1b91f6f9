package web

import (
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/golocal/golocal/examples/orders/order"
	"github.com/golocal/golocal/negotiate"
	"github.com/golocal/golocal/problem"
)

// Problem types of this service, so clients can tell failures apart beyond
// the status code (RFC 9457 §3.1.1). They are relative references resolved
// against the request URL; a real service would document them there.
const (
	typeValidation  = "/problems/validation"
	typeTransition  = "/problems/invalid-transition"
	typeIdempotency = "/problems/idempotency-key-reuse"
	typeUnavailable = "/problems/database-unavailable"
)

// problemDocs documents each problem type at its own URL, so a client (or a
// person) following a "type" member finds what it means.
var problemDocs = map[string]string{
	typeValidation:  "Invalid order (400)\n\nThe order failed validation. The \"errors\" member lists each bad field with a message; fix those fields and send the request again.\n",
	typeTransition:  "Status change not allowed (409)\n\nOrders move created → paid → shipped → delivered, or to cancelled from created or paid. The \"current_status\" and \"allowed\" members say where the order is and where it may go.\n",
	typeIdempotency: "Idempotency-Key reused for a different order (409)\n\nThe Idempotency-Key header was already used with a different request body. Repeat the original request exactly to get the original order, or send a new key for a new order.\n",
	typeUnavailable: "Database unavailable (503)\n\nThe service cannot reach its database. Nothing was changed. Retry after the number of seconds in Retry-After.\n",
}

// problemDoc serves the documentation of one problem type.
func problemDoc(w http.ResponseWriter, r *http.Request) {
	doc, ok := problemDocs["/problems/"+r.PathValue("name")]
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=86400")
	_, _ = io.WriteString(w, doc)
}

// retryAfter is what a 503 asks clients to wait before retrying.
const retryAfter = "5"

// classify maps an error from the domain or the repository to a
// *problem.Err. It is the one place where this service decides what a
// failure means to a client; anything it does not know is a bug, answered
// 500 without details (and logged).
func classify(err error) error {
	var (
		verr *order.ValidationError
		terr *order.TransitionError
		perr *problem.Err
	)
	switch {
	case errors.As(err, &perr):
		return err
	case errors.As(err, &verr):
		fields := make([]problem.FieldError, len(verr.Fields))
		for i, f := range verr.Fields {
			fields[i] = problem.FieldError{Field: f.Field, Message: f.Message}
		}
		e := problem.InvalidFields(fields...)
		e.Type, e.Title = typeValidation, "Invalid order"
		e.Message = fmt.Sprintf("the order has %d invalid field(s); see errors", len(fields))
		return e
	case errors.Is(err, order.ErrNotFound):
		return problem.Errorf(problem.NotFound, "no order with this id")
	case errors.Is(err, order.ErrIdempotencyMismatch):
		e := problem.Errorf(problem.Conflict, "this Idempotency-Key was already used for a different order; send a new key for a new order, or repeat the original request exactly")
		e.Type, e.Title = typeIdempotency, "Idempotency-Key reused for a different order"
		return e
	case errors.Is(err, order.ErrBadCursor):
		return problem.InvalidFields(problem.FieldError{Field: "cursor", Message: "is not a cursor from this service; use the Link rel=next URL of the previous page"})
	case errors.As(err, &terr):
		e := problem.Errorf(problem.Conflict, "%s", terr.Error())
		e.Type, e.Title = typeTransition, "Status change not allowed"
		allowed := terr.From.Next()
		if allowed == nil {
			allowed = []order.Status{}
		}
		return e.With("current_status", terr.From).With("allowed", allowed)
	case errors.Is(err, order.ErrUnavailable):
		e := problem.Wrap(err, problem.Unavailable, "the database is unavailable; nothing was changed, retry in a few seconds")
		e.Type, e.Title = typeUnavailable, "Database unavailable"
		return e
	}
	return err // context errors (problem maps them: client gone, timeout) and bugs (500)
}

// fail answers err as problem+json, or as an HTML error page to a browser.
func (s *server) fail(w http.ResponseWriter, r *http.Request, err error) {
	err = classify(err)
	if problem.CodeOf(err) == problem.Unavailable {
		w.Header().Set("Retry-After", retryAfter)
	}
	if !prefersHTML(r) {
		s.problems.Error(w, r, err)
		return
	}
	code := problem.CodeOf(err)
	status := code.Status()
	page := errorPage{Status: status, Title: http.StatusText(status)}
	var perr *problem.Err
	if errors.As(err, &perr) && code != problem.Internal {
		page.Detail = perr.Message
		for _, f := range perr.Fields {
			page.Fields = append(page.Fields, f.Field+": "+f.Message)
		}
	} else {
		s.log.ErrorContext(r.Context(), "request failed", "error", err.Error(), "path", r.URL.Path)
		page.Detail = "Something went wrong on our side; it has been logged."
	}
	negotiate.Render(w, r, page, s.page("error", status))
}

// errorPage is what the error template shows.
type errorPage struct {
	Status int
	Title  string
	Detail string
	Fields []string
}

// prefersHTML reports whether the client would rather read HTML than JSON,
// as browsers navigating do.
func prefersHTML(r *http.Request) bool {
	got, ok := negotiate.Choose(r.Header.Values("Accept"), []string{negotiate.JSON, negotiate.HTML})
	return ok && got == negotiate.HTML
}
