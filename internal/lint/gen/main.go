// Command gen writes docs/lint-rules.md, the lint rule catalog, from the
// registry in internal/lint. Run it through go generate:
//
//	go generate ./internal/lint
//
// or directly: go run ./internal/lint/gen -o docs/lint-rules.md
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"

	"github.com/golocal/golocal/internal/lint"
)

func main() {
	out := flag.String("o", "docs/lint-rules.md", "file to write")
	flag.Parse()
	var b bytes.Buffer
	if err := lint.WriteCatalog(&b); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
	if err := os.WriteFile(*out, b.Bytes(), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}
