package devloop

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/golocal/golocal/internal/devtest"
)

// TestModelLoadWaitsForSettled: after a go build the program model is
// loaded again only once the runner says the build's outcome is served
// (Settled), so go list does not compete with the new version's start.
// Until then Outside answers "not known" for every file — the build may
// have added the import that brings one in — and Settled starts the load.
func TestModelLoadWaitsForSettled(t *testing.T) {
	goCmd, err := findGo(os.Getenv)
	if err != nil {
		t.Skip(err)
	}
	mainSrc := "package main\n\nimport \"fmt\"\n\nfunc main() { fmt.Println(\"v0\") }\n"
	mainImports := "package main\n\nimport (\n\t\"fmt\"\n\n\t\"example.test/app/other\"\n)\n\nfunc main() { fmt.Println(other.V) }\n"
	dir := devtest.WriteModule(t, map[string]string{
		"main.go":        mainSrc,
		"other/other.go": "package other\n\nconst V = \"o\"\n",
	})
	b, tmp := testBuilder(t, goCmd, dir)
	ctx := context.Background()
	if _, err := b.Build(ctx, nil, filepath.Join(tmp, "bin-1")); err != nil {
		t.Fatal(err)
	}
	builderReady(t, b)
	if !b.Outside([]string{"other/other.go"}) {
		t.Fatal("other/other.go should be outside the program before main imports it")
	}

	writeFile(t, filepath.Join(dir, "main.go"), mainImports)
	res, err := b.Build(ctx, []string{"main.go"}, filepath.Join(tmp, "bin-2"))
	if err != nil {
		t.Fatal(err)
	}
	if res.Direct {
		t.Fatalf("a new import must take go build, took %q", res.How)
	}
	if b.Outside([]string{"other/other.go"}) {
		t.Error("right after the go build that imported it, other/other.go was still called outside the program")
	}
	time.Sleep(refreshDelay / 2)
	b.mu.Lock()
	deferred, progSeq := b.deferred, b.progSeq
	b.mu.Unlock()
	if !deferred || progSeq != 1 {
		t.Errorf("before Settled: deferred %v, model of build %d; want the load deferred and the model of build 1", deferred, progSeq)
	}
	builderReady(t, b) // calls Settled
	if b.Outside([]string{"other/other.go"}) {
		t.Error("with the new model, other/other.go is imported: not outside")
	}
	if !b.Outside([]string{"unrelated/x.go"}) {
		t.Error("with the new model loaded, a folder the program does not import should be outside")
	}
}
