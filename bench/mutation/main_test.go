package main

import (
	"bytes"
	"os"
	"path/filepath"
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
	for _, m := range mutants {
		src, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(m.File)))
		if err != nil {
			t.Errorf("%s: %v", m.File, err)
			continue
		}
		if _, _, err := apply(src, m); err != nil {
			t.Errorf("stale table entry (the mutated line changed: update its Old and New in bench/mutation/mutants.go): %v", err)
		}
		if m.Old == m.New {
			t.Errorf("%s: mutant %q changes nothing", m.File, m.Old)
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
