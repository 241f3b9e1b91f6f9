package web

import (
	"net/http"
	"slices"
	"strings"

	"github.com/golocal/golocal/problem"
)

// routes maps the whole surface of the service.
//
// One set of handlers serves both the API and the pages: GET answers JSON or
// HTML by the Accept header (browsers get pages, scripts and curl get JSON),
// and POST reads JSON or an HTML form by Content-Type, answering a form with
// a redirect and a flash message (post/redirect/get).
//
//	GET  /orders, /api/v1/orders, /api/v2/orders        list (cursor pagination)
//	POST /orders, /api/v1/orders, /api/v2/orders        create (Idempotency-Key)
//	GET  /orders/{id}, /api/v{n}/orders/{id}            one order
//	POST /orders/{id}/transitions, /api/v{n}/...        change status
//	     /api/orders...                                  version from Accept
//	GET  /                                              the list page
//	GET  /static/                                       CSS and JavaScript
//	GET  /problems/{name}                               what each problem type means
//
// Every route is wrapped on its own (with the cross-origin protection and,
// for the pages, the session), so the mux gets the request the middleware
// stack gave it and can record the matched pattern for metrics and logs.
func (s *server) routes() http.Handler {
	mux := http.NewServeMux()
	handle := func(pattern string, h http.HandlerFunc, page bool) {
		var hh http.Handler = s.versions.Handler(h)
		if page && s.sessions != nil {
			hh = s.sessions.Middleware(hh)
		}
		mux.Handle(pattern, s.csrf.Handler(hh))
	}
	for _, prefix := range []string{"", "/api", "/api/v1", "/api/v2"} {
		page := prefix == ""
		handle("GET "+prefix+"/orders", s.list, page)
		handle("POST "+prefix+"/orders", s.create, page)
		handle("GET "+prefix+"/orders/{id}", s.get, page)
		handle("POST "+prefix+"/orders/{id}/transitions", s.transition, page)
	}
	// Unknown API versions (406, listing the supported ones) and unknown API
	// paths (404) get a problem, not the mux's text 404.
	mux.Handle("/api/", s.versions.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, notFound("no such API endpoint; the orders API lives under /api/v1/orders and /api/v2/orders"))
	})))
	// The home page is the list, answered directly (not redirected) so the
	// URL `golocal dev` prints shows the service at once.
	handle("GET /{$}", s.list, true)
	mux.Handle("GET /static/", s.assets)
	mux.HandleFunc("GET /problems/{name}", problemDoc)
	return s.unmatched(mux)
}

// unmatched answers what the mux has no route for with a problem like every
// other error (404, or 405 with Allow when the path has routes for other
// methods), negotiated as JSON or HTML, instead of the mux's text/plain.
// Matched requests go to the mux.
func (s *server) unmatched(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, pattern := mux.Handler(r); pattern != "" {
			mux.ServeHTTP(w, r)
			return
		}
		// As the mux does for a request it cannot route: no pattern, so the
		// access log and metrics record it as unmatched.
		r.Pattern = ""
		var allow []string
		for _, m := range []string{http.MethodGet, http.MethodPost} {
			other := *r
			other.Method = m
			if _, p := mux.Handler(&other); p != "" && m != r.Method {
				allow = append(allow, m)
			}
		}
		if len(allow) > 0 {
			if slices.Contains(allow, http.MethodGet) {
				allow = append(allow, http.MethodHead)
			}
			w.Header().Set("Allow", strings.Join(allow, ", "))
			s.fail(w, r, problem.Errorf(problem.MethodNotAllowed, "%s is not allowed on %s; use %s", r.Method, r.URL.Path, strings.Join(allow, ", ")))
			return
		}
		s.fail(w, r, notFound("no such page or endpoint; the orders are at /orders (pages) and /api/v2/orders (API)"))
	})
}
