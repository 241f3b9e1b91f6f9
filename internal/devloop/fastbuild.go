package devloop

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"go/build"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
)

// A direct build skips the go command. go build spends about a quarter of a
// second deciding that nothing but the main package changed (loading
// packages, hashing inputs, checking the cache) before it runs the compiler
// (~70 ms for a small main package) and the linker. When an edit touches
// only the main package's own .go files and neither its file set nor its
// imports changed, the compile and link commands of the previous go build
// (captured with -x, their import configuration kept with -work) are still
// exactly right: the runner runs them itself. Anything else (another
// package, go.mod, a new file, a new import, cgo or assembly) goes through
// go build, which captures a fresh plan.

// toolchainPlan is the compile and link of the main package as go build
// last ran them.
type toolchainPlan struct {
	work       string // go build's $WORK, kept with -work
	compileDir string
	compile    []string
	link       []string
	linkEnv    []string
	linkOut    int // index in link of the -o value
	compileOut int // index in compile of the -o value (the package archive)
	linkIn     int // index in link of that archive
	pkgDir     string
	files      []string // absolute, sorted
	imports    []string // sorted
	embeds     []string // sorted //go:embed patterns
}

// parseXOutput splits go build -x output into the plan for the main
// package's compile and link (nil when they did not run, or when the
// package needs steps the plan cannot replay) and everything else, which
// is the compiler's own output.
func parseXOutput(out []byte, dir string) (work string, plan *toolchainPlan, rest []byte) {
	var restBuf bytes.Buffer
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 0, 64*1024), 4*1024*1024)
	inHeredoc := false
	cwd := ""
	var compile, link []string
	var compileDir string
	var linkEnv []string
	unsupported := false
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
			continue
		case strings.Contains(line, "<< 'EOF'"):
			inHeredoc = true
			continue
		case strings.HasPrefix(line, "cd "):
			cwd = strings.TrimPrefix(line, "cd ")
			if !filepath.IsAbs(cwd) {
				cwd = filepath.Join(dir, cwd)
			}
			continue
		case positionLine.MatchString(line):
			restBuf.WriteString(line + "\n")
			continue
		case strings.HasPrefix(line, "mkdir -p ") || strings.HasPrefix(line, "cat ") || strings.HasPrefix(line, "cp ") ||
			strings.HasPrefix(line, "mv ") || strings.HasPrefix(line, "rm ") || strings.HasPrefix(line, "echo ") ||
			strings.HasPrefix(line, "go tool ") || strings.HasPrefix(line, "touch "):
			continue
		case strings.Contains(line, "/pkg/tool/"):
			args, env := splitShellLine(line)
			if len(args) == 0 {
				continue
			}
			tool := filepath.Base(args[0])
			b001 := slices.ContainsFunc(args, func(a string) bool { return strings.HasPrefix(a, "$WORK/b001/") })
			if !b001 {
				continue
			}
			switch tool {
			case "compile":
				compile, compileDir = args, cwd
			case "link":
				link, linkEnv = args, env
			default: // asm, cgo, pack: the main package has more than Go files
				unsupported = true
			}
			continue
		}
		restBuf.WriteString(line + "\n")
	}
	rest = restBuf.Bytes()
	if work == "" || compile == nil || link == nil || unsupported || compileDir == "" {
		return work, nil, rest
	}
	expand := func(args []string) []string {
		out := make([]string, len(args))
		for i, a := range args {
			out[i] = strings.ReplaceAll(a, "$WORK", work)
		}
		return out
	}
	p := &toolchainPlan{work: work, compileDir: compileDir, compile: expand(compile), link: expand(link), linkEnv: linkEnv, linkOut: -1}
	for i := 0; i+1 < len(p.link); i++ {
		if p.link[i] == "-o" {
			p.linkOut = i + 1
			break
		}
	}
	for _, a := range p.compile {
		if strings.HasSuffix(a, ".go") && !strings.HasPrefix(a, "-") {
			if !filepath.IsAbs(a) {
				a = filepath.Join(compileDir, a)
			}
			p.files = append(p.files, a)
		}
	}
	p.compileOut, p.linkIn = -1, -1
	for i := 0; i+1 < len(p.compile); i++ {
		if p.compile[i] == "-o" {
			p.compileOut = i + 1
			break
		}
	}
	if p.compileOut >= 0 {
		for i, a := range p.link {
			if a == p.compile[p.compileOut] {
				p.linkIn = i
			}
		}
	}
	if p.linkOut < 0 || p.compileOut < 0 || p.linkIn < 0 || len(p.files) == 0 {
		return work, nil, rest
	}
	p.pkgDir = filepath.Dir(p.files[0])
	slices.Sort(p.files)
	return work, p, rest
}

// complete records the package's imports and embeds, and drops the plan
// when the compiled files are not exactly the package's Go files, or when
// the package embeds files: the embed config go build wrote lists the
// files the patterns matched then, so a file added or removed later would
// be missed by a replayed compile. Such packages always go through go build.
func (p *toolchainPlan) complete(tags []string) bool {
	files, imports, embeds, ok := describePackage(p.pkgDir, tags)
	if !ok || !slices.Equal(files, p.files) || len(embeds) > 0 {
		return false
	}
	p.imports, p.embeds = imports, embeds
	return true
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

// describePackage reads what the plan depends on from the package folder.
func describePackage(dir string, tags []string) (files, imports, embeds []string, ok bool) {
	ctx := build.Default
	ctx.BuildTags = append(append([]string(nil), ctx.BuildTags...), tags...)
	pkg, err := ctx.ImportDir(dir, 0)
	if err != nil || len(pkg.CgoFiles) > 0 || len(pkg.SFiles) > 0 || len(pkg.CFiles) > 0 || len(pkg.SysoFiles) > 0 {
		return nil, nil, nil, false
	}
	for _, f := range pkg.GoFiles {
		files = append(files, filepath.Join(dir, f))
	}
	slices.Sort(files)
	imports = slices.Clone(pkg.Imports)
	slices.Sort(imports)
	embeds = slices.Clone(pkg.EmbedPatterns)
	slices.Sort(embeds)
	return files, imports, embeds, true
}

// fits reports whether a change to paths can be built with the plan.
func (p *toolchainPlan) fits(paths []string, root string, tags []string) bool {
	if p == nil || len(paths) == 0 {
		return false
	}
	for _, rel := range paths {
		abs := filepath.Join(root, filepath.FromSlash(rel))
		if !strings.HasSuffix(abs, ".go") || strings.HasSuffix(abs, "_test.go") || filepath.Dir(abs) != p.pkgDir {
			return false
		}
	}
	files, imports, embeds, ok := describePackage(p.pkgDir, tags)
	return ok && slices.Equal(files, p.files) && slices.Equal(imports, p.imports) && slices.Equal(embeds, p.embeds)
}

// buildDirect runs the plan's compile and link into out.
func buildDirect(ctx context.Context, p *toolchainPlan, baseEnv []string, root, out string) (BuildResult, error) {
	start := time.Now()
	var buf bytes.Buffer
	run := func(dir string, env []string, args []string) error {
		cmd := exec.Command(args[0], args[1:]...)
		cmd.Dir = dir
		cmd.Env = append(slices.Clone(baseEnv), env...)
		cmd.Stdout, cmd.Stderr = &buf, &buf
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		if err := cmd.Start(); err != nil {
			return err
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			return err
		case <-ctx.Done():
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
			return ErrBuildCanceled
		}
	}
	// Each direct build writes its own archive: a canceled compile may
	// still be dying while the next one starts.
	archive := out + ".a"
	defer os.Remove(archive)
	compile := slices.Clone(p.compile)
	compile[p.compileOut] = archive
	err := run(p.compileDir, nil, compile)
	if err == nil {
		link := slices.Clone(p.link)
		link[p.linkOut] = out
		link[p.linkIn] = archive
		err = run(p.compileDir, p.linkEnv, link)
	}
	res := BuildResult{Took: time.Since(start), Output: buf.Bytes(), Direct: true}
	if errors.Is(err, ErrBuildCanceled) {
		os.Remove(out)
		return res, err
	}
	if err != nil {
		res.Diagnostics = ParseBuildOutput(res.Output, p.compileDir, root)
		if len(res.Diagnostics) == 0 {
			res.Diagnostics = []Diagnostic{{Message: "compile failed: " + err.Error()}}
		}
		return res, fmt.Errorf("build failed: %w", err)
	}
	res.Binary = out
	return res, nil
}
