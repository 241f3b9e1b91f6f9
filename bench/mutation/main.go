// Command mutation is golocal's mutation test: it applies each mutant of a
// curated table (mutants.go), a careless edit of a security- or
// correctness-critical line, to a scratch copy of the module, runs the
// tests of the mutant's package, and prints per package how many mutants
// the tests killed, how many survived (with each survivor's file:line and
// edit) and how many timed out. A surviving mutant is a bug the tests let
// ship: add the test that kills it, or mark the entry Equivalent with why.
//
// Run it from anywhere in the module:
//
//	go run ./bench/mutation                          # every package of the table
//	go run ./bench/mutation -pkg middleware,session  # some packages
//	go run ./bench/mutation -changed origin/main     # the packages with Go files changed since a revision
//
// Each mutant costs one go test of its package (-short -count=1 -failfast,
// no race detector, bounded by -timeout); packages run one at a time, so
// it uses about one core. internal/verify and internal/release run a
// subset of their tests (testArgs in mutants.go says which and why). The
// run stops before testing anything when a table entry no longer matches
// the code (its Old is gone or ambiguous), and exits 1 when a package
// scores under -min percent (default 90). `.ci/run` runs it with -changed
// when GOLOCAL_MUTATION_BASE is set; it is off by default because the CI
// budget (15 minutes on 2 cores) has no room for it.
//
// The figure (116 mutants in 14 packages; 2-core machine shared with other
// builds, load average 2.3 at the start and 8.9 at the end; 11 min 24 s
// wall, 64% of a CPU; measured with /usr/bin/time -v go run
// ./bench/mutation built beforehand):
//
//	                package  killed  survived  timed-out  equivalent  broken  score
//	                  admin       7         0          0           0       0   100%
//	                 config       7         0          0           0       0   100%
//	  examples/orders/order       8         0          0           0       0   100%
//	                 health       8         0          0           1       0   100%
//	          internal/lint       8         0          0           0       0   100%
//	       internal/release       8         0          0           0       0   100%
//	        internal/verify       8         0          0           0       0   100%
//	                 listen       8         0          0           0       0   100%
//	             middleware      12         0          0           0       0   100%
//	              negotiate       9         0          0           0       0   100%
//	                problem       8         0          0           0       0   100%
//	                  serve       7         0          0           0       0   100%
//	                session       8         0          0           0       0   100%
//	                 static       9         0          0           0       0   100%
//	equivalent: health/accept.go:37: "return jsonQ > textQ" → "return jsonQ >= textQ": the line runs only when jsonQ != textQ, where > and >= agree
//
// The first full run of this table killed 88 of 115: the 27 survivors
// (boundaries one past a limit, symlink escapes that ended in a 404 for
// another reason, forged signatures and attestations, a registry serving
// other bytes, LISTEN_PID=0, the header cap's net/http slack, …) each got
// the test that kills them, in their package's own tests.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// outcome is what a package's tests made of one mutant.
type outcome string

const (
	killed    outcome = "killed"
	survived  outcome = "survived"
	timedOut  outcome = "timed-out"
	noBuild   outcome = "build-failed" // the edit does not compile: fix the table
	stale     outcome = "stale"        // Old not found exactly once: fix the table
	equivalnt outcome = "equivalent"
)

type result struct {
	m       mutant
	line    int
	outcome outcome
}

func run(args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("mutation", flag.ContinueOnError)
	fl.SetOutput(stderr)
	pkgs := fl.String("pkg", "", "comma-separated package directories to mutate (default: all in the table)")
	changed := fl.String("changed", "", "mutate only the packages with Go files changed since this git revision (e.g. origin/main)")
	timeout := fl.Duration("timeout", 3*time.Minute, "bound on one package test run")
	minScore := fl.Float64("min", 90, "lowest acceptable percentage of non-equivalent mutants killed per package")
	if err := fl.Parse(args); err != nil {
		return 2
	}
	root, err := moduleRoot()
	if err != nil {
		fmt.Fprintln(stderr, "mutation:", err)
		return 2
	}
	table, err := chooseTable(root, *pkgs, *changed)
	if err != nil {
		fmt.Fprintln(stderr, "mutation:", err)
		return 2
	}
	if len(table) == 0 {
		fmt.Fprintln(stdout, "mutation: no package of the table was selected; nothing to do")
		return 0
	}
	if err := preflight(root, table); err != nil {
		fmt.Fprintln(stderr, "mutation:", err)
		return 2
	}
	work, err := os.MkdirTemp("", "golocal-mutation-")
	if err != nil {
		fmt.Fprintln(stderr, "mutation:", err)
		return 2
	}
	defer os.RemoveAll(work)
	if err := copyTree(root, work); err != nil {
		fmt.Fprintln(stderr, "mutation: copying the module:", err)
		return 2
	}
	start := time.Now()
	results, err := mutateAll(work, table, *timeout, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "mutation:", err)
		return 2
	}
	ok := report(stdout, results, *minScore)
	fmt.Fprintf(stdout, "\n%d mutants in %v\n", len(results), time.Since(start).Round(time.Second))
	if !ok {
		return 1
	}
	return 0
}

// chooseTable picks the mutants of -pkg, or of the packages -changed
// names, or all of them.
func chooseTable(root, pkgs, since string) ([]mutant, error) {
	if pkgs != "" && since != "" {
		return nil, errors.New("give -pkg or -changed, not both")
	}
	if since != "" {
		dirs, err := changedDirs(root, since)
		if err != nil {
			return nil, err
		}
		return selectMutants(mutants, strings.Join(dirs, ",")), nil
	}
	table := selectMutants(mutants, pkgs)
	if len(table) == 0 {
		return nil, fmt.Errorf("no mutant in the table for -pkg %q; the packages are: %s", pkgs, strings.Join(tablePackages(), ", "))
	}
	return table, nil
}

// changedDirs lists the directories of the Go files that differ between
// the git revision since and the working tree.
func changedDirs(root, since string) ([]string, error) {
	cmd := exec.Command("git", "diff", "--name-only", since, "--", "*.go")
	cmd.Dir = root
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("git diff --name-only %s: %v; give a revision git knows (a fresh clone may need git fetch)", since, err)
	}
	var dirs []string
	for f := range strings.FieldsSeq(string(out)) {
		if d := filepath.ToSlash(filepath.Dir(f)); !slices.Contains(dirs, d) {
			dirs = append(dirs, d)
		}
	}
	return dirs, nil
}

// tablePackages lists the package directories of the table in order.
func tablePackages() []string {
	var out []string
	for _, m := range mutants {
		if d := filepath.Dir(m.File); !slices.Contains(out, d) {
			out = append(out, d)
		}
	}
	return out
}

// preflight refuses to start when a mutant no longer applies to the code
// (its Old is gone or ambiguous) or changes nothing, listing every broken
// entry at once: a table that rots silently would report a false score.
func preflight(root string, table []mutant) error {
	var bad []string
	for _, m := range table {
		src, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(m.File)))
		switch {
		case err != nil:
			bad = append(bad, err.Error())
		case m.Old == m.New:
			bad = append(bad, fmt.Sprintf("%s: mutant %q changes nothing", m.File, m.Old))
		default:
			if _, _, err := apply(src, m); err != nil {
				bad = append(bad, err.Error())
			}
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("%d stale table entries (the mutated code changed: update Old and New in bench/mutation/mutants.go):\n  %s", len(bad), strings.Join(bad, "\n  "))
	}
	return nil
}

// selectMutants keeps the mutants of the listed package directories.
func selectMutants(all []mutant, list string) []mutant {
	if list == "" {
		return all
	}
	var out []mutant
	for _, m := range all {
		for p := range strings.SplitSeq(list, ",") {
			if p = strings.Trim(strings.TrimSpace(p), "./"); p != "" && filepath.Dir(m.File) == p {
				out = append(out, m)
			}
		}
	}
	return out
}

// mutateAll checks each package's tests pass unmutated, then applies and
// tests each of its mutants in turn, restoring the file after each.
func mutateAll(work string, table []mutant, timeout time.Duration, progress io.Writer) ([]result, error) {
	var results []result
	baseline := map[string]bool{}
	for _, m := range table {
		pkg := filepath.Dir(m.File)
		if _, done := baseline[pkg]; !done {
			out, o := testPackage(work, pkg, timeout)
			if o != survived {
				return nil, fmt.Errorf("the tests of %s do not pass unmutated (%s); fix them first:\n%s", pkg, o, tail(out, 2000))
			}
			baseline[pkg] = true
		}
		t0 := time.Now()
		r := mutateOne(work, m, timeout)
		fmt.Fprintf(progress, "%-12s %s:%d (%v)\n", r.outcome, m.File, r.line, time.Since(t0).Round(100*time.Millisecond))
		results = append(results, r)
	}
	return results, nil
}

// mutateOne applies m, runs its package's tests and restores the file.
func mutateOne(work string, m mutant, timeout time.Duration) result {
	path := filepath.Join(work, filepath.FromSlash(m.File))
	orig, err := os.ReadFile(path)
	if err != nil {
		return result{m: m, outcome: stale}
	}
	mutated, line, err := apply(orig, m)
	if err != nil {
		return result{m: m, outcome: stale}
	}
	if m.Equivalent != "" {
		return result{m: m, line: line, outcome: equivalnt}
	}
	if err := os.WriteFile(path, mutated, 0o644); err != nil {
		return result{m: m, line: line, outcome: stale}
	}
	defer os.WriteFile(path, orig, 0o644)
	_, o := testPackage(work, filepath.Dir(m.File), timeout)
	if o == survived {
		return result{m: m, line: line, outcome: survived}
	}
	return result{m: m, line: line, outcome: o}
}

// apply returns src with m applied and the line of the edit, or an error
// when Old is not found exactly once.
func apply(src []byte, m mutant) ([]byte, int, error) {
	switch n := bytes.Count(src, []byte(m.Old)); {
	case m.Old == "":
		return nil, 0, errors.New("empty Old")
	case n == 0:
		return nil, 0, fmt.Errorf("%s: %q not found", m.File, m.Old)
	case n > 1:
		return nil, 0, fmt.Errorf("%s: %q found %d times; make Old unique", m.File, m.Old, n)
	}
	i := bytes.Index(src, []byte(m.Old))
	line := bytes.Count(src[:i], []byte("\n")) + 1
	return bytes.Replace(src, []byte(m.Old), []byte(m.New), 1), line, nil
}

// testPackage runs the package's tests; survived means they passed.
func testPackage(work, pkg string, timeout time.Duration) (string, outcome) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout+30*time.Second)
	defer cancel()
	args := []string{"test", "-short", "-count=1", "-failfast", "-timeout=" + timeout.String()}
	args = append(args, testArgs[filepath.ToSlash(pkg)]...)
	cmd := exec.CommandContext(ctx, "go", append(args, "./"+filepath.ToSlash(pkg)+"/")...)
	cmd.Dir = work
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.CombinedOutput()
	text := string(out)
	switch {
	case err == nil:
		return text, survived
	case ctx.Err() != nil || strings.Contains(text, "panic: test timed out"):
		return text, timedOut
	case strings.Contains(text, "[build failed]") || strings.Contains(text, "[setup failed]"):
		return text, noBuild
	}
	return text, killed
}

// report prints the per-package table and the survivors; it returns false
// when a package scores under minScore or the table has broken entries.
func report(w io.Writer, results []result, minScore float64) bool {
	type counts struct{ killed, survived, timedOut, equivalent, broken int }
	per := map[string]*counts{}
	var pkgs []string
	for _, r := range results {
		pkg := filepath.Dir(r.m.File)
		c := per[pkg]
		if c == nil {
			c = &counts{}
			per[pkg] = c
			pkgs = append(pkgs, pkg)
		}
		switch r.outcome {
		case killed:
			c.killed++
		case survived:
			c.survived++
		case timedOut:
			c.timedOut++
		case equivalnt:
			c.equivalent++
		default:
			c.broken++
		}
	}
	slices.Sort(pkgs)
	ok := true
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "package\tkilled\tsurvived\ttimed-out\tequivalent\tbroken\tscore\t")
	for _, pkg := range pkgs {
		c := per[pkg]
		counted := c.killed + c.survived + c.timedOut
		score := 100.0
		if counted > 0 {
			// A timeout is a detection (the mutant made the tests hang) but
			// is shown apart, as go-gremlins does.
			score = 100 * float64(c.killed+c.timedOut) / float64(counted)
		}
		if score < minScore || c.broken > 0 {
			ok = false
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%.0f%%\t\n", pkg, c.killed, c.survived, c.timedOut, c.equivalent, c.broken, score)
	}
	tw.Flush()
	for _, r := range results {
		switch r.outcome {
		case survived, noBuild, stale:
			fmt.Fprintf(w, "%s: %s:%d: %q → %q\n", r.outcome, r.m.File, r.line, r.m.Old, r.m.New)
		case equivalnt:
			fmt.Fprintf(w, "equivalent: %s:%d: %q → %q: %s\n", r.m.File, r.line, r.m.Old, r.m.New, r.m.Equivalent)
		}
	}
	return ok
}

// moduleRoot finds the directory of the main module's go.mod.
func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", errors.New("not inside a Go module; run it from the golocal repository")
	}
	return filepath.Dir(gomod), nil
}

// copyTree copies the module at src into dst, without .git, keeping
// symbolic links as links.
func copyTree(src, dst string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, path)
		target := filepath.Join(dst, rel)
		switch {
		case d.IsDir() && d.Name() == ".git":
			return filepath.SkipDir
		case d.IsDir():
			return os.MkdirAll(target, 0o755)
		case d.Type()&fs.ModeSymlink != 0:
			link, err := os.Readlink(path)
			if err != nil {
				return err
			}
			return os.Symlink(link, target)
		case !d.Type().IsRegular():
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}
