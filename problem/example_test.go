package problem_test

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http/httptest"

	"github.com/golocal/golocal/problem"
)

func ExampleWrite() {
	rec := httptest.NewRecorder()
	problem.Write(rec, httptest.NewRequest("GET", "/account/12345", nil), &problem.Details{
		Type:       "https://example.com/probs/out-of-credit",
		Title:      "You do not have enough credit.",
		Status:     403,
		Detail:     "Your current balance is 30, but that costs 50.",
		Extensions: map[string]any{"balance": 30},
	})
	fmt.Println(rec.Code, rec.Header().Get("Content-Type"))
	fmt.Print(rec.Body)
	// Output:
	// 403 application/problem+json
	// {"type":"https://example.com/probs/out-of-credit","title":"You do not have enough credit.","status":403,"detail":"Your current balance is 30, but that costs 50.","balance":30}
}

func ExampleErrorf() {
	err := problem.Errorf(problem.NotFound, "order %d does not exist", 42)
	fmt.Println(err.Status(), err)
	// Output:
	// 404 not_found: order 42 does not exist
}

func ExampleError() {
	// A database error must not reach the client: it is logged, and the
	// client gets a generic 500.
	rs := problem.Responder{Logger: slog.New(slog.DiscardHandler)}
	rec := httptest.NewRecorder()
	rs.Error(rec, httptest.NewRequest("GET", "/orders/42", nil), errors.New("dial tcp 10.0.0.5:5432: connection refused"))
	fmt.Println(rec.Code)
	fmt.Print(rec.Body)
	// Output:
	// 500
	// {"type":"about:blank","title":"Internal Server Error","status":500,"detail":"The server failed to complete the request. The failure has been logged."}
}

func ExampleInvalidFields() {
	rec := httptest.NewRecorder()
	problem.Error(rec, httptest.NewRequest("POST", "/orders", nil), problem.InvalidFields(
		problem.FieldError{Field: "quantity", Message: "must be at least 1"},
		problem.FieldError{Field: "sku", Message: "is required"},
	))
	fmt.Println(rec.Code)
	fmt.Print(rec.Body)
	// Output:
	// 400
	// {"type":"about:blank","title":"Bad Request","status":400,"detail":"the request has invalid fields: quantity, sku","errors":[{"field":"quantity","message":"must be at least 1"},{"field":"sku","message":"is required"}]}
}

func ExampleCreated() {
	rec := httptest.NewRecorder()
	problem.Created(rec, httptest.NewRequest("POST", "/orders", nil), "/orders/7", map[string]any{"id": 7})
	fmt.Println(rec.Code, rec.Header().Get("Location"))
	fmt.Print(rec.Body)
	// Output:
	// 201 /orders/7
	// {"id":7}
}
