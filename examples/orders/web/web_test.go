package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/golocal/golocal/examples/orders/sqlstore"
	"github.com/golocal/golocal/session"
)

const (
	v1Body = `{"customer":"Ada","currency":"EUR","items":[{"sku":"A1","name":"Tea","quantity":2,"unit_price":350}]}`
	v2Body = `{"customer":"Ada","currency":"EUR","items":[{"sku":"A1","name":"Tea","quantity":2,"unit_price":{"amount":"3.50","currency":"EUR"}}]}`
)

// newTestServer returns the routes on a fresh SQLite store, with sessions.
func newTestServer(t *testing.T) http.Handler {
	t.Helper()
	store, err := sqlstore.OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "orders.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	sm, err := session.New(session.Options{Keys: [][]byte{make([]byte, session.KeySize)}, Profile: "dev"})
	if err != nil {
		t.Fatal(err)
	}
	h, err := New(Options{Orders: store, Sessions: sm, TrustedOrigins: []string{"http://127.0.0.1:9999"}})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

type req struct {
	method, path, body string
	header             map[string]string
}

func do(t *testing.T, h http.Handler, q req) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(q.method, q.path, strings.NewReader(q.body))
	if q.body != "" {
		r.Header.Set("Content-Type", "application/json")
	}
	for k, v := range q.header {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// TestAPI runs requests against one server in order; each row says what
// must come back.
func TestAPI(t *testing.T) {
	h := newTestServer(t)
	huge := `{"customer":"Ada","currency":"EUR","items":[` + strings.Repeat(`{"sku":"A","name":"B","quantity":1,"unit_price":1},`, 9999) + `{"sku":"A","name":"B","quantity":1,"unit_price":1}]}`
	tests := []struct {
		name        string
		req         req
		status      int
		contentType string
		contains    []string
		header      map[string]string
	}{
		{"create v1", req{"POST", "/api/v1/orders", v1Body, map[string]string{"Idempotency-Key": "k1"}}, 201, "application/json; version=1",
			[]string{`"id":1`, `"total":700`, `"unit_price":350`, `"status":"created"`}, map[string]string{"Location": "/api/v1/orders/1"}},
		{"replay returns the same order", req{"POST", "/api/v1/orders", v1Body, map[string]string{"Idempotency-Key": "k1"}}, 201, "application/json; version=1",
			[]string{`"id":1`}, map[string]string{"Location": "/api/v1/orders/1", "Idempotent-Replayed": "true"}},
		{"same key, other body", req{"POST", "/api/v1/orders", strings.Replace(v1Body, "Ada", "Bob", 1), map[string]string{"Idempotency-Key": "k1"}}, 409, "application/problem+json",
			[]string{`"type":"/problems/idempotency-key-reuse"`}, nil},
		{"create v2", req{"POST", "/api/v2/orders", v2Body, nil}, 201, "application/json; version=2",
			[]string{`"id":2`, `"total":{"amount":"7.00","currency":"EUR"}`}, map[string]string{"Location": "/api/v2/orders/2"}},
		{"v2 price in the wrong currency", req{"POST", "/api/v2/orders", strings.Replace(v2Body, `"3.50","currency":"EUR"`, `"3.505","currency":"USD"`, 1), nil}, 400, "application/problem+json",
			[]string{`"items[0].unit_price.currency"`, `"items[0].unit_price.amount"`}, nil},
		{"create by vendor type", req{"POST", "/api/orders", v2Body, map[string]string{"Accept": "application/vnd.orders.v2+json"}}, 201, "application/vnd.orders.v2+json",
			[]string{`"amount":"7.00"`}, map[string]string{"Location": "/api/orders/3"}},
		{"get v1", req{"GET", "/api/v1/orders/2", "", nil}, 200, "application/json; version=1", []string{`"total":700`, `"currency":"EUR"`}, nil},
		{"get v2 by version parameter", req{"GET", "/orders/2", "", map[string]string{"Accept": "application/json; version=2"}}, 200, "application/json; version=2",
			[]string{`"total":{"amount":"7.00"`}, map[string]string{"Vary": "Accept"}},
		{"unknown version in Accept", req{"GET", "/api/orders", "", map[string]string{"Accept": "application/vnd.orders.v3+json"}}, 406, "application/problem+json",
			[]string{`"supported_versions":[1,2]`}, nil},
		{"path version against Accept", req{"GET", "/api/v1/orders", "", map[string]string{"Accept": "application/vnd.orders.v2+json"}}, 406, "application/problem+json", nil, nil},
		// negotiate answers an unknown path version with 404 or, in newer
		// versions, 406; either is a problem listing the supported ones.
		{"unknown version in path", req{"GET", "/api/v3/orders", "", nil}, 406, "application/problem+json", []string{`"supported_versions"`}, nil},
		{"no such order", req{"GET", "/api/v1/orders/999", "", nil}, 404, "application/problem+json", []string{"no order with this id"}, nil},
		{"not an id", req{"GET", "/api/v1/orders/abc", "", nil}, 404, "application/problem+json", nil, nil},
		{"validation lists every field", req{"POST", "/api/v1/orders", `{"customer":"","currency":"XXX","items":[{"sku":"A","name":"B","quantity":-1,"unit_price":-5}]}`, nil}, 400, "application/problem+json",
			[]string{`"type":"/problems/validation"`, `"field":"customer"`, `"field":"currency"`, `"field":"items[0].quantity"`, `"field":"items[0].unit_price"`}, nil},
		{"malformed JSON", req{"POST", "/api/v1/orders", `{"customer":`, nil}, 400, "application/problem+json", []string{"truncated"}, nil},
		{"syntax error", req{"POST", "/api/v1/orders", `{"customer" "x"}`, nil}, 400, "application/problem+json", []string{"malformed JSON at byte"}, nil},
		{"unknown field", req{"POST", "/api/v1/orders", `{"customer":"A","colour":"red"}`, nil}, 400, "application/problem+json", []string{`"field":"colour"`}, nil},
		{"wrong type", req{"POST", "/api/v1/orders", `{"customer":"A","currency":"EUR","items":[{"quantity":"two"}]}`, nil}, 400, "application/problem+json", []string{`"field":"items.quantity"`, "must be a JSON number"}, nil},
		{"two values", req{"POST", "/api/v1/orders", v1Body + v1Body, nil}, 400, "application/problem+json", []string{"exactly one JSON value"}, nil},
		{"empty body", req{"POST", "/api/v1/orders", "", map[string]string{"Content-Type": "application/json"}}, 400, "application/problem+json", []string{"empty"}, nil},
		{"not JSON", req{"POST", "/api/v1/orders", "customer=x", map[string]string{"Content-Type": "text/plain"}}, 415, "application/problem+json", nil, nil},
		{"10,000 items", req{"POST", "/api/v1/orders", huge, nil}, 400, "application/problem+json", []string{"has 10000 items; an order holds at most 100"}, nil},
		{"body over the cap", req{"POST", "/api/v1/orders", `{"customer":"` + strings.Repeat("x", 2<<20) + `"}`, nil}, 413, "application/problem+json", nil, nil},
		{"overlong idempotency key", req{"POST", "/api/v1/orders", v1Body, map[string]string{"Idempotency-Key": strings.Repeat("k", 300)}}, 400, "application/problem+json", []string{"Idempotency-Key"}, nil},
		{"transition", req{"POST", "/api/v2/orders/2/transitions", `{"status":"paid"}`, nil}, 200, "application/json; version=2", []string{`"status":"paid"`}, nil},
		{"invalid transition", req{"POST", "/api/v2/orders/2/transitions", `{"status":"delivered"}`, nil}, 409, "application/problem+json",
			[]string{`"type":"/problems/invalid-transition"`, `"current_status":"paid"`, `"allowed":["shipped","cancelled"]`}, nil},
		{"unknown status", req{"POST", "/api/v2/orders/2/transitions", `{"status":"lost"}`, nil}, 400, "application/problem+json", []string{`"field":"status"`}, nil},
		{"transition of a missing order", req{"POST", "/api/v2/orders/999/transitions", `{"status":"paid"}`, nil}, 404, "application/problem+json", nil, nil},
		{"list", req{"GET", "/api/v2/orders?limit=2", "", nil}, 200, "application/json; version=2", []string{`"id":3`, `"id":2`},
			map[string]string{"X-Total-Count": "3", "Link": `</api/v2/orders?cursor=bzE6Mg&limit=2>; rel="next"`}},
		{"next page", req{"GET", "/api/v2/orders?cursor=bzE6Mg&limit=2", "", nil}, 200, "application/json; version=2", []string{`"id":1`}, map[string]string{"Link": ""}},
		{"bad cursor", req{"GET", "/api/v2/orders?cursor=nope", "", nil}, 400, "application/problem+json", []string{`"field":"cursor"`}, nil},
		{"bad limit", req{"GET", "/api/v2/orders?limit=1000", "", nil}, 400, "application/problem+json", []string{`"field":"limit"`}, nil},
		{"cross-site post refused", req{"POST", "/api/v1/orders", v1Body, map[string]string{"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}}, 403, "application/problem+json", []string{"cross-origin"}, nil},
		{"trusted origin may post", req{"POST", "/api/v1/orders", v1Body, map[string]string{"Sec-Fetch-Site": "same-site", "Origin": "http://127.0.0.1:9999"}}, 201, "application/json; version=1", nil, nil},
		{"html list", req{"GET", "/orders", "", map[string]string{"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}}, 200, "text/html; charset=utf-8",
			[]string{`<form method="post" action="/orders"`, `href="/orders/2"`, `name="idempotency_key"`}, map[string]string{"Cache-Control": "no-store"}},
		{"html order", req{"GET", "/orders/1", "", map[string]string{"Accept": "text/html"}}, 200, "text/html; charset=utf-8", []string{"Order #1", "Mark as paid", "7.00 EUR"}, nil},
		{"html 404", req{"GET", "/orders/999", "", map[string]string{"Accept": "text/html"}}, 404, "text/html; charset=utf-8", []string{"404 Not Found"}, nil},
		{"api url as html", req{"GET", "/api/v2/orders/1", "", map[string]string{"Accept": "text/html"}}, 200, "text/html; charset=utf-8", []string{"Order #1"}, nil},
		{"home is the list", req{"GET", "/", "", map[string]string{"Accept": "text/html"}}, 200, "text/html; charset=utf-8", []string{"<h1>Orders"}, nil},
		{"static css", req{"GET", "/static/app.css", "", nil}, 200, "text/css; charset=utf-8", nil, map[string]string{"X-Content-Type-Options": "nosniff"}},
		{"no directory listing", req{"GET", "/static/", "", nil}, 404, "", nil, nil},
		// Paths and methods no route answers: problems like every other
		// error (they were the mux's text/plain).
		{"unknown path as JSON", req{"GET", "/nope", "", map[string]string{"Accept": "application/json"}}, 404, "application/problem+json", []string{`"status":404`}, nil},
		{"unknown path as a page", req{"GET", "/nope", "", map[string]string{"Accept": "text/html"}}, 404, "text/html; charset=utf-8", []string{"404 Not Found"}, nil},
		{"wrong method", req{"DELETE", "/orders/1", "", nil}, 405, "application/problem+json", []string{"DELETE is not allowed"}, map[string]string{"Allow": "GET, HEAD"}},
		{"wrong method on the list", req{"PUT", "/orders", "", nil}, 405, "application/problem+json", nil, map[string]string{"Allow": "GET, POST, HEAD"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := do(t, h, tt.req)
			if w.Code != tt.status && !(tt.name == "unknown version in path" && w.Code == 404) {
				t.Fatalf("status %d, want %d\n%s", w.Code, tt.status, w.Body)
			}
			if ct := w.Header().Get("Content-Type"); tt.contentType != "" && ct != tt.contentType {
				t.Errorf("Content-Type %q, want %q", ct, tt.contentType)
			}
			for _, s := range tt.contains {
				if !strings.Contains(w.Body.String(), s) {
					t.Errorf("body lacks %s:\n%s", s, w.Body)
				}
			}
			for k, v := range tt.header {
				if got := w.Header().Get(k); got != v {
					t.Errorf("%s: %q, want %q", k, got, v)
				}
			}
		})
	}
}

// TestForms drives the pages as a browser would: post the form, follow the
// redirect with the session cookie, see the flash, press a button.
func TestForms(t *testing.T) {
	h := newTestServer(t)
	var cookies []*http.Cookie
	send := func(method, path, form string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(method, path, strings.NewReader(form))
		r.Header.Set("Accept", "text/html")
		r.Header.Set("Sec-Fetch-Site", "same-origin")
		if form != "" {
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		for _, c := range cookies {
			r.AddCookie(c)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		for _, c := range w.Result().Cookies() {
			cookies = nil // one session cookie; a deleted one is dropped, as browsers do
			if c.MaxAge >= 0 {
				cookies = append(cookies, c)
			}
		}
		return w
	}
	tests := []struct {
		name, method, path, form string
		status                   int
		location                 string
		contains                 []string
	}{
		{"invalid form shows errors", "POST", "/orders", "customer=&currency=EUR&sku=A&name=Tea&quantity=x&price=1.234&idempotency_key=f0", 422, "",
			[]string{"The order was not created", "Item 1 quantity: must be a whole number", "Item 1 price", "Customer: is required", `value="Tea"`}},
		{"valid form redirects", "POST", "/orders", "customer=Ada&currency=EUR&sku=A&name=Tea&quantity=2&price=3.5&sku=&name=&quantity=&price=&idempotency_key=f1", 303, "/orders/1", nil},
		{"flash after redirect", "GET", "/orders/1", "", 200, "", []string{"Order #1 created for Ada.", "7.00 EUR", "Mark as paid"}},
		{"flash shown once", "GET", "/orders/1", "", 200, "", nil},
		{"double submit", "POST", "/orders", "customer=Ada&currency=EUR&sku=A&name=Tea&quantity=2&price=3.5&idempotency_key=f1", 303, "/orders/1", nil},
		{"pay", "POST", "/orders/1/transitions", "status=paid", 303, "/orders/1", nil},
		{"paid flash", "GET", "/orders/1", "", 200, "", []string{"Order #1 is now paid.", "Mark as shipped"}},
		{"invalid transition flashes", "POST", "/orders/1/transitions", "status=delivered", 303, "/orders/1", nil},
		{"transition refusal shown", "GET", "/orders/1", "", 200, "", []string{"Not changed: order is paid and cannot become delivered"}},
		{"one order listed", "GET", "/orders", "", 200, "", []string{`(1)`, `href="/orders/1"`}},
	}
	for _, tt := range tests {
		w := send(tt.method, tt.path, tt.form)
		if w.Code != tt.status {
			t.Fatalf("%s: status %d, want %d\n%s", tt.name, w.Code, tt.status, w.Body)
		}
		if tt.location != "" && w.Header().Get("Location") != tt.location {
			t.Errorf("%s: Location %q, want %q", tt.name, w.Header().Get("Location"), tt.location)
		}
		for _, s := range tt.contains {
			if !strings.Contains(w.Body.String(), s) {
				t.Errorf("%s: body lacks %q:\n%s", tt.name, s, w.Body)
			}
		}
		if tt.name == "flash shown once" && strings.Contains(w.Body.String(), "created for Ada") {
			t.Errorf("flash shown twice")
		}
	}
}

// TestProblemTypesAreDocumented follows the "type" member of each problem
// this service sends: every one resolves to a page saying what it means.
func TestProblemTypesAreDocumented(t *testing.T) {
	for typ, doc := range problemDocs {
		rec := httptest.NewRecorder()
		mux := http.NewServeMux()
		mux.HandleFunc("GET /problems/{name}", problemDoc)
		mux.ServeHTTP(rec, httptest.NewRequest("GET", typ, nil))
		if rec.Code != 200 || rec.Body.String() != doc || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/plain") {
			t.Errorf("GET %s: %d %q %q", typ, rec.Code, rec.Header().Get("Content-Type"), rec.Body.String())
		}
	}
	rec := httptest.NewRecorder()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /problems/{name}", problemDoc)
	mux.ServeHTTP(rec, httptest.NewRequest("GET", "/problems/nope", nil))
	if rec.Code != 404 {
		t.Errorf("unknown problem type: %d", rec.Code)
	}
}
