package lightdeps

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/golocal/golocal"

// cliOnly are import path prefixes that belong to the golocal tool, never
// to a service built with the kit.
var cliOnly = []string{
	"github.com/chromedp/",
	"github.com/spf13/cobra",
	"github.com/spf13/pflag",
	"github.com/knadh/koanf/providers/",
	"github.com/fsnotify/",
	"github.com/mdp/qrterminal",
	"rsc.io/qr",
	"k8s.io/",
	"sigs.k8s.io/",
	"istio.io/",
	"github.com/prometheus-operator/",
	module + "/internal/deploy",
	"github.com/sigstore/",
	"github.com/google/go-containerregistry",
	"github.com/CycloneDX/",
	"golang.org/x/vuln",
	module + "/internal/cli",
	module + "/internal/devloop",
	module + "/internal/devproxy",
	module + "/internal/probe",
	module + "/internal/lint",
	module + "/internal/browsertest",
	module + "/examples/",
}

// pkg is what go list -json says of a package.
type pkg struct {
	ImportPath string
	Name       string
	Standard   bool
	Imports    []string
}

func goList(t *testing.T, dir string, env []string, args ...string) []pkg {
	t.Helper()
	cmd := exec.Command("go", append([]string{"list", "-json"}, args...)...)
	cmd.Dir = dir
	cmd.Env = env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list %s in %s: %v\n%s", strings.Join(args, " "), dir, err, stderr.String())
	}
	var pkgs []pkg
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p pkg
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			return pkgs
		} else if err != nil {
			t.Fatalf("go list output: %v", err)
		}
		pkgs = append(pkgs, p)
	}
}

// kitPackages lists the repository's importable packages: every non-main
// package outside internal/, cmd/, examples/ and bench/. New kit packages
// are covered without editing this test.
func kitPackages(t *testing.T, repo string, env []string) []string {
	var out []string
	for _, p := range goList(t, repo, env, "./...") {
		rel := strings.TrimPrefix(p.ImportPath, module+"/")
		top, _, _ := strings.Cut(rel, "/")
		if p.Name == "main" || slices.Contains([]string{"internal", "cmd", "examples", "bench"}, top) {
			continue
		}
		out = append(out, p.ImportPath)
	}
	if len(out) < 5 {
		t.Fatalf("found only %d kit packages (%v): is %s the repository?", len(out), out, repo)
	}
	return out
}

// consumer writes a module that requires golocal through a replace line
// and whose main imports every kit package.
func consumer(t *testing.T, repo string, kit []string) string {
	dir := t.TempDir()
	sum, err := os.ReadFile(filepath.Join(repo, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	// The consumer requires golocal's own versions of its dependencies, as
	// its go.mod would after go mod tidy: the module graph is then the one
	// the repository's build already loaded, and listing it needs no
	// download (GOPROXY=off), whatever the module cache held before.
	var gomod strings.Builder
	fmt.Fprintf(&gomod, "module example.test/kitonly\n\ngo 1.26\n\nrequire (\n\t%s v0.0.0\n", module)
	for _, r := range requirements(t, repo) {
		fmt.Fprintf(&gomod, "\t%s %s\n", r.Path, r.Version)
	}
	fmt.Fprintf(&gomod, ")\n\nreplace %s => %s\n", module, repo)
	var main strings.Builder
	main.WriteString("// Command kitonly is a service that uses only golocal's kit.\npackage main\n\nimport (\n")
	for _, p := range kit {
		fmt.Fprintf(&main, "\t_ %q\n", p)
	}
	main.WriteString(")\n\nfunc main() {}\n")
	for name, content := range map[string]string{"go.mod": gomod.String(), "go.sum": string(sum), "main.go": main.String()} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// requirements returns the require lines of the repository's go.mod.
func requirements(t *testing.T, repo string) []struct{ Path, Version string } {
	t.Helper()
	cmd := exec.Command("go", "mod", "edit", "-json")
	cmd.Dir = repo
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go mod edit -json in %s: %v", repo, err)
	}
	var mod struct {
		Require []struct{ Path, Version string }
	}
	if err := json.Unmarshal(out, &mod); err != nil {
		t.Fatalf("go mod edit -json: %v", err)
	}
	if len(mod.Require) == 0 {
		t.Fatalf("go mod edit -json in %s lists no requirements", repo)
	}
	return mod.Require
}

// chain returns the import path from root to target, for the failure message.
func chain(pkgs []pkg, root, target string) []string {
	byPath := map[string]pkg{}
	for _, p := range pkgs {
		byPath[p.ImportPath] = p
	}
	prev := map[string]string{root: ""}
	queue := []string{root}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		if cur == target {
			var path []string
			for p := cur; p != ""; p = prev[p] {
				path = append([]string{p}, path...)
			}
			return path
		}
		for _, imp := range byPath[cur].Imports {
			if _, seen := prev[imp]; !seen {
				prev[imp] = cur
				queue = append(queue, imp)
			}
		}
	}
	return []string{root, "…", target}
}

// offending returns the dependencies in pkgs that belong to the CLI.
func offending(pkgs []pkg) []string {
	var out []string
	for _, p := range pkgs {
		for _, prefix := range cliOnly {
			if !p.Standard && strings.HasPrefix(p.ImportPath, prefix) {
				out = append(out, p.ImportPath)
				break
			}
		}
	}
	return out
}

func TestKitOnlyServiceLinksNoCLIDependency(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command")
	}
	repoOut, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}").Output()
	if err != nil {
		t.Fatalf("cannot find the repository: %v", err)
	}
	repo := strings.TrimSpace(string(repoOut))
	env := append(os.Environ(), "GOFLAGS=-mod=mod", "GOPROXY=off", "GOWORK=off", "GOTOOLCHAIN=local")
	kit := kitPackages(t, repo, env)
	dir := consumer(t, repo, kit)

	deps := goList(t, dir, env, "-deps", ".")
	var third []string
	for _, p := range deps {
		if !p.Standard && !strings.HasPrefix(p.ImportPath, module) && p.ImportPath != "example.test/kitonly" {
			third = append(third, p.ImportPath)
		}
	}
	t.Logf("%d kit packages link %d packages, %d of them outside the standard library and golocal", len(kit), len(deps), len(third))
	for _, bad := range offending(deps) {
		t.Errorf("a kit-only service links %s, a dependency of the golocal tool: %s", bad, strings.Join(chain(deps, "example.test/kitonly", bad), " → "))
	}

	// The control: the same consumer sees the CLI's dependencies when it
	// builds the tool, so the check above is able to fail.
	tool := goList(t, dir, env, "-deps", module+"/cmd/golocal")
	if got := offending(tool); !slices.ContainsFunc(got, func(p string) bool { return strings.HasPrefix(p, "github.com/spf13/cobra") }) {
		t.Errorf("the control failed: cmd/golocal's dependencies %v do not include cobra", got)
	}
}
