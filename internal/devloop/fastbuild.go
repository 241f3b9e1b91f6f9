package devloop

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// A fast build skips the go command. go build spends a quarter of a second
// or more deciding what changed (loading packages, hashing inputs, checking
// the cache) before it runs the compiler and the linker. When the Program
// model says the saved files are Go files (or embedded files) of packages
// of the main module whose file set, imports and embed patterns did not
// change, the Builder compiles those packages with the toolchain directly,
// compares each new archive's export data with the previous one, recompiles
// the packages importing it only when it changed (dependencies first), and
// reruns the link command of the last go build with the new archives
// substituted in its import configuration. Anything else goes through go
// build, which captures a fresh plan.

// linkPlan is the link of the main package as the last complete go build
// ran it (captured with -x, its import configuration kept with -work),
// and the archive of every package it linked.
type linkPlan struct {
	work     string // go build's $WORK, kept with -work
	dir      string // where the link ran
	link     []string
	linkEnv  []string
	linkOut  int // index in link of the -o value
	linkCfg  int // index in link of the -importcfg value
	linkMain int // index in link of the main package's archive
	// cfgHeader holds the import configuration's lines other than
	// packagefile (modinfo: the build information of the binary).
	cfgHeader []string
	// archives maps every linked package's import path to its archive.
	archives map[string]string
	// compiles holds the compile commands go build ran, by -p value, so
	// that the commands the Builder writes itself can be checked against
	// them.
	compiles map[string][]string
}

// parseXOutput splits go build -x output into the plan of its link (nil
// when there was no link) and everything else, which is the compiler's own
// output.
func parseXOutput(out []byte, dir string) (work string, plan *linkPlan, rest []byte) {
	var restBuf bytes.Buffer
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 0, 64*1024), 4*1024*1024)
	inHeredoc := false
	cwd := dir
	compiles := map[string][]string{}
	for sc.Scan() {
		line := sc.Text()
		if inHeredoc {
			// The terminator is alone on its line, except after content
			// without a final newline: go build writes the embed config as
			// JSON ending in "}" directly followed by "EOF".
			if strings.HasSuffix(line, "EOF") {
				inHeredoc = false
			}
			continue
		}
		switch {
		case strings.HasPrefix(line, "WORK="):
			work = strings.TrimPrefix(line, "WORK=")
		case strings.Contains(line, "<< 'EOF'"):
			inHeredoc = true
		case strings.HasPrefix(line, "cd "):
			cwd = strings.TrimPrefix(line, "cd ")
			if !filepath.IsAbs(cwd) {
				cwd = filepath.Join(dir, cwd)
			}
		case positionLine.MatchString(line):
			restBuf.WriteString(line + "\n")
		case strings.HasPrefix(line, "mkdir -p ") || strings.HasPrefix(line, "cat ") || strings.HasPrefix(line, "cp ") ||
			strings.HasPrefix(line, "mv ") || strings.HasPrefix(line, "rm ") || strings.HasPrefix(line, "echo ") ||
			strings.HasPrefix(line, "go tool ") || strings.HasPrefix(line, "touch "):
		case strings.Contains(line, "/pkg/tool/"):
			args, env := splitShellLine(line)
			if len(args) == 0 {
				continue
			}
			switch filepath.Base(args[0]) {
			case "compile":
				if p := flagValue(args, "-p"); p >= 0 {
					compiles[args[p]] = args
				}
			case "link":
				if slices.ContainsFunc(args, func(a string) bool { return strings.HasPrefix(a, "$WORK/b001/") }) {
					plan = &linkPlan{dir: cwd, link: args, linkEnv: env}
				}
			}
		default:
			restBuf.WriteString(line + "\n")
		}
	}
	rest = restBuf.Bytes()
	if work == "" || plan == nil {
		return work, nil, rest
	}
	plan.work, plan.compiles = work, compiles
	for i, a := range plan.link {
		plan.link[i] = strings.ReplaceAll(a, "$WORK", work)
	}
	plan.linkOut, plan.linkCfg, plan.linkMain = flagValue(plan.link, "-o"), flagValue(plan.link, "-importcfg"), len(plan.link)-1
	if plan.linkOut < 0 || plan.linkCfg < 0 || plan.linkMain <= plan.linkCfg || strings.HasPrefix(plan.link[plan.linkMain], "-") {
		return work, nil, rest
	}
	return work, plan, rest
}

// flagValue returns the index of the value of flag in args ("-o x"), or -1.
func flagValue(args []string, flag string) int {
	for i := 0; i+1 < len(args); i++ {
		if args[i] == flag {
			return i + 1
		}
	}
	return -1
}

// readImportcfg loads the link's import configuration: the archive of
// every package, and the other lines kept as they are.
func (p *linkPlan) readImportcfg() error {
	data, err := os.ReadFile(p.link[p.linkCfg])
	if err != nil {
		return err
	}
	p.archives = map[string]string{}
	for line := range strings.Lines(string(data)) {
		line = strings.TrimSuffix(line, "\n")
		if rest, ok := strings.CutPrefix(line, "packagefile "); ok {
			path, file, ok := strings.Cut(rest, "=")
			if !ok || path == "" || file == "" {
				return fmt.Errorf("import configuration line %q", line)
			}
			p.archives[path] = file
			continue
		}
		p.cfgHeader = append(p.cfgHeader, line)
	}
	if len(p.archives) == 0 {
		return errors.New("import configuration lists no package")
	}
	return nil
}

// splitShellLine splits a command line as go build -x prints it: words
// separated by spaces, '…' and "…" quoting, leading VAR=value assignments
// returned separately.
func splitShellLine(line string) (args, env []string) {
	var cur strings.Builder
	inWord := false
	var quote byte
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			} else if c == '\\' && quote == '"' && i+1 < len(line) {
				i++
				cur.WriteByte(line[i])
			} else {
				cur.WriteByte(c)
			}
		case c == '\'' || c == '"':
			quote, inWord = c, true
		case c == ' ' || c == '\t':
			if inWord {
				args = append(args, cur.String())
				cur.Reset()
				inWord = false
			}
		case c == '\\' && i+1 < len(line):
			i++
			cur.WriteByte(line[i])
			inWord = true
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		args = append(args, cur.String())
	}
	for len(args) > 0 {
		k, _, ok := strings.Cut(args[0], "=")
		if !ok || k == "" || strings.ContainsAny(k, "/-.") {
			break
		}
		env = append(env, args[0])
		args = args[1:]
	}
	return args, env
}

// compileArgs is the compile command go build runs for pkg (the flags its
// -x output shows for the gc toolchain) with the Builder's own output,
// import configuration and object folder.
func (prog *Program) compileArgs(pkg *Package, archive, importcfg, embedcfg, objdir string) []string {
	p := pkg.ImportPath
	if pkg.Name == "main" {
		p = "main"
	}
	lang := langVersion(prog.goVersion)
	if pkg.Module != nil && pkg.Module.GoVersion != "" {
		lang = langVersion(pkg.Module.GoVersion)
	}
	args := []string{filepath.Join(prog.toolDir, "compile"), "-o", archive, "-trimpath", objdir + "=>", "-p", p, "-lang=go" + lang, "-complete",
		"-buildid", "golocal/golocal", "-goversion", prog.goVersion, "-c=2", "-nolocalimports", "-importcfg", importcfg}
	if embedcfg != "" {
		args = append(args, "-embedcfg", embedcfg)
	}
	args = append(args, "-pack")
	for _, f := range pkg.GoFiles {
		args = append(args, filepath.Join(pkg.Dir, f))
	}
	return args
}

// langVersion turns "go1.26.8" or "1.26" into "1.26".
func langVersion(v string) string {
	v = strings.TrimPrefix(v, "go")
	parts := strings.SplitN(v, ".", 3)
	if len(parts) >= 2 {
		minor := parts[1]
		if i := strings.IndexFunc(minor, func(r rune) bool { return r < '0' || r > '9' }); i >= 0 {
			minor = minor[:i]
		}
		return parts[0] + "." + minor
	}
	return v
}

// checkCompiles compares the compile commands go build ran for packages of
// the main module with the ones the Builder would write, ignoring paths,
// build IDs and concurrency. It returns why they differ, or "".
func (prog *Program) checkCompiles(compiles map[string][]string) string {
	for _, pkg := range prog.Packages {
		if !pkg.inMainModule() || pkg.nonGoFiles() != "" {
			continue // never compiled by the Builder
		}
		key := pkg.ImportPath
		if pkg.Name == "main" {
			key = "main"
		}
		theirs, ok := compiles[key]
		if !ok {
			continue
		}
		embedcfg := ""
		if flagValue(theirs, "-embedcfg") >= 0 {
			embedcfg = "x"
		}
		ours := prog.compileArgs(pkg, "x", "x", embedcfg, "x")
		if a, b := compileShape(theirs), compileShape(ours); !slices.Equal(a, b) {
			return fmt.Sprintf("go build compiled %s with other flags (%s)", pkg.ImportPath, strings.Join(b, " "))
		}
	}
	return ""
}

// compileShape is a compile command without the parts that name files or
// vary between identical builds.
func compileShape(args []string) []string {
	var out []string
	for i := 1; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "-o" || a == "-importcfg" || a == "-embedcfg" || a == "-buildid" || a == "-trimpath":
			i++
			out = append(out, a)
		case strings.HasPrefix(a, "-c="), strings.HasSuffix(a, ".go") && !strings.HasPrefix(a, "-"):
		default:
			out = append(out, a)
		}
	}
	return out
}

// exportHash hashes the export data of a package archive: the __.PKGDEF
// member from its "$$B" marker on (the build ID line before it differs
// between identical compiles). Importers compile against this data only,
// and the linker checks their fingerprint of it, so an archive whose
// export data did not change needs no importer recompiled.
func exportHash(file string) ([32]byte, bool) {
	data, err := os.ReadFile(file)
	if err != nil {
		return [32]byte{}, false
	}
	export, ok := pkgdefExport(data)
	if !ok {
		return [32]byte{}, false
	}
	return sha256.Sum256(export), true
}

// pkgdefExport returns the export data in a Go package archive (the Unix
// ar format the compiler writes with -pack: https://pkg.go.dev/cmd/pack).
func pkgdefExport(data []byte) ([]byte, bool) {
	const magic, hdrLen = "!<arch>\n", 60
	if !bytes.HasPrefix(data, []byte(magic)) {
		return nil, false
	}
	data = data[len(magic):]
	for len(data) >= hdrLen {
		hdr := data[:hdrLen]
		if string(hdr[58:60]) != "`\n" {
			return nil, false
		}
		size, err := strconv.Atoi(strings.TrimSpace(string(hdr[48:58])))
		if err != nil || size < 0 || size > len(data)-hdrLen {
			return nil, false
		}
		body := data[hdrLen : hdrLen+size]
		if strings.TrimSpace(string(hdr[:16])) == "__.PKGDEF" {
			i := bytes.Index(body, []byte("\n$$B\n"))
			if i < 0 {
				return nil, false
			}
			return body[i:], true
		}
		next := hdrLen + size + size%2 // members are padded to an even size
		if next > len(data) {
			return nil, false
		}
		data = data[next:]
	}
	return nil, false
}

// runTool runs a toolchain command in its own process group, killed with
// the group when ctx is done.
func runTool(ctx context.Context, dir string, env []string, args []string, out *bytes.Buffer) error {
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Dir, cmd.Env = dir, env
	cmd.Stdout, cmd.Stderr = out, out
	group, err := startGroup(cmd)
	if err != nil {
		return err
	}
	defer group.release()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		group.kill()
		<-done
		return ErrBuildCanceled
	}
}

// fastJob is one fast build: the packages to recompile, where its files go,
// and what it found.
type fastJob struct {
	seq      int        // the Builder's build number
	pkgs     []*Package // the packages the saved files belong to
	prog     *Program
	plan     *linkPlan
	env      []string
	root     string
	dir      string // this build's own folder for archives and configs
	archives map[string]string
	output   bytes.Buffer
	compiled []string // packages recompiled, relative folders
	note     string   // what happened to export data
	linkTook time.Duration
}

// errUntrusted marks a fast build that found the plan cannot be used after
// all (an importer with cgo, an archive missing): go build must run.
type errUntrusted struct{ why string }

func (e errUntrusted) Error() string { return e.why }

// compileAll recompiles dirty packages in dependency order, marking the
// importers of a package whose export data changed.
func (j *fastJob) compileAll(ctx context.Context, dirty map[*Package]bool) error {
	changedExport := []string{}
	for i, pkg := range j.prog.Packages {
		if !dirty[pkg] {
			continue
		}
		if why := j.prog.unchangedOnDisk(pkg, j.root); why != "" {
			return errUntrusted{why}
		}
		archive := filepath.Join(j.dir, strconv.Itoa(i)+".a")
		j.compiled = append(j.compiled, pkg.rel(j.root))
		if err := j.compile(ctx, pkg, archive); err != nil {
			return err
		}
		old := j.archives[pkg.ImportPath]
		j.archives[pkg.ImportPath] = archive
		oldHash, ok1 := exportHash(old)
		newHash, ok2 := exportHash(archive)
		if ok1 && ok2 && oldHash == newHash {
			continue
		}
		changedExport = append(changedExport, pkg.rel(j.root))
		for _, imp := range j.prog.importers[pkg.ImportPath] {
			if !imp.inMainModule() {
				return errUntrusted{imp.ImportPath + " (not in the main module) imports " + pkg.ImportPath}
			}
			dirty[imp] = true
		}
	}
	if len(changedExport) == 0 {
		j.note = "export unchanged"
	} else {
		j.note = "export changed: " + strings.Join(changedExport, ", ")
	}
	return nil
}

// compile writes pkg's import (and embed) configuration and compiles it.
func (j *fastJob) compile(ctx context.Context, pkg *Package, archive string) error {
	var cfg strings.Builder
	cfg.WriteString("# import config\n")
	for _, imp := range pkg.Imports {
		if imp == "unsafe" || imp == "C" {
			continue
		}
		a, ok := j.archives[imp]
		if !ok {
			return errUntrusted{"no archive for " + imp + " in the last link"}
		}
		fmt.Fprintf(&cfg, "packagefile %s=%s\n", imp, a)
	}
	base := strings.TrimSuffix(archive, ".a")
	importcfg, embedcfg := base+".importcfg", ""
	if err := os.WriteFile(importcfg, []byte(cfg.String()), 0o644); err != nil {
		return err
	}
	if len(pkg.EmbedPatterns) > 0 {
		data, err := pkg.embedConfig()
		if err != nil {
			return err
		}
		embedcfg = base + ".embedcfg"
		if err := os.WriteFile(embedcfg, data, 0o644); err != nil {
			return err
		}
	}
	return runTool(ctx, j.root, j.env, j.prog.compileArgs(pkg, archive, importcfg, embedcfg, j.dir), &j.output)
}

// link writes the link's import configuration with the new archives and
// reruns the link into out.
func (j *fastJob) link(ctx context.Context, out string) error {
	var cfg strings.Builder
	for _, l := range j.plan.cfgHeader {
		cfg.WriteString(l + "\n")
	}
	paths := make([]string, 0, len(j.archives))
	for p := range j.archives {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	for _, p := range paths {
		fmt.Fprintf(&cfg, "packagefile %s=%s\n", p, j.archives[p])
	}
	importcfg := filepath.Join(j.dir, "importcfg.link")
	if err := os.WriteFile(importcfg, []byte(cfg.String()), 0o644); err != nil {
		return err
	}
	mainArchive, ok := j.archives[j.prog.Main.ImportPath]
	if !ok {
		return errUntrusted{"the last link had no archive for the main package"}
	}
	args := slices.Clone(j.plan.link)
	args[j.plan.linkOut], args[j.plan.linkCfg], args[j.plan.linkMain] = out, importcfg, mainArchive
	var linkOut bytes.Buffer
	if err := runTool(ctx, j.plan.dir, append(slices.Clone(j.env), j.plan.linkEnv...), args, &linkOut); err != nil {
		if errors.Is(err, ErrBuildCanceled) {
			return err
		}
		return errUntrusted{"the link failed: " + strings.TrimSpace(linkOut.String())}
	}
	return nil
}

// summary says what a finished fast build did, e.g.
// "fast: internal/web (export unchanged), compile 61 ms + link 412 ms",
// compile being everything before the link.
func (j *fastJob) summary(compile time.Duration) string {
	return fmt.Sprintf("fast: %s (%s), compile %d ms + link %d ms", strings.Join(j.compiled, ", "), j.note, compile.Milliseconds(), j.linkTook.Milliseconds())
}
