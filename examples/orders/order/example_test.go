package order_test

import (
	"errors"
	"fmt"

	"github.com/golocal/golocal/examples/orders/order"
)

// Validate lists every bad field by its JSON path; the state machine says
// which transitions are allowed.
func ExampleNew_Validate() {
	n := order.New{Customer: "Ada", Currency: "EUR", Items: []order.Item{{SKU: "TEA", Name: "Tea", Quantity: -1, UnitPrice: 350}}}
	var ve *order.ValidationError
	if errors.As(n.Validate(), &ve) {
		for _, f := range ve.Fields {
			fmt.Println(f.Field, f.Message)
		}
	}
	fmt.Println(order.Created.CanBecome(order.Paid), order.Created.CanBecome(order.Delivered), order.Paid.Next())
	// Output:
	// items[0].quantity must be between 1 and 10000
	// true false [shipped cancelled]
}
