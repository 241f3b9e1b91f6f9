package draintest_test

import (
	"context"
	"log"
	"os"
	"os/exec"

	"github.com/golocal/golocal/serve/draintest"
)

// A program that measures its own drain: it re-executes itself as the
// child.
func Example() {
	// At the very top of main:
	if draintest.IsChild(os.Getenv) {
		os.Exit(draintest.ChildMain(os.Getenv, os.Stderr))
	}
	self, err := os.Executable()
	if err != nil {
		log.Fatal(err)
	}
	rep, err := draintest.Run(context.Background(), draintest.Config{
		Command: func() *exec.Cmd { return exec.Command(self) },
	})
	if err != nil {
		log.Fatal(err)
	}
	rep.WriteText(os.Stdout)
	if len(rep.Problems()) > 0 {
		os.Exit(1)
	}
}
