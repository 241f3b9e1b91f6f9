package web_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"

	"github.com/golocal/golocal/examples/orders/sqlstore"
	"github.com/golocal/golocal/examples/orders/web"
)

// A JSON client creates an order through API version 2.
func ExampleNew() {
	dir, _ := os.MkdirTemp("", "orders-example")
	defer os.RemoveAll(dir)
	store, err := sqlstore.OpenSQLite(context.Background(), filepath.Join(dir, "orders.db"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer store.Close()
	h, err := web.New(web.Options{Orders: store})
	if err != nil {
		fmt.Println(err)
		return
	}
	body := `{"customer":"Ada","currency":"EUR","items":[{"sku":"A1","name":"Tea","quantity":2,"unit_price":{"amount":"3.50","currency":"EUR"}}]}`
	req := httptest.NewRequest("POST", "/api/v2/orders", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	fmt.Println(rec.Code, rec.Header().Get("Location"), rec.Header().Get("Content-Type"))
	fmt.Println(strings.Contains(rec.Body.String(), `"total":{"amount":"7.00","currency":"EUR"}`))
	// Output:
	// 201 /api/v2/orders/1 application/json; version=2
	// true
}
