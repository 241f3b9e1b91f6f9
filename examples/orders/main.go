// Command orders is golocal's reference service: a small order-fulfilment
// API with HTML pages, on SQLite by default and PostgreSQL when DATABASE_URL
// is set.
//
//	go run ./cmd/golocal dev ./examples/orders     # development, live reload
//	ORDERS_PROFILE=dev go run ./examples/orders    # without the dev runner
//
// Configuration: run with -h, or see package app.
package main

import (
	"context"
	"fmt"
	"os"

	"github.com/golocal/golocal/examples/orders/app"
)

func main() {
	if err := app.Run(context.Background(), os.Args[1:], os.Environ(), os.Stdout, os.Stderr); err != nil {
		fmt.Fprintf(os.Stderr, "orders: %v\n", err)
		os.Exit(1)
	}
}
