package ordertest_test

import (
	"fmt"

	"github.com/golocal/golocal/examples/orders/order/ordertest"
)

// Sample is a valid create request for tests; a repository's test calls
// ordertest.Run(t, open) with a function that opens an empty repository.
func ExampleSample() {
	n := ordertest.Sample(3)
	fmt.Println(n.Customer, len(n.Items), n.Total(), n.Validate())
	// Output:
	// customer-3 2 2199 <nil>
}
