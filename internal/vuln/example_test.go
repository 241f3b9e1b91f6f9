package vuln_test

import (
	"context"
	"fmt"
	"os"

	"github.com/golocal/golocal/internal/vuln"
)

// Scan a module against a local copy of the vulnerability database and fail
// when a vulnerable symbol is reachable.
func Example() {
	r, err := vuln.Scan(context.Background(), vuln.Options{Target: "./...", DB: "/srv/vulndb"})
	if err != nil {
		fmt.Println(err)
		return
	}
	r.WriteText(os.Stdout)
	if r.Fails(vuln.Called) {
		os.Exit(1)
	}
}
