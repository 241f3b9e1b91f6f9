package admin_test

import (
	"fmt"
	"net/http/httptest"

	"github.com/golocal/golocal/admin"
)

func ExampleNew() {
	type Config struct {
		Port     int    `config:"port"`
		Password string `config:"password" secret:"true"`
	}
	cfg := Config{Port: 8080, Password: "hunter2"}
	h := admin.New(admin.Options{Config: func() any { return cfg }})

	r := httptest.NewRequest("GET", "http://127.0.0.1:9090/debug/config", nil)
	r.RemoteAddr = "127.0.0.1:50000" // serve's admin listener only accepts loopback
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	fmt.Print(rec.Body)

	r = httptest.NewRequest("GET", "http://127.0.0.1:9090/debug/pprof/", nil)
	r.RemoteAddr = "127.0.0.1:50000"
	r.Header.Set("X-Forwarded-For", "203.0.113.9")
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	fmt.Print(rec.Code, " ", rec.Body)
	// Output:
	// {
	//   "password": "[redacted]",
	//   "port": 8080
	// }
	// 403 403 Forbidden: admin endpoints refuse proxied requests: the request carries X-Forwarded-For, so it came through a proxy; connect to the admin port directly from the host, for example curl http://127.0.0.1:PORT/debug/pprof/
}
