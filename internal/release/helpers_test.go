package release

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// hostPlatform is the platform tests build for, so images can run here.
var hostPlatform = v1.Platform{OS: "linux", Architecture: runtime.GOARCH}

const helloMain = `package main

import (
	"fmt"
	"net/http"
	"os"
)

func main() {
	http.HandleFunc("/readyz", func(w http.ResponseWriter, r *http.Request) { fmt.Fprintln(w, "ok") })
	if err := http.ListenAndServe(os.Getenv("ADDR"), nil); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
`

// fixtureRepo makes a one-commit git repository holding a small module
// with a main package, and returns its directory.
func fixtureRepo(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	write(t, filepath.Join(dir, "go.mod"), "module example.com/hello\n\ngo 1.26\n")
	write(t, filepath.Join(dir, "main.go"), helloMain)
	gitRun(t, dir, "init", "-q")
	gitRun(t, dir, "add", ".")
	gitRun(t, dir, "commit", "-q", "-m", "hello")
	return dir
}

func write(t testing.TB, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

func gitRun(t testing.TB, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false"}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_DATE=2026-01-02T03:04:05Z", "GIT_COMMITTER_DATE=2026-01-02T03:04:05Z")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
}

// testKey is one key pair for the whole test binary (scrypt is slow on
// purpose).
var testKey = sync.OnceValues(func() ([]byte, []byte) {
	priv, pub, err := GenerateKeyPair([]byte("test password"))
	if err != nil {
		panic(err)
	}
	return priv, pub
})

// orders builds examples/orders once per test binary.
//
//lint:ignore U1000 used by the Linux-only image tests
var ordersOnce struct {
	sync.Once
	a   *Artifact
	err error
}

//lint:ignore U1000 used by the Linux-only image tests
func ordersArtifact(t testing.TB) *Artifact {
	t.Helper()
	ordersOnce.Do(func() {
		priv, _ := testKey()
		key, err := LoadPrivateKey(priv, []byte("test password"))
		if err != nil {
			ordersOnce.err = err
			return
		}
		ordersOnce.a, ordersOnce.err = Build(context.Background(), Options{
			Dir: "../..", Package: "./examples/orders", Image: fmt.Sprintf("example.com/golocal/orders:test-%d", os.Getpid()),
			Platforms: []v1.Platform{hostPlatform}, AllowDirty: true, Key: key, Tool: "test",
		})
	})
	if ordersOnce.err != nil {
		t.Fatalf("release of examples/orders: %v", ordersOnce.err)
	}
	return ordersOnce.a
}
