package serve_test

import (
	"os"
	"testing"

	"github.com/golocal/golocal/serve/draintest"
)

// TestMain lets the drain test re-execute this test binary as the server
// under test: a real child process, not a goroutine, so SIGTERM, exit
// codes and socket inheritance are the real thing.
func TestMain(m *testing.M) {
	if draintest.IsChild(os.Getenv) {
		os.Exit(draintest.ChildMain(os.Getenv, os.Stderr))
	}
	os.Exit(m.Run())
}
