package devtest_test

import (
	"fmt"
	"strings"

	"github.com/golocal/golocal/internal/devtest"
)

func ExampleApp() {
	src := devtest.App("hello")
	fmt.Println(strings.Contains(src, `fmt.Fprint(w, "hello")`))
	// Output: true
}
