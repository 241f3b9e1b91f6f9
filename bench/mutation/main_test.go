package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestTableIsCurrent: every mutant's Old is found exactly once in its
// file, so an edit elsewhere in the repository that moves or rewrites a
// mutated line shows here, not as a silently skipped mutant.
func TestTableIsCurrent(t *testing.T) {
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	if err := preflight(root, mutants); err != nil {
		t.Error(err)
	}
	for pkg := range testArgs {
		if !slices.Contains(tablePackages(), pkg) {
			t.Errorf("testArgs names %s, which has no mutant in the table", pkg)
		}
	}
}

// TestPreflightRefusesStaleEntries: a table entry whose line changed stops
// the run before any test, naming every broken entry.
func TestPreflightRefusesStaleEntries(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "f.go"), []byte("package f\n\nvar x = 1 > 2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		table []mutant
		want  string
	}{
		{[]mutant{{File: "f.go", Old: "1 > 2", New: "1 >= 2"}}, ""},
		{[]mutant{{File: "f.go", Old: "1 < 2", New: "1 <= 2"}, {File: "f.go", Old: "\n", New: "y"}}, "2 stale table entries"},
		{[]mutant{{File: "f.go", Old: "1 > 2", New: "1 > 2"}}, "changes nothing"},
		{[]mutant{{File: "gone.go", Old: "a", New: "b"}}, "gone.go"},
	} {
		err := preflight(dir, tt.table)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%v: %v", tt.table, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%v: error %v, want one containing %q", tt.table, err, tt.want)
		}
	}
}

func TestApply(t *testing.T) {
	src := []byte("a\nif x > 1 {\nb\nif y > 1 {\n")
	got, line, err := apply(src, mutant{File: "f.go", Old: "x > 1", New: "x >= 1"})
	if err != nil || line != 2 || !bytes.Contains(got, []byte("if x >= 1 {")) {
		t.Errorf("apply = %q, %d, %v", got, line, err)
	}
	for _, old := range []string{"z > 1", " > 1 {", ""} {
		if _, _, err := apply(src, mutant{File: "f.go", Old: old, New: "q"}); err == nil {
			t.Errorf("Old %q: want an error (not found, ambiguous or empty)", old)
		}
	}
}

// TestMutateOneOutcomes runs the real go test on a tiny module: a mutant
// its test catches is killed, one it misses survives, one that does not
// compile is reported as such, and the file is restored after each.
func TestMutateOneOutcomes(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go test three times")
	}
	dir := t.TempDir()
	write := func(name, s string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("go.mod", "module example.test/m\n\ngo 1.26\n")
	os.Mkdir(filepath.Join(dir, "p"), 0o755)
	const src = "package p\n\n// Adult reports whether age is 18 or more.\nfunc Adult(age int) bool { return age >= 18 }\n\nfunc Name() string { return \"p\" }\n"
	write("p/p.go", src)
	write("p/p_test.go", "package p\n\nimport \"testing\"\n\nfunc TestAdult(t *testing.T) {\n\tif !Adult(18) || Adult(17) {\n\t\tt.Fatal(\"bound\")\n\t}\n}\n")
	for _, tt := range []struct {
		m    mutant
		want outcome
	}{
		{mutant{File: "p/p.go", Old: "age >= 18", New: "age > 18"}, killed},
		{mutant{File: "p/p.go", Old: `return "p"`, New: `return "q"`}, survived},
		{mutant{File: "p/p.go", Old: "age >= 18", New: "age >= \"18\""}, noBuild},
		{mutant{File: "p/p.go", Old: "age >= 99", New: "x"}, stale},
		{mutant{File: "p/p.go", Old: `return "p"`, New: `return "P"`, Equivalent: "nobody reads it"}, equivalnt},
	} {
		r := mutateOne(dir, tt.m, time.Minute)
		if r.outcome != tt.want {
			t.Errorf("%q → %q: %s, want %s", tt.m.Old, tt.m.New, r.outcome, tt.want)
		}
		if got, _ := os.ReadFile(filepath.Join(dir, "p/p.go")); string(got) != src {
			t.Fatalf("file not restored after %q:\n%s", tt.m.Old, got)
		}
	}
	var out strings.Builder
	ok := report(&out, []result{{m: mutant{File: "p/p.go", Old: "a", New: "b"}, line: 4, outcome: survived}}, 90)
	if ok || !strings.Contains(out.String(), "survived: p/p.go:4:") {
		t.Errorf("report ok=%v:\n%s", ok, out.String())
	}
}

func TestChooseTable(t *testing.T) {
	for _, tt := range []struct {
		pkgs, since, wantErr string
		wantFiles            int // at least this many mutants
	}{
		{"", "", "", len(mutants)},
		{"session", "", "", 6},
		{"./session/, listen", "", "", 12},
		{"nope", "", "the packages are: negotiate, problem", 0},
		{"session", "HEAD", "not both", 0},
	} {
		table, err := chooseTable(".", tt.pkgs, tt.since)
		switch {
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
			t.Errorf("-pkg %q -changed %q: %v, want an error containing %q", tt.pkgs, tt.since, err, tt.wantErr)
		case tt.wantErr == "" && (err != nil || len(table) < tt.wantFiles):
			t.Errorf("-pkg %q: %d mutants, %v; want at least %d", tt.pkgs, len(table), err, tt.wantFiles)
		}
	}
}

// TestChangedDirs runs git in a scratch repository: the directories of the
// Go files changed since a revision, each once, nothing else.
func TestChangedDirs(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	dir := t.TempDir()
	git := func(args ...string) {
		cmd := exec.Command("git", append([]string{"-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false"}, args...)...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	write := func(name, s string) {
		os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755)
		if err := os.WriteFile(filepath.Join(dir, name), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{"a/a.go", "b/b.go", "b/c/c.go", "docs/x.md"} {
		write(f, "package x\n")
	}
	git("init", "-q")
	git("add", ".")
	git("commit", "-q", "-m", "one")
	write("b/b.go", "package x // changed\n")
	write("b/b_test.go", "package x\n")
	write("b/c/c.go", "package x // changed\n")
	write("docs/x.md", "changed\n")
	git("add", ".")
	got, err := changedDirs(dir, "HEAD")
	if err != nil || !slices.Equal(got, []string{"b", "b/c"}) {
		t.Errorf("changedDirs = %v, %v; want [b b/c]", got, err)
	}
	if _, err := changedDirs(dir, "no-such-revision"); err == nil || !strings.Contains(err.Error(), "give a revision git knows") {
		t.Errorf("unknown revision: %v", err)
	}
}
