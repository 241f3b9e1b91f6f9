package vuln

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"golang.org/x/vuln/scan"
)

// Level is how close a vulnerability is to running, weakest first.
type Level int

// Levels, in increasing order of severity for --fail-on.
const (
	None     Level = iota // never fail
	Required              // the module is in the build list
	Imported              // a vulnerable package is linked
	Called                // a vulnerable symbol is reachable
)

func (l Level) String() string {
	return [...]string{"none", "required", "imported", "called"}[l]
}

// ParseLevel reads a --fail-on value.
func ParseLevel(s string) (Level, error) {
	for l := None; l <= Called; l++ {
		if l.String() == s {
			return l, nil
		}
	}
	return None, fmt.Errorf("%q: want called (reachable), imported, required or none", s)
}

// Options say what to scan and against which database.
type Options struct {
	// Dir is where the package pattern is resolved.
	Dir string
	// Target is a package pattern ("./...") or the path of a Go binary.
	Target string
	// DB is the database: an http(s) or file URL, or a local folder.
	// Empty means govulncheck's default public database.
	DB string
}

// Vuln is one vulnerability that affects the target.
type Vuln struct {
	ID       string   `json:"id"`
	Aliases  []string `json:"aliases,omitempty"`
	Summary  string   `json:"summary,omitempty"`
	Level    Level    `json:"-"`
	LevelStr string   `json:"level"`
	Module   string   `json:"module"`
	Version  string   `json:"version,omitempty"`
	Fixed    string   `json:"fixed_version,omitempty"`
	// Symbols are the reached vulnerable symbols (Called only), and Trace
	// one call path to the first of them, caller first.
	Symbols []string `json:"symbols,omitempty"`
	Trace   []string `json:"trace,omitempty"`
}

// Report is a scan's result, most reachable first.
type Report struct {
	DB    string `json:"db"`
	Vulns []Vuln `json:"vulnerabilities"`
}

// Fails reports whether a vulnerability is at or above level.
func (r *Report) Fails(level Level) bool {
	if level == None {
		return false
	}
	for _, v := range r.Vulns {
		if v.Level >= level {
			return true
		}
	}
	return false
}

// Count returns how many vulnerabilities are exactly at level.
func (r *Report) Count(level Level) int {
	n := 0
	for _, v := range r.Vulns {
		if v.Level == level {
			n++
		}
	}
	return n
}

// Scan runs govulncheck on the target.
func Scan(ctx context.Context, o Options) (*Report, error) {
	db, err := databaseURL(o.DB)
	if err != nil {
		return nil, err
	}
	args := []string{"-format", "json", "-scan", "symbol"}
	if db != "" {
		args = append(args, "-db", db)
	}
	if o.Dir != "" {
		args = append(args, "-C", o.Dir)
	}
	target := o.Target
	if target == "" {
		target = "./..."
	}
	if isBinary(o.Dir, target) {
		args = append(args, "-mode", "binary", target)
	} else {
		args = append(args, target)
	}
	var stdout, stderr bytes.Buffer
	cmd := scan.Command(ctx, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = strings.NewReader(""), &stdout, &stderr
	err = cmd.Start()
	if err == nil {
		err = cmd.Wait()
	}
	// govulncheck's -format json exits 0 with findings; an error here is
	// a failure to load or to reach the database.
	if err != nil {
		return nil, fmt.Errorf("govulncheck %s: %v\n%s", target, err, strings.TrimSpace(stderr.String()))
	}
	r, err := parse(&stdout)
	if err != nil {
		return nil, err
	}
	r.DB = db
	return r, nil
}

// isBinary tells a file (a binary to scan) from a package pattern.
func isBinary(dir, target string) bool {
	p := target
	if !filepath.IsAbs(p) && dir != "" {
		p = filepath.Join(dir, p)
	}
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular()
}

// ErrDatabase is returned for a database folder that is missing or corrupt.
var ErrDatabase = errors.New("vulnerability database unusable")

// databaseURL turns a folder into a file URL after checking that it holds
// a readable OSV index, so a wrong path fails with a clear message.
func databaseURL(db string) (string, error) {
	if db == "" {
		return "", nil
	}
	if u, err := url.Parse(db); err == nil && (u.Scheme == "http" || u.Scheme == "https") {
		return db, nil
	}
	dir := strings.TrimPrefix(db, "file://")
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	if err := checkIndex(abs); err != nil {
		return "", err
	}
	return (&url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}).String(), nil
}

func checkIndex(dir string) error {
	for _, f := range []struct {
		name string
		v    any
	}{{"db.json", &struct{ Modified string }{}}, {"modules.json", &[]struct{ Path string }{}}} {
		b, err := os.ReadFile(filepath.Join(dir, "index", f.name))
		if err != nil {
			return fmt.Errorf("%w: %v (want a folder in the OSV layout: index/db.json, index/modules.json, ID/<id>.json)", ErrDatabase, err)
		}
		if err := json.Unmarshal(b, f.v); err != nil {
			return fmt.Errorf("%w: index/%s in %s is corrupt: %v", ErrDatabase, f.name, dir, err)
		}
	}
	return nil
}

// message is one element of govulncheck's JSON stream.
type message struct {
	OSV *struct {
		ID       string   `json:"id"`
		Aliases  []string `json:"aliases"`
		Summary  string   `json:"summary"`
		Details  string   `json:"details"`
		Affected []any    `json:"affected"`
	} `json:"osv"`
	Finding *struct {
		OSV          string  `json:"osv"`
		FixedVersion string  `json:"fixed_version"`
		Trace        []frame `json:"trace"`
	} `json:"finding"`
}

type frame struct {
	Module   string `json:"module"`
	Version  string `json:"version"`
	Package  string `json:"package"`
	Function string `json:"function"`
	Receiver string `json:"receiver"`
}

func (f frame) symbol() string {
	s := f.Function
	if f.Receiver != "" {
		s = strings.TrimPrefix(f.Receiver, "*") + "." + s
	}
	return f.Package + "." + s
}

// parse reads govulncheck's JSON stream into a report.
func parse(r io.Reader) (*Report, error) {
	dec := json.NewDecoder(r)
	byID := map[string]*Vuln{}
	var order []string
	for {
		var m message
		err := dec.Decode(&m)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("reading govulncheck output: %v", err)
		}
		if m.OSV != nil {
			v := vulnFor(byID, &order, m.OSV.ID)
			v.Aliases, v.Summary = m.OSV.Aliases, m.OSV.Summary
			if v.Summary == "" {
				v.Summary = firstLine(m.OSV.Details)
			}
		}
		if m.Finding != nil && len(m.Finding.Trace) > 0 {
			addFinding(vulnFor(byID, &order, m.Finding.OSV), m.Finding.FixedVersion, m.Finding.Trace)
		}
	}
	rep := &Report{}
	for _, id := range order {
		if v := byID[id]; v.Level > None {
			v.LevelStr = v.Level.String()
			rep.Vulns = append(rep.Vulns, *v)
		}
	}
	sort.SliceStable(rep.Vulns, func(i, j int) bool { return rep.Vulns[i].Level > rep.Vulns[j].Level })
	return rep, nil
}

func vulnFor(byID map[string]*Vuln, order *[]string, id string) *Vuln {
	v := byID[id]
	if v == nil {
		v = &Vuln{ID: id}
		byID[id] = v
		*order = append(*order, id)
	}
	return v
}

// addFinding raises v's level by one finding; trace[0] is the vulnerable
// symbol (or package, or module), the rest its callers.
func addFinding(v *Vuln, fixed string, trace []frame) {
	top := trace[0]
	lvl := Required
	switch {
	case top.Function != "":
		lvl = Called
	case top.Package != "":
		lvl = Imported
	}
	v.Module, v.Version, v.Fixed = top.Module, top.Version, fixed
	if lvl == Called {
		sym := top.symbol()
		if !contains(v.Symbols, sym) {
			v.Symbols = append(v.Symbols, sym)
		}
		if v.Trace == nil {
			for i := len(trace) - 1; i >= 0; i-- {
				v.Trace = append(v.Trace, trace[i].symbol())
			}
		}
	}
	if lvl > v.Level {
		v.Level = lvl
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}

// WriteText prints the report, reachable vulnerabilities first.
func (r *Report) WriteText(w io.Writer) {
	if len(r.Vulns) == 0 {
		fmt.Fprintln(w, "No known vulnerabilities affect the target.")
		return
	}
	fmt.Fprintf(w, "%d called (reachable), %d imported, %d required only\n", r.Count(Called), r.Count(Imported), r.Count(Required))
	for _, v := range r.Vulns {
		fixed := "no fix yet"
		if v.Fixed != "" {
			fixed = "fixed in " + v.Fixed
		}
		fmt.Fprintf(w, "\n%-8s %s  %s@%s (%s)\n", v.Level, v.ID, v.Module, v.Version, fixed)
		if v.Summary != "" {
			fmt.Fprintf(w, "         %s\n", v.Summary)
		}
		if len(v.Trace) > 0 {
			fmt.Fprintf(w, "         reached: %s\n", strings.Join(v.Trace, " -> "))
		}
	}
}
