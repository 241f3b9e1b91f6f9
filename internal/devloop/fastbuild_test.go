package devloop

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golocal/golocal/internal/devtest"
)

// The differential test's program: main imports internal/web, which
// embeds a template folder and imports internal/store (two levels below
// main). Every version prints what each package contributes.
const (
	diffMain = `package main

import (
	"fmt"

	"example.test/app/internal/web"
)

func main() {
	fmt.Println("main:MAIN")
	fmt.Println(web.Render())
}
`
	diffWeb = `package web

import (
	"embed"
	"fmt"
	"strings"

	"example.test/app/internal/store"
)

//go:embed templates
var files embed.FS

//go:noinline
func Render() string {
	page, _ := files.ReadFile("templates/page.txt")
	return strings.Join([]string{"web:WEB", string(page), store.Value(), fmt.Sprint(store.Limit)}, " ")
}
`
	diffStore = `package store

const Limit = 10

func Value() string { return "store:STORE" }
`
)

// builderReady waits until b's model is loaded for its last go build. It
// first says the build is settled, as the runner does once the new
// version serves.
func builderReady(t *testing.T, b *Builder) {
	t.Helper()
	b.Settled()
	waitUntil(t, 60*time.Second, "the program model", func() bool {
		b.mu.Lock()
		defer b.mu.Unlock()
		return b.prog != nil && b.progSeq >= b.planSeq
	})
}

// runBinary runs a built program and returns what it printed.
func runBinary(t *testing.T, bin string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin).CombinedOutput()
	if err != nil {
		t.Fatalf("running %s: %v\n%s", bin, err, out)
	}
	return string(out)
}

// TestFastBuildBehavesLikeGoBuild applies a table of edits across the
// packages of a module; after each, the Builder's binary and go build's
// print exactly the same, and the Builder took the path it should.
func TestFastBuildBehavesLikeGoBuild(t *testing.T) {
	goCmd, err := findGo(os.Getenv)
	if err != nil {
		t.Skip(err)
	}
	dir := devtest.WriteModule(t, map[string]string{
		"main.go":                         strings.Replace(diffMain, "MAIN", "v0", 1),
		"internal/web/web.go":             strings.Replace(diffWeb, "WEB", "v0", 1),
		"internal/web/templates/page.txt": "page:v0",
		"internal/store/store.go":         strings.Replace(diffStore, "STORE", "v0", 1),
	})
	b, tmp := testBuilder(t, goCmd, dir)
	ctx := context.Background()
	n := 0
	build := func(paths []string) BuildResult {
		t.Helper()
		n++
		res, err := b.Build(ctx, paths, filepath.Join(tmp, "bin-"+itoa(n)))
		if err != nil {
			t.Fatalf("build %d (%q): %v: %s %v", n, paths, err, res.How, res.Diagnostics)
		}
		return res
	}
	if res := build(nil); !strings.HasPrefix(res.How, "full: first build") {
		t.Errorf("first build: %q", res.How)
	}
	sigWebT := strings.Replace(diffWeb, "store.Value()", "store.Value(2)", 1)
	sigWeb := strings.Replace(sigWebT, "WEB", "v3", 1)
	sigStore := "package store\n\nimport \"strings\"\n\nconst Limit = 10\n\nfunc Value(n int) string { return strings.Repeat(\"store:v3\", n) }\n"
	steps := []struct {
		name  string
		files map[string]string
		want  string // in the output
		how   string // prefix of BuildResult.How
	}{
		{"body-only edit in a sub-package", map[string]string{"internal/web/web.go": strings.Replace(diffWeb, "WEB", "v1", 1)},
			"web:v1", "fast: internal/web (export unchanged)"},
		{"edit two levels deep", map[string]string{"internal/store/store.go": strings.Replace(diffStore, "STORE", "v2", 1)},
			"store:v2", "fast: internal/store, internal/web (export changed: internal/store)"},
		{"exported signature change", map[string]string{"internal/store/store.go": sigStore, "internal/web/web.go": sigWeb},
			"store:v3store:v3", "full: internal/store: imports changed"},
		{"exported signature change, same imports", map[string]string{"internal/store/store.go": strings.Replace(sigStore, "Repeat(\"store:v3\", n)", "Repeat(\"store:v4\", n+1)", 1)},
			"store:v4store:v4store:v4", "fast: internal/store, internal/web (export changed: internal/store)"},
		{"edit in main", map[string]string{"main.go": strings.Replace(diffMain, "MAIN", "v5", 1)},
			"main:v5", "fast: . (export"},
		{"embedded file", map[string]string{"internal/web/templates/page.txt": "page:v6"},
			"page:v6", "fast: internal/web (export unchanged)"},
		{"constant inlined by an importer", map[string]string{"internal/store/store.go": strings.Replace(strings.Replace(sigStore, "Limit = 10", "Limit = 77", 1), "store:v3", "store:v7", 1)},
			" 77", "fast: internal/store, internal/web (export changed: internal/store)"},
		{"new file", map[string]string{"internal/store/extra.go": "package store\n\nfunc Extra() int { return 8 }\n"},
			"store:v7", "full: new file internal/store/extra.go"},
		{"new embedded file", map[string]string{"internal/web/templates/more.txt": "more"},
			"page:v6", "full: new embedded file internal/web/templates/more.txt"},
		{"edit after the full builds", map[string]string{"internal/web/web.go": strings.Replace(sigWebT, "WEB", "v9", 1)},
			"web:v9", "fast: internal/web (export unchanged)"},
	}
	for i, s := range steps {
		builderReady(t, b)
		var paths []string
		for rel, content := range s.files {
			devtest.Save(t, filepath.Join(dir, filepath.FromSlash(rel)), content)
			paths = append(paths, rel)
		}
		res := build(paths)
		ref := filepath.Join(tmp, "ref-"+itoa(i))
		cmd := exec.Command(goCmd, "build", "-o", ref, ".")
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s: go build: %v\n%s", s.name, err, out)
		}
		got, want := runBinary(t, res.Binary), runBinary(t, ref)
		if got != want {
			t.Errorf("%s: the Builder's binary printed\n%s\ngo build's printed\n%s", s.name, got, want)
		}
		if !strings.Contains(got, s.want) {
			t.Errorf("%s: output %q lacks %q", s.name, got, s.want)
		}
		if !strings.HasPrefix(res.How, s.how) || res.Direct != strings.HasPrefix(s.how, "fast") {
			t.Errorf("%s: how %q (direct %v), want %q…", s.name, res.How, res.Direct, s.how)
		}
	}

	// A compile error on the fast path points at the user's code, and
	// the fix builds fast again.
	builderReady(t, b)
	broken := strings.Replace(sigWeb, "return strings.Join", "return undefinedThing + strings.Join", 1)
	devtest.Save(t, filepath.Join(dir, "internal/web/web.go"), broken)
	res, err := b.Build(ctx, []string{"internal/web/web.go"}, filepath.Join(tmp, "broken"))
	if err == nil || len(res.Diagnostics) == 0 || res.Diagnostics[0].File != "internal/web/web.go" || res.Diagnostics[0].Line != 17 || res.How != "fast: internal/web failed to compile" {
		t.Fatalf("broken build: %v %q %+v", err, res.How, res.Diagnostics)
	}
	devtest.Save(t, filepath.Join(dir, "internal/web/web.go"), strings.Replace(sigWebT, "WEB", "v10", 1))
	if res := build([]string{"internal/web/web.go"}); !res.Direct || !strings.Contains(runBinary(t, res.Binary), "web:v10") {
		t.Errorf("after the fix: %q", res.How)
	}
}

// TestBuilderSafePaths covers the bad input of a dev session: each takes
// go build (or builds nothing) and says why.
func TestBuilderSafePaths(t *testing.T) {
	goCmd, err := findGo(os.Getenv)
	if err != nil {
		t.Skip(err)
	}
	dir := devtest.WriteModule(t, map[string]string{
		"main.go":      "package main\n\nimport (\n\t\"fmt\"\n\n\t\"example.test/app/cdep\"\n\t\"example.test/app/web\"\n)\n\nfunc main() { fmt.Println(web.N(), cdep.N()) }\n",
		"web/web.go":   "package web\n\nfunc N() int { return 1 }\n",
		"cdep/cdep.go": "package cdep\n\n// static int one(void) { return 1; }\nimport \"C\"\n\nfunc N() int { return int(C.one()) }\n",
	})
	b, tmp := testBuilder(t, goCmd, dir)
	ctx := context.Background()
	if _, err := b.Build(ctx, nil, filepath.Join(tmp, "first")); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		edit  func()
		paths []string
		how   string
		fails bool
	}{
		{"a package with cgo", func() {
			writeFile(t, filepath.Join(dir, "cdep/cdep.go"), "package cdep\n\n// static int one(void) { return 2; }\nimport \"C\"\n\nfunc N() int { return int(C.one()) }\n")
		}, []string{"cdep/cdep.go"}, "full: cdep has cgo files", false},
		{"an atomic save (deleted, then created)", func() {
			p := filepath.Join(dir, "web/web.go")
			os.Remove(p)
			writeFile(t, p, "package web\n\nfunc N() int { return 3 }\n")
		}, []string{"web/web.go"}, "fast: web", false},
		{"go.mod edited", func() {
			writeFile(t, filepath.Join(dir, "web/web.go"), "package web\n\nfunc N() int { return 4 }\n")
			writeFile(t, filepath.Join(dir, "go.mod"), "module example.test/app\n\ngo 1.25\n")
		}, []string{"go.mod", "web/web.go"}, "full: go.mod changed", false},
		{"kill switch", func() { b.noFast = "test" }, []string{"web/web.go"}, "full: fast builds are off (test)", false},
		{"a file deleted", func() { b.noFast = ""; os.Remove(filepath.Join(dir, "web/web.go")) }, []string{"web/web.go"}, "full: web: ", true},
		{"after a failed go build", func() { writeFile(t, filepath.Join(dir, "web/web.go"), "package web\n\nfunc N() int { return 5 }\n") }, []string{"web/web.go"}, "full: the last go build failed", false},
	}
	for i, tt := range tests {
		builderReady(t, b)
		tt.edit()
		res, err := b.Build(ctx, tt.paths, filepath.Join(tmp, "b-"+itoa(i)))
		if (err != nil) != tt.fails || !strings.HasPrefix(res.How, tt.how) {
			t.Errorf("%s: err %v, how %q, want %q (fails %v)", tt.name, err, res.How, tt.how, tt.fails)
		}
	}
}

// TestBuildWithoutExecutable: a go build that succeeds without writing a
// program (here: a library package, for which go build -o writes the
// archive) is a failed build that says so, never an app start.
func TestBuildWithoutExecutable(t *testing.T) {
	goCmd, err := findGo(os.Getenv)
	if err != nil {
		t.Skip(err)
	}
	dir := devtest.WriteModule(t, map[string]string{"lib/lib.go": "package lib\n\nfunc X() int { return 1 }\n"})
	res, err := Build(context.Background(), BuildOptions{GoCmd: goCmd, Dir: dir, Root: dir, Package: "./lib"}, filepath.Join(t.TempDir(), "out"))
	if err == nil || res.Binary != "" || len(res.Diagnostics) != 1 || !strings.Contains(res.Diagnostics[0].Message, "wrote no executable") {
		t.Fatalf("err %v, binary %q, diagnostics %+v", err, res.Binary, res.Diagnostics)
	}
}

// TestRunnerSafePaths drives the whole loop: an edit that breaks only a
// test file builds nothing, and go.mod saved while a build runs ends in a
// go build that says why.
func TestRunnerSafePaths(t *testing.T) {
	dir := writeModule(t, map[string]string{"main.go": appSource("v1"), "main_test.go": "package main\n"})
	l := startLoop(t, Options{Dir: dir})
	l.waitFor(EventSwapped, buildTimeout)
	waitFastReady(t, l.r)
	before := l.r.Builds()
	writeFile(t, filepath.Join(dir, "main_test.go"), "package main\n\nfunc broken( {\n")
	time.Sleep(time.Second) // debounce and more: nothing may start
	if n := l.r.Builds() - before; n != 0 {
		t.Fatalf("breaking a test file started %d builds", n)
	}

	writeFile(t, filepath.Join(dir, "main.go"), appSource("v2"))
	l.waitFor(EventBuildStarted, 10*time.Second)
	writeFile(t, filepath.Join(dir, "go.mod"), "module example.test/app\n\ngo 1.26\n\n// edited mid-build\n")
	waitUntil(t, buildTimeout, "v2 served after a go build", func() bool {
		body, _ := get(l.up.Load())
		if body != "v2" {
			return false
		}
		l.mu.Lock()
		defer l.mu.Unlock()
		last := l.all[len(l.all)-1]
		for i := len(l.all) - 1; i >= 0 && last.Kind != EventSwapped; i-- {
			last = l.all[i]
		}
		return last.Kind == EventSwapped && last.How == "full: go.mod changed"
	})
}

// testBuilder returns a Builder for the main package of dir whose go
// build and fast builds work in a temporary folder (returned), closed at
// the end of the test.
func testBuilder(t *testing.T, goCmd, dir string) (*Builder, string) {
	t.Helper()
	tmp := t.TempDir()
	b := NewBuilder(BuildOptions{GoCmd: goCmd, Dir: dir, Root: dir, Package: ".", Env: append(os.Environ(), "GOTMPDIR="+tmp)}, tmp, "")
	t.Cleanup(b.Close)
	return b, tmp
}
