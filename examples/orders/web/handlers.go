package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/golocal/golocal/examples/orders/order"
	"github.com/golocal/golocal/negotiate"
	"github.com/golocal/golocal/problem"
)

// defaultLimit and maxLimit bound a list page.
const (
	defaultLimit = 20
	maxLimit     = 100
)

// list serves a page of orders, newest first: a JSON array with Link
// (rel="next") and X-Total-Count headers, or the list page with the form.
func (s *server) list(w http.ResponseWriter, r *http.Request) {
	s.listWith(w, r, form{}, http.StatusOK)
}

// listWith renders the list; a form with errors is shown back with status.
func (s *server) listWith(w http.ResponseWriter, r *http.Request, f form, status int) {
	q := r.URL.Query()
	limit := defaultLimit
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxLimit {
			s.fail(w, r, problem.InvalidFields(problem.FieldError{Field: "limit", Message: fmt.Sprintf("must be a whole number from 1 to %d", maxLimit)}))
			return
		}
		limit = n
	}
	page, err := s.orders.List(r.Context(), order.ListOptions{After: q.Get("cursor"), Limit: limit})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	view := listView{Orders: page.Orders, Version: version(r), Total: page.Total, Form: f}
	if page.Next != "" {
		next := url.Values{"cursor": {page.Next}}
		if limit != defaultLimit {
			next.Set("limit", strconv.Itoa(limit))
		}
		view.Next = r.URL.Path + "?" + next.Encode()
		w.Header().Set("Link", "<"+view.Next+`>; rel="next"`)
	}
	w.Header().Set("X-Total-Count", strconv.Itoa(page.Total))
	if prefersHTML(r) {
		view.Flashes = s.flashes(r)
		if view.Form.IdempotencyKey == "" {
			view.Form = newForm()
		}
		w.Header().Set("Cache-Control", "no-store")
	}
	negotiate.Render(w, r, view, s.page("list", status))
}

// get serves one order.
func (s *server) get(w http.ResponseWriter, r *http.Request) {
	id, err := orderID(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	o, err := s.orders.Get(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	view := orderView{Order: o, Version: version(r)}
	if prefersHTML(r) {
		view.Flashes = s.flashes(r)
		w.Header().Set("Cache-Control", "no-store")
	}
	negotiate.Render(w, r, view, s.page("order", http.StatusOK))
}

// create stores a new order from JSON (the API) or a form (the list page).
func (s *server) create(w http.ResponseWriter, r *http.Request) {
	if !isJSON(r) && isForm(r) {
		s.createFromForm(w, r)
		return
	}
	// Refuse an unacceptable Accept before the side effect, not after.
	if _, ok := negotiate.Negotiate(w, r, jsonType(r)); !ok {
		return
	}
	key := r.Header.Get("Idempotency-Key")
	if err := checkIdempotencyKey(key); err != nil {
		s.fail(w, r, err)
		return
	}
	var n order.New
	var bad []order.FieldError
	if version(r) >= 2 {
		var in newV2
		if err := decodeJSON(w, r, &in); err != nil {
			s.fail(w, r, err)
			return
		}
		n, bad = in.toNew()
	} else if err := decodeJSON(w, r, &n); err != nil {
		s.fail(w, r, err)
		return
	}
	if err := n.Validate(); err != nil || len(bad) > 0 {
		if ve, ok := err.(*order.ValidationError); ok {
			bad = append(bad, ve.Fields...)
		}
		s.fail(w, r, &order.ValidationError{Fields: bad})
		return
	}
	o, created, err := s.orders.Create(r.Context(), n, key)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Location", strings.TrimSuffix(r.URL.Path, "/")+"/"+strconv.FormatInt(o.ID, 10))
	if !created {
		// The same request under the same key: the same answer again.
		w.Header().Set("Idempotent-Replayed", "true")
	}
	negotiate.Render(w, r, orderView{Order: o, Version: version(r)}, negotiate.Options{Status: http.StatusCreated, Errors: s.problems})
}

// transitionRequest is the body of POST .../transitions.
type transitionRequest struct {
	Status order.Status `json:"status"`
}

// transition moves an order to another status: 200 with the order, or 409
// when the state machine does not allow it.
func (s *server) transition(w http.ResponseWriter, r *http.Request) {
	id, err := orderID(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if !isJSON(r) && isForm(r) {
		s.transitionFromForm(w, r, id)
		return
	}
	if _, ok := negotiate.Negotiate(w, r, jsonType(r)); !ok {
		return
	}
	var req transitionRequest
	if err := decodeJSON(w, r, &req); err != nil {
		s.fail(w, r, err)
		return
	}
	if !req.Status.Valid() {
		s.fail(w, r, problem.InvalidFields(problem.FieldError{Field: "status", Message: fmt.Sprintf("must be one of %v", order.Statuses)}))
		return
	}
	o, err := s.orders.Transition(r.Context(), id, req.Status)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	negotiate.Render(w, r, orderView{Order: o, Version: version(r)}, negotiate.Options{Errors: s.problems})
}

// orderID reads the {id} path segment.
func orderID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id < 1 {
		return 0, notFound("no order with this id; order ids are positive whole numbers")
	}
	return id, nil
}

func notFound(msg string) error { return problem.Errorf(problem.NotFound, "%s", msg) }

// jsonType is the JSON media type of the request's API version.
func jsonType(r *http.Request) string {
	if v, ok := negotiate.VersionFromContext(r.Context()); ok {
		return v.ContentType
	}
	return negotiate.JSON
}

// maxKey bounds an Idempotency-Key; UUIDs and ULIDs fit many times over.
const maxKey = 255

// checkIdempotencyKey accepts an absent key or 1–255 visible ASCII
// characters.
func checkIdempotencyKey(key string) error {
	if len(key) > maxKey {
		return problem.InvalidFields(problem.FieldError{Field: "Idempotency-Key", Message: fmt.Sprintf("is longer than %d characters; use a UUID", maxKey)})
	}
	for i := 0; i < len(key); i++ {
		if key[i] <= ' ' || key[i] > '~' {
			return problem.InvalidFields(problem.FieldError{Field: "Idempotency-Key", Message: "must be visible ASCII characters only; use a UUID"})
		}
	}
	return nil
}
