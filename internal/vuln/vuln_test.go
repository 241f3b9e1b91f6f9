package vuln

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// offline keeps the go command inside the fixture (vendor folder, no proxy).
func offline(t *testing.T) {
	t.Setenv("GOFLAGS", "-mod=vendor")
	t.Setenv("GOPROXY", "off")
	t.Setenv("GOWORK", "off")
}

func TestReachableFirst(t *testing.T) {
	offline(t)
	r, err := Scan(context.Background(), Options{Dir: "testdata/app", Target: "./...", DB: "testdata/osv"})
	if err != nil {
		t.Fatal(err)
	}
	var called, imported []string
	for _, v := range r.Vulns {
		switch v.Level {
		case Called:
			called = append(called, v.ID)
		case Imported:
			imported = append(imported, v.ID)
		}
	}
	if strings.Join(called, ",") != "GO-2099-0001" || strings.Join(imported, ",") != "GO-2099-0002" {
		t.Fatalf("called %v, imported %v; want exactly GO-2099-0001 reachable and GO-2099-0002 imported only", called, imported)
	}
	if r.Vulns[0].ID != "GO-2099-0001" {
		t.Errorf("reachable vulnerability not listed first: %v", r.Vulns)
	}
	v := r.Vulns[0]
	if v.Fixed != "v1.0.1" || v.Version != "v1.0.0" || len(v.Trace) < 2 || !strings.HasSuffix(v.Trace[len(v.Trace)-1], "vulnlib.Parse") {
		t.Errorf("finding %+v: want version v1.0.0, fix 1.0.1, a trace main -> vulnlib.Parse", v)
	}
	for _, tc := range []struct {
		level Level
		fails bool
	}{{Called, true}, {Imported, true}, {Required, true}, {None, false}} {
		if r.Fails(tc.level) != tc.fails {
			t.Errorf("Fails(%s) = %v", tc.level, !tc.fails)
		}
	}
	var b strings.Builder
	r.WriteText(&b)
	if !strings.HasPrefix(b.String(), "1 called (reachable), 1 imported") {
		t.Errorf("text report:\n%s", b.String())
	}
}

func TestBinaryMode(t *testing.T) {
	offline(t)
	bin := filepath.Join(t.TempDir(), "vulnapp")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Dir = "testdata/app"
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	r, err := Scan(context.Background(), Options{Target: bin, DB: "testdata/osv"})
	if err != nil {
		t.Fatal(err)
	}
	if r.Count(Called) != 1 || r.Vulns[0].ID != "GO-2099-0001" {
		t.Errorf("binary scan: %+v, want GO-2099-0001 called (Render is not linked)", r.Vulns)
	}
}

func TestBadDatabase(t *testing.T) {
	corrupt := t.TempDir()
	os.MkdirAll(filepath.Join(corrupt, "index"), 0o755)
	os.WriteFile(filepath.Join(corrupt, "index", "db.json"), []byte(`{"modified":`), 0o644)
	noModules := t.TempDir()
	os.MkdirAll(filepath.Join(noModules, "index"), 0o755)
	os.WriteFile(filepath.Join(noModules, "index", "db.json"), []byte(`{"modified":"2026-01-01T00:00:00Z"}`), 0o644)
	for _, tc := range []struct{ db, want string }{
		{filepath.Join(t.TempDir(), "missing"), "OSV layout"},
		{corrupt, "corrupt"},
		{noModules, "modules.json"},
	} {
		_, err := Scan(context.Background(), Options{Dir: "testdata/app", DB: tc.db})
		if !errors.Is(err, ErrDatabase) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want ErrDatabase saying %q", tc.db, err, tc.want)
		}
	}
}

func TestParseLevel(t *testing.T) {
	for _, s := range []string{"called", "imported", "required", "none"} {
		l, err := ParseLevel(s)
		if err != nil || l.String() != s {
			t.Errorf("%s: %v %v", s, l, err)
		}
	}
	if _, err := ParseLevel("high"); err == nil {
		t.Error("ParseLevel(high) accepted")
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"osv":{"id":"GO-1"}}{"finding":{"osv":"GO-1","trace":[{"module":"m","package":"p","function":"F"}]}}`))
	f.Add([]byte(`{"finding":{"osv":"x","trace":[]}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := parse(strings.NewReader(string(b)))
		if err == nil {
			r.Fails(Called)
			r.WriteText(&strings.Builder{})
		}
	})
}
