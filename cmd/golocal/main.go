// Command golocal takes a Go web service from `go run` to a service that
// every browser accepts and production trusts: hot reload (golocal dev),
// HTTP timing and linting (golocal probe) and port diagnostics (golocal port).
//
// main is deliberately thin: everything lives in internal/cli so that tests
// can run the whole CLI in-process with their own environment and streams.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/golocal/golocal/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
