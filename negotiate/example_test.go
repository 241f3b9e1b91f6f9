package negotiate_test

import (
	"context"
	"fmt"
	"html/template"
	"net/http"
	"net/http/httptest"

	"github.com/golocal/golocal/negotiate"
)

func ExampleChoose() {
	browser := []string{"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
	offers := []string{"application/json", "text/html; charset=utf-8"}

	fmt.Println(negotiate.Choose(browser, offers))
	fmt.Println(negotiate.Choose([]string{"*/*"}, offers))
	fmt.Println(negotiate.Choose([]string{"text/*;q=0.1, text/html"}, []string{"text/plain", "text/html"}))
	fmt.Println(negotiate.Choose([]string{"*/*;q=0"}, offers))
	// Output:
	// text/html; charset=utf-8 true
	// application/json true
	// text/html true
	//  false
}

func ExampleParseAccept() {
	// Two field lines, an invalid weight, an empty member.
	for _, m := range negotiate.ParseAccept([]string{"text/html;level=1, text/*;q=0.5", "image/png;q=1.0001, ,*/*;q=0.1"}) {
		fmt.Println(m.Type, m.Subtype, m.Params, m.Q)
	}
	// Output:
	// text html [{level 1}] 1
	// text * [] 0.5
	// * * [] 0.1
}

// nonce stands in for middleware.Nonce, which has this signature.
func nonce(ctx context.Context) string { return "r4nd0m" }

func ExampleRender() {
	page := template.Must(template.New("order").Parse(
		`<h1>Order {{.Value.ID}}</h1><script nonce="{{.Nonce}}">track()</script>`))
	opts := negotiate.Options{Template: page, Nonce: nonce}
	order := struct {
		ID int `json:"id"`
	}{7}

	for _, accept := range []string{"application/json", "text/html", "image/png"} {
		r := httptest.NewRequest("GET", "/orders/7", nil)
		r.Header.Set("Accept", accept)
		w := httptest.NewRecorder()
		negotiate.Render(w, r, order, opts)
		fmt.Println(w.Code, w.Header().Get("Content-Type"), w.Header().Get("Vary"))
		if w.Code == 200 {
			fmt.Println(w.Body)
		}
	}
	// Output:
	// 200 application/json Accept
	// {"id":7}
	//
	// 200 text/html; charset=utf-8 Accept
	// <h1>Order 7</h1><script nonce="r4nd0m">track()</script>
	// 406 application/problem+json Accept
}

func ExampleNegotiate() {
	report := func(w http.ResponseWriter, r *http.Request) {
		ct, ok := negotiate.Negotiate(w, r, "application/json", "text/csv")
		if !ok {
			return // 406 problem already written
		}
		w.Header().Set("Content-Type", ct)
		fmt.Fprintln(w, "written as", ct)
	}
	r := httptest.NewRequest("GET", "/report", nil)
	r.Header.Set("Accept", "text/csv, application/json;q=0.5")
	w := httptest.NewRecorder()
	report(w, r)
	fmt.Print(w.Body)
	// Output:
	// written as text/csv
}

func ExampleVersions() {
	versions := negotiate.Versions{Name: "orders", Supported: []int{1, 2}}
	h := versions.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, _ := negotiate.VersionFromContext(r.Context())
		negotiate.Render(w, r, map[string]int{"version": v.Number}, negotiate.Options{})
	}))

	for _, tc := range []struct{ path, accept string }{
		{"/api/orders", ""},
		{"/api/v2/orders", ""},
		{"/api/orders", "application/vnd.orders.v2+json"},
		{"/api/orders", "application/json; version=2"},
		{"/api/orders", "application/vnd.orders.v3+json"},
		{"/api/v3/orders", ""},
	} {
		r := httptest.NewRequest("GET", tc.path, nil)
		if tc.accept != "" {
			r.Header.Set("Accept", tc.accept)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		fmt.Println(w.Code, w.Header().Get("Content-Type"))
	}
	// Output:
	// 200 application/json; version=1
	// 200 application/json; version=2
	// 200 application/vnd.orders.v2+json
	// 200 application/json; version=2
	// 406 application/problem+json
	// 406 application/problem+json
}
