package session_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/golocal/golocal/session"
)

// A form handler leaves a flash message; the page it redirects to shows it
// once. In production the key comes from configuration through ParseKeys.
func ExampleManager_Middleware() {
	m, err := session.New(session.Options{
		Keys:    [][]byte{bytes.Repeat([]byte{7}, session.KeySize)},
		Profile: "prod",
	})
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /orders", func(w http.ResponseWriter, r *http.Request) {
		session.FromContext(r.Context()).AddFlash("Order created")
		http.Redirect(w, r, "/orders", http.StatusSeeOther)
	})
	mux.HandleFunc("GET /orders", func(w http.ResponseWriter, r *http.Request) {
		for _, msg := range session.FromContext(r.Context()).Flashes() {
			fmt.Fprintln(w, msg)
		}
	})
	h := m.Middleware(mux)

	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("POST", "/orders", nil))
	c := rec.Result().Cookies()[0]
	fmt.Println(c.Name, c.Secure, c.HttpOnly, c.SameSite == http.SameSiteLaxMode)

	next := httptest.NewRequest("GET", "/orders", nil)
	next.AddCookie(c)
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, next)
	fmt.Print(rec.Body.String())
	// Output:
	// __Host-session true true true
	// Order created
}
