// Package devtest holds what the tests and benchmarks of golocal dev share:
// the small net/http app they build and edit, and module writing that
// saves files the way editors do.
package devtest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// PortApp is a 15-line net/http app that only knows PORT, like most. BODY
// is what it answers; fmt.Fprint(w, "BODY") is on line 11, column 17 for
// the tests that break it.
const PortApp = `package main

import (
	"fmt"
	"net/http"
	"os"
)

func main() {
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "BODY")
	})
	if err := http.ListenAndServe("127.0.0.1:"+os.Getenv("PORT"), nil); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
`

// App returns PortApp answering body.
func App(body string) string { return strings.Replace(PortApp, "BODY", body, 1) }

// WriteModule creates a module (example.test/app, unless files has a
// go.mod) with the given files in a fresh temporary folder.
func WriteModule(t testing.TB, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	if _, ok := files["go.mod"]; !ok {
		files["go.mod"] = "module example.test/app\n\ngo 1.26\n"
	}
	for name, content := range files {
		Save(t, filepath.Join(dir, name), content)
	}
	return dir
}

// Save writes like an editor: a hidden temporary file renamed into place,
// so a watcher never sees half a file.
func Save(t testing.TB, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp")
	if err := os.WriteFile(tmp, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}
