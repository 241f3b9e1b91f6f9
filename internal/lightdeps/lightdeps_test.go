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

	"github.com/golocal/golocal/internal/devtest"
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
func consumer(t *testing.T, kit []string) string {
	dir := t.TempDir()
	gomod, gosum := devtest.KitModule(t, "example.test/kitonly")
	var main strings.Builder
	main.WriteString("// Command kitonly is a service that uses only golocal's kit.\npackage main\n\nimport (\n")
	for _, p := range kit {
		fmt.Fprintf(&main, "\t_ %q\n", p)
	}
	main.WriteString(")\n\nfunc main() {}\n")
	for name, content := range map[string]string{"go.mod": gomod, "go.sum": gosum, "main.go": main.String()} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
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
	repo := devtest.RepoRoot(t)
	// GOPROXY stays as the environment sets it: completing the consumer's
	// module graph can need go.mod files (testify's, required by a
	// dependency's go.mod) that golocal's own build never read, and so are
	// not in a fresh module cache.
	env := append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off", "GOTOOLCHAIN=local")
	kit := kitPackages(t, repo, env)
	dir := consumer(t, kit)

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
