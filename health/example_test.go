package health_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/golocal/golocal/health"
)

func Example() {
	h := health.New(health.Options{})
	err := h.Add(health.Check{
		Name: "queue", // readiness by default
		Func: func(ctx context.Context) (health.Details, error) {
			return health.Details{"depth": 12000}, errors.New("queue depth 12000 over 10000")
		},
	})
	if err != nil {
		fmt.Println(err)
	}
	mux := http.NewServeMux()
	h.Register(mux)

	for _, target := range []string{"/livez?verbose", "/readyz", "/readyz?exclude=queue"} {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest("GET", target, nil))
		fmt.Printf("%s → %d\n%s\n", target, rec.Code, rec.Body)
	}
	// Output:
	// /livez?verbose → 200
	// [+]ping ok
	// livez check passed
	//
	// /readyz → 503
	// [+]shutdown ok
	// [-]queue failed: reason withheld
	// readyz check failed
	//
	// /readyz?exclude=queue → 200
	// ok
}

func ExampleHealth_Add_invalidName() {
	h := health.New(health.Options{})
	fmt.Println(h.Add(health.Check{Name: "Primary DB", Func: func(context.Context) (health.Details, error) { return nil, nil }}))
	// Output:
	// health: Add: invalid health check name "Primary DB": it may contain only lowercase letters a-z, digits 0-9 and '-', must start and end with a letter or digit, and be at most 63 characters (for example "db" or "payments-api")
}

func ExampleHealth_MarkStopping() {
	h := health.New(health.Options{})
	h.MarkStopping() // serve.Options{OnStopping: []func(){h.MarkStopping}} does this for you
	rec := httptest.NewRecorder()
	h.DetailedHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/readyz", nil))
	fmt.Print(rec.Code, "\n", rec.Body)
	// Output:
	// 503
	// [-]shutdown failed: shutting down
	// readyz check failed
}

func ExampleDB() {
	// db, _ := sql.Open("sqlite", "app.db")
	h := health.New(health.Options{})
	_ = h.Add(health.Check{
		Name: "db",
		Func: health.DB(nil /* db */, health.DBOptions{Saturation: 0.8}),
	})
	rec := httptest.NewRecorder()
	h.DetailedHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/readyz/db", nil))
	fmt.Print(rec.Code, " ", rec.Body)
	// Output:
	// 503 internal server error: health.DB was given a nil *sql.DB
}
