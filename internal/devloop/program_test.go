package devloop

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golocal/golocal/internal/devtest"
)

func TestEmbedMatch(t *testing.T) {
	tests := []struct {
		pattern, rel string
		want         bool
	}{
		{"data.txt", "data.txt", true},
		{"data.txt", "other.txt", false},
		{"*.html", "a.html", true},
		{"*.html", "sub/a.html", false},
		{"templates", "templates/a.html", true},
		{"templates", "templates/deep/a.html", true},
		{"templates", "templates/.hidden", false},
		{"templates", "templates/_draft/a.html", false},
		{"all:templates", "templates/_draft/a.html", true},
		{"all:templates", "templates/.hidden", true},
		{"templates/.hidden", "templates/.hidden", true}, // named: always
		{"static/*", "static/css/site.css", true},
		{"t?mplates", "templates/x", true},
		{"[", "[", false}, // a bad pattern matches nothing
		{"templates", "templatesX/a", false},
	}
	for _, tt := range tests {
		if got := embedMatch(tt.pattern, tt.rel); got != tt.want {
			t.Errorf("embedMatch(%q, %q) = %v, want %v", tt.pattern, tt.rel, got, tt.want)
		}
	}
}

// listJSON is go list -json output for a main package importing web, which
// embeds templates.
func listJSON(root string) string {
	pkgs := []Package{
		{ImportPath: "fmt", Name: "fmt", Dir: "/goroot/src/fmt", Standard: true},
		{ImportPath: "example.test/app/web", Name: "web", Dir: filepath.Join(root, "web"), GoFiles: []string{"web.go"},
			EmbedPatterns: []string{"templates"}, EmbedFiles: []string{"templates/a.html"}},
		{ImportPath: "example.test/app", Name: "main", Dir: root, GoFiles: []string{"main.go"}, Imports: []string{"example.test/app/web", "fmt"}},
	}
	var buf bytes.Buffer
	for _, p := range pkgs {
		b, _ := json.MarshalIndent(p, "", "\t")
		buf.Write(b)
		buf.WriteByte('\n')
	}
	return buf.String()
}

func TestProgramOutsideAndEmbedded(t *testing.T) {
	root := filepath.FromSlash("/src/app")
	p, err := parseProgram([]byte(listJSON(root)))
	if err != nil {
		t.Fatal(err)
	}
	var unknown *Program
	outside := []struct {
		name  string
		p     *Program
		paths []string
		want  bool
	}{
		{"unknown program: inside", unknown, []string{"lib/x.go"}, false},
		{"no paths: inside", p, nil, false},
		{"main package", p, []string{"main.go"}, false},
		{"imported package", p, []string{"web/handlers.go"}, false},
		{"package not imported", p, []string{"tools/gen/gen.go"}, true},
		{"several, all outside", p, []string{"a/a.go", "b/b.go"}, true},
		{"one inside", p, []string{"a/a.go", "web/x.go"}, false},
		{"go.mod", p, []string{"go.mod"}, false},
		{"a template outside", p, []string{"other/page.html"}, false},
		{"sub-folder of an imported one", p, []string{"web/inner/x.go"}, true},
	}
	for _, tt := range outside {
		if got := tt.p.Outside(root, tt.paths); got != tt.want {
			t.Errorf("%s: Outside(%q) = %v, want %v", tt.name, tt.paths, got, tt.want)
		}
	}
	for rel, want := range map[string]bool{
		"web/templates/a.html":     true,
		"web/templates/new.html":   true, // would be embedded once created
		"web/templates/_draft.txt": false,
		"web/other.html":           false,
		"templates/a.html":         false,
	} {
		if got := p.Embedded(filepath.Join(root, filepath.FromSlash(rel))); got != want {
			t.Errorf("Embedded(%s) = %v, want %v", rel, got, want)
		}
	}
	if unknown.Embedded(filepath.Join(root, "web/templates/a.html")) {
		t.Error("an unknown program embeds nothing")
	}
}

func TestParseProgramBadInput(t *testing.T) {
	for name, in := range map[string]string{
		"empty":           "",
		"not JSON":        "<html>",
		"truncated":       `{"ImportPath": "x", "Name": "main"`,
		"no import path":  `{"Name": "main"}`,
		"last is no main": `{"ImportPath": "example.test/lib", "Name": "lib"}`,
		"wrong types":     `{"ImportPath": 12}`,
	} {
		if p, err := parseProgram([]byte(in)); err == nil {
			t.Errorf("%s: parsed into %+v, want an error", name, p)
		}
	}
}

func FuzzParseProgram(f *testing.F) {
	f.Add([]byte(listJSON("/src/app")))
	f.Add([]byte(`{"ImportPath":"a","Name":"main","Imports":["a"]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := parseProgram(data)
		if err != nil {
			return
		}
		if p.Main == nil || p.Main.Name != "main" {
			t.Fatalf("parsed a program without a main package: %+v", p)
		}
		p.Outside("/src/app", []string{"x.go"})
		p.Embedded("/src/app/web/templates/a.html")
	})
}

// archive builds a package archive in the ar format with the given
// members.
func archive(members ...[2]string) []byte {
	var b bytes.Buffer
	b.WriteString("!<arch>\n")
	for _, m := range members {
		hdr := []byte(strings.Repeat(" ", 60))
		copy(hdr, m[0])
		copy(hdr[48:], []byte(itoa(len(m[1]))))
		copy(hdr[58:], "`\n")
		b.Write(hdr)
		b.WriteString(m[1])
		if len(m[1])%2 == 1 {
			b.WriteByte('\n')
		}
	}
	return b.Bytes()
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestPkgdefExport(t *testing.T) {
	def := "go object linux amd64 go1.26.8\nbuild id \"abc/def\"\n\n\n$$B\nEXPORT$$\n"
	good := archive([2]string{"__.PKGDEF", def}, [2]string{"_go_.o", "OBJ"})
	got, ok := pkgdefExport(good)
	if !ok || string(got) != "\n$$B\nEXPORT$$\n" {
		t.Fatalf("pkgdefExport = %q %v", got, ok)
	}
	other := archive([2]string{"__.PKGDEF", strings.Replace(def, "abc/def", "xyz/uvw", 1)}, [2]string{"_go_.o", "OBJ2"})
	if got2, _ := pkgdefExport(other); !bytes.Equal(got, got2) {
		t.Errorf("the build ID line changed the export data: %q vs %q", got, got2)
	}
	// The member may come second.
	second := archive([2]string{"_go_.o", "OBJ"}, [2]string{"__.PKGDEF", def})
	if got, ok := pkgdefExport(second); !ok || string(got) != "\n$$B\nEXPORT$$\n" {
		t.Errorf("second member: %q %v", got, ok)
	}
	for name, data := range map[string][]byte{
		"empty":         nil,
		"no magic":      []byte("not an archive"),
		"short header":  []byte("!<arch>\n__.PKGDEF  "),
		"size too big":  bytes.Replace(good, []byte(itoa(len(def))+" "), []byte("99999 "), 1),
		"bad size":      bytes.Replace(good, []byte(itoa(len(def))+" "), []byte("-1  "), 1),
		"bad fmag":      bytes.Replace(good, []byte("`\n"), []byte("xx"), 1),
		"no $$B":        archive([2]string{"__.PKGDEF", "go object\n"}),
		"no __.PKGDEF":  archive([2]string{"_go_.o", "OBJ"}),
		"magic only":    []byte("!<arch>\n"),
		"odd, no pad":   []byte("!<arch>\n" + "x               " + "            " + "      " + "      " + "        " + "1         " + "`\n" + "y"),
		"garbage sizes": []byte("!<arch>\n" + strings.Repeat("9", 60)),
	} {
		if got, ok := pkgdefExport(data); ok {
			t.Errorf("%s: found export data %q", name, got)
		}
	}
}

func FuzzPkgdefExport(f *testing.F) {
	f.Add(archive([2]string{"__.PKGDEF", "go object\n$$B\nX"}))
	f.Add([]byte("!<arch>\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if got, ok := pkgdefExport(data); ok && !bytes.HasPrefix(got, []byte("\n$$B\n")) {
			t.Fatalf("export data %q does not start at the marker", got)
		}
	})
}

func TestLangVersion(t *testing.T) {
	for in, want := range map[string]string{"go1.26.8": "1.26", "1.26": "1.26", "1.21rc1": "1.21", "go1.22": "1.22", "1": "1"} {
		if got := langVersion(in); got != want {
			t.Errorf("langVersion(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestEmbedConfigMatchesGoBuild compiles a package with //go:embed
// patterns of every kind and compares the embed configuration go build
// wrote with the one the Builder writes from the model.
func TestEmbedConfigMatchesGoBuild(t *testing.T) {
	goCmd, err := findGo(os.Getenv)
	if err != nil {
		t.Skip(err)
	}
	dir := devtest.WriteModule(t, map[string]string{
		"main.go": "package main\n\nimport \"example.test/app/web\"\n\nfunc main() { println(web.N()) }\n",
		"web/web.go": "package web\n\nimport \"embed\"\n\n//go:embed templates *.txt\nvar a embed.FS\n\n//go:embed all:static\nvar b embed.FS\n\n" +
			"//go:embed templates/_named.html\nvar c string\n\nfunc N() int { x, _ := a.ReadDir(\"templates\"); y, _ := b.ReadDir(\"static\"); return len(x) + len(y) + len(c) }\n",
		"web/templates/a.html":      "a",
		"web/templates/_named.html": "n",
		"web/templates/sub/b.html":  "b",
		"web/templates/.hidden":     "h",
		"web/one.txt":               "1",
		"web/static/_under.css":     "u",
		"web/static/site.css":       "s",
	})
	cmd := exec.Command(goCmd, "build", "-x", "-work", "-o", filepath.Join(dir, "app"), ".")
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	work, _, _ := parseXOutput(out, dir)
	defer os.RemoveAll(work)
	var want []byte
	for _, f := range []string{"b002", "b003", "b004"} {
		if b, err := os.ReadFile(filepath.Join(work, f, "embedcfg")); err == nil {
			want = b
		}
	}
	if want == nil {
		t.Fatalf("go build wrote no embedcfg in %s", work)
	}
	prog, err := LoadProgram(context.Background(), goCmd, dir, ".", nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := prog.byDir[filepath.Join(dir, "web")].embedConfig()
	if err != nil {
		t.Fatal(err)
	}
	var w, g any
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatal(err)
	}
	wj, _ := json.Marshal(w)
	gj, _ := json.Marshal(g)
	if !bytes.Equal(wj, gj) {
		t.Errorf("embed configuration\n got %s\nwant %s", gj, wj)
	}
}

// TestReplayRefuses lists the edits the plan cannot be trusted with, on a
// real module read by go list: each names its reason.
func TestReplayRefuses(t *testing.T) {
	goCmd, err := findGo(os.Getenv)
	if err != nil {
		t.Skip(err)
	}
	dir := devtest.WriteModule(t, map[string]string{
		"main.go":         "package main\n\nimport (\n\t\"example.test/app/cdep\"\n\t\"example.test/app/tmpl\"\n\t\"example.test/app/web\"\n)\n\nfunc main() { println(web.N() + cdep.N() + len(tmpl.A)) }\n",
		"tmpl/tmpl.go":    "package tmpl\n\nimport _ \"embed\"\n\n//go:embed a.txt\nvar A string\n",
		"tmpl/a.txt":      "a",
		"tmpl/b.txt":      "b",
		"web/web.go":      "package web\n\nfunc N() int { return 1 }\n",
		"web/web_test.go": "package web\n",
		"cdep/cdep.go":    "package cdep\n\n// int one(void) { return 1; }\nimport \"C\"\n\nfunc N() int { return int(C.one()) }\n",
		"tools/tool.go":   "package tools\n",
		"web/page.html":   "x",
	})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	prog, err := LoadProgram(ctx, goCmd, dir, ".", nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	root := dir
	if pkgs, why := prog.replay(root, []string{"web/web.go"}); why != "" || len(pkgs) != 1 {
		t.Fatalf("a body edit in web: %q %v", why, pkgs)
	}
	tests := []struct {
		name  string
		setup func()
		paths []string
		want  string
	}{
		{"go.mod", nil, []string{"go.mod"}, "go.mod changed"},
		{"go.sum", nil, []string{"web/web.go", "go.sum"}, "go.sum changed"},
		{"cgo package", nil, []string{"cdep/cdep.go"}, "cdep has cgo files"},
		{"a package not in the program", nil, []string{"tools/tool.go"}, "tools/tool.go is in no package of the program"},
		{"a file not embedded", nil, []string{"web/page.html"}, "web/page.html is not embedded"},
		{"new file", func() { writeFile(t, filepath.Join(dir, "web/new.go"), "package web\n") }, []string{"web/new.go"}, "new file web/new.go"},
		{"new file seen through another", nil, []string{"web/web.go"}, "web: Go files added or removed"},
		{"file removed", func() { os.Remove(filepath.Join(dir, "web/new.go")); os.Remove(filepath.Join(dir, "web/web.go")) }, []string{"web/web.go"}, "web: Go files added or removed"},
		{"new import", func() {
			writeFile(t, filepath.Join(dir, "web/web.go"), "package web\n\nimport \"strings\"\n\nfunc N() int { return len(strings.Fields(\"a\")) }\n")
		}, []string{"web/web.go"}, "web: imports changed"},
		{"embed pattern", func() {
			writeFile(t, filepath.Join(dir, "web/web.go"), "package web\n\nimport _ \"embed\"\n\n//go:embed page.html\nvar page string\n\nfunc N() int { return len(page) }\n")
		}, []string{"web/web.go"}, "web: imports changed"}, // embed is a new import too
		{"embedded file", nil, []string{"tmpl/a.txt"}, ""},
		{"a file beside it, not embedded", nil, []string{"tmpl/b.txt"}, "tmpl/b.txt is not embedded"},
		{"other embed pattern", func() {
			writeFile(t, filepath.Join(dir, "tmpl/tmpl.go"), "package tmpl\n\nimport _ \"embed\"\n\n//go:embed b.txt\nvar A string\n")
		}, []string{"tmpl/tmpl.go"}, "tmpl: //go:embed patterns changed"},
		{"rebuild asked", nil, nil, "rebuild asked"},
	}
	for _, tt := range tests {
		if tt.setup != nil {
			tt.setup()
		}
		if pkgs, why := prog.replay(root, tt.paths); why != tt.want {
			t.Errorf("%s: replay(%q) = %v %q, want %q", tt.name, tt.paths, pkgs, why, tt.want)
		}
	}
}
