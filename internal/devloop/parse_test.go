package devloop

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseBuildOutput(t *testing.T) {
	root := "/src/app"
	tests := []struct {
		name    string
		out     string
		workDir string
		want    []Diagnostic
	}{
		{"compiler errors", "# example.test/app\n./main.go:11:3: undefined: foo\n./main.go:12:2: declared and not used: x\n", root, []Diagnostic{
			{File: "main.go", Line: 11, Column: 3, Message: "undefined: foo"},
			{File: "main.go", Line: 12, Column: 2, Message: "declared and not used: x"},
		}},
		{"other package relative to a sub folder", "# example.test/app/lib\n../../lib/lib.go:3:1: syntax error: non-declaration statement outside function body\n", root + "/cmd/web", []Diagnostic{
			{File: "lib/lib.go", Line: 3, Column: 1, Message: "syntax error: non-declaration statement outside function body"},
		}},
		{"no column", "main.go:7: missing return\n", root, []Diagnostic{{File: "main.go", Line: 7, Message: "missing return"}}},
		{"too many errors", "./a.go:1:1: x\n./a.go:2:1: too many errors\n", root, []Diagnostic{
			{File: "a.go", Line: 1, Column: 1, Message: "x"}, {File: "a.go", Line: 2, Column: 1, Message: "too many errors"},
		}},
		{"missing module with hint", "main.go:4:2: no required module provides package example.test/x; to add it:\n\tgo get example.test/x\n", root, []Diagnostic{
			{File: "main.go", Line: 4, Column: 2, Message: "no required module provides package example.test/x; to add it:\ngo get example.test/x"},
		}},
		{"package-level message", "go: go.mod requires go >= 1.99 (running go 1.26.8; GOTOOLCHAIN=local)\n", root, []Diagnostic{
			{Message: "go: go.mod requires go >= 1.99 (running go 1.26.8; GOTOOLCHAIN=local)"},
		}},
		{"outside the root stays absolute", "/usr/local/go/src/x/x.go:1:2: boom\n", root, []Diagnostic{{File: "/usr/local/go/src/x/x.go", Line: 1, Column: 2, Message: "boom"}}},
		{"zero line is not a position", "main.go:0:0: odd\n", root, []Diagnostic{{Message: "main.go:0:0: odd"}}},
		{"windows line endings", "./main.go:1:2: a\r\n", root, []Diagnostic{{File: "main.go", Line: 1, Column: 2, Message: "a"}}},
		{"huge line number", "./main.go:99999999999999999999:1: a\n", root, []Diagnostic{{Message: "./main.go:99999999999999999999:1: a"}}},
		{"empty", "", root, nil},
		{"only headers", "# a\n# b\n\n", root, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ParseBuildOutput([]byte(tt.out), tt.workDir, root)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got)\n%s", diff)
			}
		})
	}
}

func TestParseBuildOutputIsBounded(t *testing.T) {
	out := strings.Repeat("./main.go:1:1: x\n", 10000)
	if n := len(ParseBuildOutput([]byte(out), "/a", "/a")); n != maxDiagnostics {
		t.Errorf("%d diagnostics, want the cap %d", n, maxDiagnostics)
	}
}

func FuzzParseBuildOutput(f *testing.F) {
	for _, s := range []string{"./main.go:11:3: undefined: foo\n", "# x\n\tgo get y\n", "a.go:1: b", ":::\n", "C:\\x.go:1:2: y"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, d := range ParseBuildOutput(data, "/w", "/w") {
			if d.Line < 0 || d.Column < 0 || (d.File == "" && d.Line != 0) {
				t.Fatalf("bad diagnostic %+v", d)
			}
			_ = d.String()
		}
	})
}

func ExampleParseBuildOutput() {
	out := "# example.test/app\n./main.go:11:3: undefined: foo\n"
	for _, d := range ParseBuildOutput([]byte(out), "/src/app", "/src/app") {
		fmt.Println(d.File, d.Line, d.Column, d.Message)
	}
	// Output: main.go 11 3 undefined: foo
}

func TestParseConfig(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    Config
		wantErr string
	}{
		{"empty", "", Config{}, ""},
		{"full", `package = "./cmd/web"
addr = "127.0.0.1:9000"
args = ["-v"]
[watch]
roots = ["cmd", "internal"]
extensions = ["go", "gohtml"]
exclude = ["*.gen.go"]
[build]
flags = ["-race"]
tags = ["dev"]
debug = true
[env]
DATABASE_URL = "postgres://localhost/dev"
`, Config{Package: "./cmd/web", Addr: "127.0.0.1:9000", Args: []string{"-v"},
			Watch: WatchConfig{Roots: []string{"cmd", "internal"}, Extensions: []string{"go", "gohtml"}, Exclude: []string{"*.gen.go"}},
			Build: BuildConfig{Flags: []string{"-race"}, Tags: []string{"dev"}, Debug: true},
			Env:   map[string]string{"DATABASE_URL": "postgres://localhost/dev"}}, ""},
		{"unknown key", "pakage = \"x\"\n", Config{}, "line 1: unknown key pakage"},
		{"unknown nested key", "[watch]\nroot = [\"x\"]\n", Config{}, "unknown key watch.root"},
		{"wrong type", "args = \"-v\"\n", Config{}, "line 1"},
		{"syntax", "package = \n", Config{}, "line 1"},
		{"empty extension", "[watch]\nextensions = [\"\"]\n", Config{}, "not a file extension"},
		{"glob extension", "[watch]\nextensions = [\"*.go\"]\n", Config{}, "not a file extension"},
		{"empty root", "[watch]\nroots = [\"\"]\n", Config{}, "empty folder name"},
		{"bad env name", "[env]\n\"A=B\" = \"x\"\n", Config{}, "not a valid environment variable name"},
		{"output flag", "[build]\nflags = [\"-o\", \"x\"]\n", Config{}, "-o is chosen by golocal dev"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseConfig([]byte(tt.in))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got)\n%s", diff)
			}
		})
	}
}

func FuzzParseConfig(f *testing.F) {
	f.Add([]byte("package = \"./cmd/web\"\n[watch]\nroots = [\".\"]\n"))
	f.Add([]byte("[env]\nA = \"b\"\n"))
	f.Add([]byte("[[x]]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := ParseConfig(data)
		if err != nil {
			return
		}
		for _, r := range cfg.Watch.Roots {
			if r == "" {
				t.Fatal("accepted an empty root")
			}
		}
	})
}

func TestIgnorePatterns(t *testing.T) {
	tests := []struct {
		pattern string
		rel     string
		isDir   bool
		want    bool
	}{
		{"*.log", "a/b/x.log", false, true},
		{"*.log", "x.go", false, false},
		{"build/", "build", true, true},
		{"build/", "build", false, false},
		{"/gen", "gen", true, true},
		{"/gen", "a/gen", true, false},
		{"docs/*.md", "docs/a.md", false, true},
		{"**/tmp", "a/tmp", true, true},
		{"out/**", "out", true, true},
	}
	for _, tt := range tests {
		ip, ok := parseIgnore(tt.pattern)
		if !ok {
			t.Fatalf("parseIgnore(%q) rejected", tt.pattern)
		}
		if got := ip.match(tt.rel, tt.isDir); got != tt.want {
			t.Errorf("%q matches %q (dir %v) = %v, want %v", tt.pattern, tt.rel, tt.isDir, got, tt.want)
		}
	}
	for _, bad := range []string{"", "# comment", "!keep", "[", "/"} {
		if _, ok := parseIgnore(bad); ok {
			t.Errorf("parseIgnore(%q) accepted", bad)
		}
	}
}

func TestSplitShellLine(t *testing.T) {
	args, env := splitShellLine(`GOROOT='/usr/local/go' /usr/local/go/pkg/tool/linux_amd64/link -o $WORK/b001/exe/a.out -trimpath "$WORK/b001=>" -X "a=b c" x\ y`)
	wantArgs := []string{"/usr/local/go/pkg/tool/linux_amd64/link", "-o", "$WORK/b001/exe/a.out", "-trimpath", "$WORK/b001=>", "-X", "a=b c", "x y"}
	if !cmp.Equal(args, wantArgs) || !cmp.Equal(env, []string{"GOROOT=/usr/local/go"}) {
		t.Errorf("args %q env %q", args, env)
	}
}

func FuzzSplitShellLine(f *testing.F) {
	f.Add(`A='b' c "d e" f\ g`)
	f.Fuzz(func(t *testing.T, s string) {
		args, env := splitShellLine(s)
		for _, kv := range env {
			if !strings.Contains(kv, "=") {
				t.Fatalf("env %q without =", kv)
			}
		}
		_ = args
	})
}

func TestParseXOutput(t *testing.T) {
	out := `WORK=/tmp/go-build1
mkdir -p $WORK/b001/
cat >/tmp/go-build1/b001/importcfg << 'EOF' # internal
packagefile fmt=/cache/fmt-d
EOF
cd /src/app
/usr/local/go/pkg/tool/linux_amd64/compile -o $WORK/b001/_pkg_.a -trimpath "$WORK/b001=>" -p main -lang=go1.26 -complete -importcfg $WORK/b001/importcfg -pack ./main.go ./util.go
/usr/local/go/pkg/tool/linux_amd64/compile -o $WORK/b002/_pkg_.a -p example.test/app/lib ./lib.go
# example.test/app
./main.go:3:1: warning-like line
cd .
GOROOT='/usr/local/go' /usr/local/go/pkg/tool/linux_amd64/link -o $WORK/b001/exe/a.out -importcfg $WORK/b001/importcfg.link -s -w $WORK/b001/_pkg_.a
go tool buildid -w $WORK/b001/exe/a.out # internal
mv $WORK/b001/exe/a.out /out/app-1
`
	work, plan, rest := parseXOutput([]byte(out), "/src/app")
	if work != "/tmp/go-build1" || plan == nil {
		t.Fatalf("work %q plan %v", work, plan)
	}
	if plan.dir != "/src/app" || plan.link[plan.linkMain] != "/tmp/go-build1/b001/_pkg_.a" || plan.link[plan.linkOut] != "/tmp/go-build1/b001/exe/a.out" || plan.link[plan.linkCfg] != "/tmp/go-build1/b001/importcfg.link" {
		t.Errorf("plan %+v", plan)
	}
	if c := plan.compiles["main"]; len(c) == 0 || c[len(c)-1] != "./util.go" {
		t.Errorf("main compile %q", c)
	}
	if c := plan.compiles["example.test/app/lib"]; len(c) == 0 {
		t.Errorf("lib compile missing: %q", plan.compiles)
	}
	if !cmp.Equal(plan.linkEnv, []string{"GOROOT=/usr/local/go"}) {
		t.Errorf("link env %q", plan.linkEnv)
	}
	if got := string(rest); got != "# example.test/app\n./main.go:3:1: warning-like line\n" {
		t.Errorf("rest %q", got)
	}
	// Nothing linked (a failed build): no plan.
	noLink := strings.Replace(out, "/usr/local/go/pkg/tool/linux_amd64/link", "# skipped", 1)
	if _, plan, _ := parseXOutput([]byte(noLink), "/src/app"); plan != nil {
		t.Errorf("a build without a link got a plan")
	}
}

// TestParseXOutputEmbedcfg feeds the shape go build -x really prints for a
// package with //go:embed: the embed config's heredoc ends in "}EOF" with
// no newline before the terminator. The compiler's errors after it (here
// from a dependency) must still be found.
func TestParseXOutputEmbedcfg(t *testing.T) {
	out := `WORK=/tmp/go-build2
mkdir -p $WORK/b002/
cat >$WORK/b002/importcfg << 'EOF' # internal
# import config
packagefile fmt=/cache/fmt-d
EOF
cat >$WORK/b002/embedcfg << 'EOF' # internal
{
	"Patterns": {
		"templates/*.html": [
			"templates/list.html"
		]
	},
	"Files": {
		"templates/list.html": "/src/app/web/templates/list.html"
	}
}EOF
cd /src/app
/usr/local/go/pkg/tool/linux_amd64/compile -o $WORK/b002/_pkg_.a -trimpath "$WORK/b002=>" -p example.test/app/web -embedcfg $WORK/b002/embedcfg -pack ./web/handlers.go
# example.test/app/web
web/handlers.go:54:29: undefined: undefinedThing
`
	_, _, rest := parseXOutput([]byte(out), "/src/app")
	if got := string(rest); got != "# example.test/app/web\nweb/handlers.go:54:29: undefined: undefinedThing\n" {
		t.Fatalf("rest %q", got)
	}
	diags := ParseBuildOutput(rest, "/src/app", "/src/app")
	if len(diags) != 1 || diags[0].Line != 54 || diags[0].Column != 29 || !strings.HasSuffix(diags[0].File, "handlers.go") {
		t.Errorf("diagnostics %+v", diags)
	}
}

func TestDiagnosticString(t *testing.T) {
	for _, tt := range []struct {
		d    Diagnostic
		want string
	}{
		{Diagnostic{File: "a.go", Line: 1, Column: 2, Message: "m"}, "a.go:1:2: m"},
		{Diagnostic{File: "a.go", Line: 1, Message: "m"}, "a.go:1: m"},
		{Diagnostic{File: "a.go", Message: "m"}, "a.go: m"},
		{Diagnostic{Message: "m"}, "m"},
	} {
		if got := tt.d.String(); got != tt.want {
			t.Errorf("%+v: %q, want %q", tt.d, got, tt.want)
		}
	}
}
