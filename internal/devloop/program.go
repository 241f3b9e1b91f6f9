package devloop

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"go/build"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Program is the one model of the program being run: the package graph of
// the main package as "go list -json -deps" reports it. It answers the
// three questions the dev loop asks about a saved file: does it matter
// (Embedded, for files that are not Go sources), is it outside the program
// (Outside), and can the previous build plan be replayed for it (replay,
// used by the Builder). A Program is read-only once loaded.
type Program struct {
	// Main is the main package.
	Main *Package
	// Packages holds every package of the program in dependency order
	// (dependencies first), as go list -deps prints them.
	Packages []*Package

	byPath    map[string]*Package
	byDir     map[string]*Package
	importers map[string][]*Package // import path → packages importing it
	goVersion string                // the toolchain's version (go env GOVERSION)
	toolDir   string                // where compile and link live (go env GOTOOLDIR)
	goFlags   string                // go env GOFLAGS
	compiler  os.FileInfo           // the compile binary when the model was loaded
	tags      []string
}

// Package is one package of a Program: the fields of go list -json the dev
// loop uses (https://pkg.go.dev/cmd/go#hdr-List_packages_or_modules).
type Package struct {
	ImportPath    string
	Name          string
	Dir           string
	Standard      bool
	GoFiles       []string
	CgoFiles      []string
	CFiles        []string
	CXXFiles      []string
	MFiles        []string
	HFiles        []string
	FFiles        []string
	SFiles        []string
	SwigFiles     []string
	SwigCXXFiles  []string
	SysoFiles     []string
	EmbedPatterns []string
	EmbedFiles    []string
	Imports       []string
	ImportMap     map[string]string
	Module        *struct {
		Path      string
		Main      bool
		GoVersion string
	}
	Error *struct{ Err string }
}

// listFields are the go list -json fields a Program is made of.
const listFields = "ImportPath,Name,Dir,Standard,GoFiles,CgoFiles,CFiles,CXXFiles,MFiles,HFiles,FFiles,SFiles,SwigFiles,SwigCXXFiles,SysoFiles,EmbedPatterns,EmbedFiles,Imports,ImportMap,Module,Error"

// LoadProgram asks the go command for the package graph of pkg (relative
// to dir) built with tags and flags, and for the toolchain's version and
// tool folder. It gives up after 30 seconds.
func LoadProgram(ctx context.Context, goCmd, dir, pkg string, tags, flags, env []string) (*Program, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	args := []string{"list", "-e", "-deps", "-json=" + listFields}
	if len(tags) > 0 {
		args = append(args, "-tags="+strings.Join(tags, ","))
	}
	args = append(append(args, listFlags(flags)...), pkg)
	out, err := goOutput(ctx, goCmd, dir, env, args...)
	if err != nil {
		return nil, err
	}
	p, err := parseProgram(out)
	if err != nil {
		return nil, err
	}
	envOut, err := goOutput(ctx, goCmd, dir, env, "env", "-json", "GOVERSION", "GOTOOLDIR", "GOFLAGS")
	if err != nil {
		return nil, err
	}
	var ge struct{ GOVERSION, GOTOOLDIR, GOFLAGS string }
	if err := json.Unmarshal(envOut, &ge); err != nil {
		return nil, fmt.Errorf("go env: %w", err)
	}
	p.goVersion, p.toolDir, p.goFlags, p.tags = ge.GOVERSION, ge.GOTOOLDIR, ge.GOFLAGS, slices.Clone(tags)
	if p.compiler, err = os.Stat(filepath.Join(p.toolDir, "compile")); err != nil {
		return nil, fmt.Errorf("the Go compiler: %w", err)
	}
	return p, nil
}

// toolchainChanged says whether the compiler was replaced since the model
// was loaded (a Go upgrade in place), or "".
func (p *Program) toolchainChanged() string {
	fi, err := os.Stat(filepath.Join(p.toolDir, "compile"))
	if err != nil || !fi.ModTime().Equal(p.compiler.ModTime()) || fi.Size() != p.compiler.Size() {
		return "the Go toolchain changed"
	}
	return ""
}

// listFlags keeps the build flags go list shares with go build; the rest
// (-o, -x, -work and the like) do not change the package graph.
func listFlags(flags []string) []string {
	var out []string
	for _, f := range flags {
		name, _, _ := strings.Cut(strings.TrimLeft(f, "-"), "=")
		switch name {
		case "race", "msan", "asan", "cover", "mod", "modfile", "pgo", "gcflags", "ldflags", "trimpath", "buildvcs", "compiler", "installsuffix", "overlay", "workfile":
			out = append(out, f)
		}
	}
	return out
}

func goOutput(ctx context.Context, goCmd, dir string, env []string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, goCmd, args...)
	cmd.Dir, cmd.Env = dir, env
	// Canceled, the go command is killed; a child it started (git, while
	// downloading a module) may keep the output open: do not wait for it.
	cmd.WaitDelay = 500 * time.Millisecond
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go %s: %v: %s", args[0], err, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}

// parseProgram reads go list -json -deps output: a stream of package
// objects, the main package last.
func parseProgram(out []byte) (*Program, error) {
	p := &Program{byPath: map[string]*Package{}, byDir: map[string]*Package{}, importers: map[string][]*Package{}}
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var pkg Package
		err := dec.Decode(&pkg)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("reading go list output: %w", err)
		}
		if pkg.ImportPath == "" {
			return nil, errors.New("reading go list output: a package without an import path")
		}
		pp := &pkg
		p.Packages = append(p.Packages, pp)
		p.byPath[pkg.ImportPath] = pp
		if pkg.Dir != "" {
			p.byDir[filepath.Clean(pkg.Dir)] = pp
		}
		for _, imp := range pkg.Imports {
			p.importers[imp] = append(p.importers[imp], pp)
		}
	}
	if len(p.Packages) == 0 {
		return nil, errors.New("go list printed no package")
	}
	p.Main = p.Packages[len(p.Packages)-1]
	if p.Main.Name != "main" {
		return nil, fmt.Errorf("%s is package %s, not a main package", p.Main.ImportPath, p.Main.Name)
	}
	return p, nil
}

// inMainModule reports whether pkg is one of the main module's packages
// (those the dev loop may recompile itself).
func (pkg *Package) inMainModule() bool {
	return pkg.Module != nil && pkg.Module.Main && !pkg.Standard
}

// Outside reports whether every path (slash-separated, relative to root)
// is a Go file in a folder that holds none of the program's packages:
// saving it cannot change the program. Any other file, an unknown program
// (nil) or an empty list is inside.
func (p *Program) Outside(root string, paths []string) bool {
	if p == nil || len(paths) == 0 {
		return false
	}
	for _, rel := range paths {
		if !strings.HasSuffix(rel, ".go") {
			return false
		}
		if p.byDir[filepath.Dir(filepath.Join(root, filepath.FromSlash(rel)))] != nil {
			return false
		}
	}
	return true
}

// Embedded reports whether the file at abs is, or would be once created,
// embedded in the program by a //go:embed pattern of a package whose folder
// holds it. A nil Program embeds nothing.
func (p *Program) Embedded(abs string) bool {
	return p.embeddingPackage(abs) != nil
}

func (p *Program) embeddingPackage(abs string) *Package {
	if p == nil {
		return nil
	}
	for dir := filepath.Dir(abs); ; dir = filepath.Dir(dir) {
		if pkg := p.byDir[dir]; pkg != nil && len(pkg.EmbedPatterns) > 0 {
			rel, err := filepath.Rel(dir, abs)
			if err == nil {
				for _, pat := range pkg.EmbedPatterns {
					if embedMatch(pat, filepath.ToSlash(rel)) {
						return pkg
					}
				}
			}
		}
		if filepath.Dir(dir) == dir {
			return nil
		}
	}
}

// embedMatch reports whether pattern (a //go:embed pattern, possibly
// "all:"-prefixed) embeds the file at rel (slash-separated, relative to
// the package folder), with the rules of https://pkg.go.dev/embed#hdr-Directives:
// a pattern naming the file itself always matches; a pattern naming a
// folder above it matches unless a name below that folder starts with "."
// or "_" and the pattern lacks "all:".
func embedMatch(pattern, rel string) bool {
	glob, all := strings.CutPrefix(pattern, "all:")
	if ok, _ := path.Match(glob, rel); ok {
		return true
	}
	for dir := path.Dir(rel); dir != "." && dir != "/"; dir = path.Dir(dir) {
		if ok, _ := path.Match(glob, dir); !ok {
			continue
		}
		if all {
			return true
		}
		below := strings.Split(strings.TrimPrefix(rel, dir+"/"), "/")
		return !slices.ContainsFunc(below, func(n string) bool { return strings.HasPrefix(n, ".") || strings.HasPrefix(n, "_") })
	}
	return false
}

// embedConfig is the compiler's -embedcfg file for pkg: for each pattern
// the files it matched (from go list's EmbedFiles), and where they are.
func (pkg *Package) embedConfig() ([]byte, error) {
	cfg := struct {
		Patterns map[string][]string
		Files    map[string]string
	}{map[string][]string{}, map[string]string{}}
	for _, pat := range pkg.EmbedPatterns {
		list := []string{}
		for _, f := range pkg.EmbedFiles {
			if embedMatch(pat, f) {
				list = append(list, f)
				cfg.Files[f] = filepath.Join(pkg.Dir, filepath.FromSlash(f))
			}
		}
		cfg.Patterns[pat] = list
	}
	return json.Marshal(cfg)
}

// nonGoFiles lists the files of pkg the compiler alone cannot build (cgo,
// assembly, C and friends, syso), by kind.
func (pkg *Package) nonGoFiles() string {
	for kind, files := range map[string][]string{
		"cgo": pkg.CgoFiles, "C": pkg.CFiles, "C++": pkg.CXXFiles, "Objective-C": pkg.MFiles, "C headers": pkg.HFiles,
		"Fortran": pkg.FFiles, "assembly": pkg.SFiles, "SWIG": append(slices.Clone(pkg.SwigFiles), pkg.SwigCXXFiles...), "syso": pkg.SysoFiles,
	} {
		if len(files) > 0 {
			return kind
		}
	}
	return ""
}

// rel returns pkg's folder relative to root, for messages.
func (pkg *Package) rel(root string) string {
	if r, err := filepath.Rel(root, pkg.Dir); err == nil && !strings.HasPrefix(r, "..") {
		return filepath.ToSlash(r)
	}
	return pkg.ImportPath
}

// replay decides whether the saved paths (slash-separated, relative to
// root) can be built by recompiling packages of the main module with the
// toolchain directly. It returns the packages to recompile, or why not.
// What it checks: only Go files of the program's main-module packages and
// files they embed changed; each such package still has the same Go files,
// imports and embed patterns on disk (go/build reads them) and nothing the
// compiler alone cannot build; go.mod, go.sum and GOFLAGS did not change.
func (p *Program) replay(root string, paths []string) (pkgs []*Package, why string) {
	if len(paths) == 0 {
		return nil, "rebuild asked"
	}
	if f := compileFlag(strings.Fields(p.goFlags)); f != "" {
		return nil, "GOFLAGS has " + f
	}
	seen := map[*Package]bool{}
	for _, rel := range paths {
		abs := filepath.Join(root, filepath.FromSlash(rel))
		switch base := filepath.Base(abs); {
		case base == "go.mod" || base == "go.sum" || base == "go.work" || base == "go.work.sum":
			return nil, rel + " changed"
		case strings.HasSuffix(base, ".go"):
			pkg := p.byDir[filepath.Dir(abs)]
			if pkg == nil {
				return nil, rel + " is in no package of the program"
			}
			if !slices.Contains(pkg.GoFiles, base) && !slices.Contains(pkg.CgoFiles, base) {
				return nil, "new file " + rel
			}
			if !seen[pkg] {
				seen[pkg] = true
				pkgs = append(pkgs, pkg)
			}
		default:
			pkg := p.embeddingPackage(abs)
			if pkg == nil {
				return nil, rel + " is not embedded"
			}
			relToPkg, _ := filepath.Rel(pkg.Dir, abs)
			if !slices.Contains(pkg.EmbedFiles, filepath.ToSlash(relToPkg)) {
				return nil, "new embedded file " + rel
			}
			if !seen[pkg] {
				seen[pkg] = true
				pkgs = append(pkgs, pkg)
			}
		}
	}
	for _, pkg := range pkgs {
		if why := p.unchangedOnDisk(pkg, root); why != "" {
			return nil, why
		}
	}
	return pkgs, ""
}

// unchangedOnDisk checks that pkg can be compiled alone: it belongs to the
// main module, has only Go files, and its folder still holds the files,
// imports and embed patterns the model has. It returns why not, or "".
func (p *Program) unchangedOnDisk(pkg *Package, root string) string {
	name := pkg.rel(root)
	switch {
	case !pkg.inMainModule():
		return name + " is not in the main module"
	case pkg.Error != nil:
		return name + " had an error: " + pkg.Error.Err
	case pkg.nonGoFiles() != "":
		return name + " has " + pkg.nonGoFiles() + " files"
	case len(pkg.ImportMap) > 0:
		return name + " has vendored imports"
	}
	ctx := build.Default
	ctx.BuildTags = append(slices.Clone(ctx.BuildTags), p.tags...)
	now, err := ctx.ImportDir(pkg.Dir, 0)
	if err != nil {
		return name + ": " + err.Error()
	}
	if len(now.CgoFiles)+len(now.SFiles)+len(now.CFiles)+len(now.SysoFiles) > 0 {
		return name + " now has cgo or assembly files"
	}
	if !sameSet(now.GoFiles, pkg.GoFiles) {
		return name + ": Go files added or removed"
	}
	if !sameSet(now.Imports, pkg.Imports) {
		return name + ": imports changed"
	}
	if !sameSet(now.EmbedPatterns, pkg.EmbedPatterns) {
		return name + ": //go:embed patterns changed"
	}
	return ""
}

// compileFlag returns the first go build flag in flags that may change how
// packages compile (the fast path cannot replay those), or "". -ldflags
// only changes the link, which is replayed as go build ran it; -buildvcs
// the build information it carries; -mod and -modcacherw where modules
// come from, which the model already reflects.
func compileFlag(flags []string) string {
	for _, f := range flags {
		switch name, _, _ := strings.Cut(strings.TrimLeft(f, "-"), "="); name {
		case "ldflags", "buildvcs", "mod", "modcacherw", "modfile":
		default:
			return f
		}
	}
	return ""
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(slices.Compact(a), slices.Compact(b))
}

// Links reports whether the program imports the package at importPath
// (directly or not); false for a nil Program.
func (p *Program) Links(importPath string) bool {
	if p == nil {
		return false
	}
	_, ok := p.byPath[importPath]
	return ok
}
