package browsertest_test

import (
	"fmt"
	"os"

	"github.com/golocal/golocal/internal/browsertest"
)

// ExampleExecPath shows how a test helper decides whether a browser test
// can run; New does the same and skips (or fails under
// GOLOCAL_REQUIRE_BROWSER=1) when nothing is found.
func ExampleExecPath() {
	getenv := func(key string) string {
		if key == browsertest.EnvPath {
			return "/nonexistent/chromium"
		}
		return os.Getenv(key)
	}
	path, found := browsertest.ExecPath(getenv)
	fmt.Println(path, found)
	// Output: /nonexistent/chromium false
}
