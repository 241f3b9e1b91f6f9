package devtest

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Golocal is this repository's module path.
const Golocal = "github.com/golocal/golocal"

// KitModule returns the go.mod and go.sum of a module named module that
// uses golocal's packages from this checkout (a replace line), as an app
// built on the kit would before go mod tidy: it requires golocal alone, and
// the go command finds the rest through golocal's go.mod. go.sum is
// golocal's. Building it with GOFLAGS=-mod=mod may need go.mod files of
// modules that golocal's own build never read: keep GOPROXY as the
// environment sets it, unless the app imports only packages whose
// dependencies the repository's build has already loaded (serve does).
func KitModule(t testing.TB, module string) (gomod, gosum string) {
	t.Helper()
	repo := RepoRoot(t)
	sum, err := os.ReadFile(filepath.Join(repo, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	gomod = fmt.Sprintf("module %s\n\ngo 1.26\n\nrequire %s v0.0.0\n\nreplace %s => %s\n", module, Golocal, Golocal, repo)
	return gomod, string(sum)
}

// RepoRoot returns the root of this checkout (the folder of golocal's
// go.mod), found with go list -m from the test's working directory.
func RepoRoot(t testing.TB) string {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", Golocal).Output()
	if err != nil {
		t.Fatalf("cannot find the golocal checkout with go list -m: %v", err)
	}
	return strings.TrimSpace(string(out))
}
