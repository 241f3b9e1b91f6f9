package lint_test

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"github.com/golocal/golocal/internal/lint"
)

// TestCatalogDocUpToDate fails when docs/lint-rules.md differs from what
// the registry generates, and says how to regenerate it.
func TestCatalogDocUpToDate(t *testing.T) {
	var want bytes.Buffer
	if err := lint.WriteCatalog(&want); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("../../docs/lint-rules.md")
	if err != nil {
		t.Fatalf("docs/lint-rules.md: %v; create it with: %s", err, lint.CatalogCommand)
	}
	if !bytes.Equal(got, want.Bytes()) {
		gl, wl := strings.Split(string(got), "\n"), strings.Split(want.String(), "\n")
		for i := 0; i < max(len(gl), len(wl)); i++ {
			var g, w string
			if i < len(gl) {
				g = gl[i]
			}
			if i < len(wl) {
				w = wl[i]
			}
			if g != w {
				t.Fatalf("docs/lint-rules.md is stale (first difference at line %d:\n file: %q\n want: %q)\nregenerate it with: %s", i+1, g, w, lint.CatalogCommand)
			}
		}
	}
}

// TestEveryRuleDocumented: every rule has what the catalog prints, a
// reference with an https link and a fix, and a family the catalog lists.
func TestEveryRuleDocumented(t *testing.T) {
	var doc bytes.Buffer
	if err := lint.WriteCatalog(&doc); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, r := range lint.Rules() {
		if seen[r.ID] {
			t.Errorf("rule id %s twice", r.ID)
		}
		seen[r.ID] = true
		if r.Summary == "" || r.Why == "" || r.Fix == "" || r.Reference == "" || !strings.HasPrefix(r.Link, "https://") {
			t.Errorf("rule %s lacks a summary, why, fix, reference or https link: %+v", r.ID, r)
		}
		if !strings.Contains(doc.String(), "\n### "+r.ID+"\n") {
			t.Errorf("rule %s (family %q) is not in the generated catalog: is its family listed?", r.ID, r.Family)
		}
	}
	if strings.Contains(doc.String(), "/work/") {
		t.Error("the catalog points outside the repository")
	}
}
