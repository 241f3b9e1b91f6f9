package sqlstore_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/golocal/golocal/examples/orders/order"
	"github.com/golocal/golocal/examples/orders/sqlstore"
)

// Open the default store, a SQLite file (created with its folder and
// migrated on open), and create an order idempotently.
func ExampleOpenSQLite() {
	dir, _ := os.MkdirTemp("", "sqlstore-example")
	defer os.RemoveAll(dir)
	store, err := sqlstore.OpenSQLite(context.Background(), filepath.Join(dir, "data", "orders.db"))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer store.Close()
	n := order.New{Customer: "Ada", Currency: "EUR", Items: []order.Item{{SKU: "TEA", Name: "Tea", Quantity: 2, UnitPrice: 350}}}
	o, created, err := store.Create(context.Background(), n, "key-1")
	fmt.Println(o.ID, o.Total, o.Status, created, err)
	again, created, err := store.Create(context.Background(), n, "key-1")
	fmt.Println(again.ID, created, err)
	// Output:
	// 1 700 created true <nil>
	// 1 false <nil>
}
