package devloop

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ErrBuildCanceled is returned by Build when its context was canceled (a
// newer change arrived).
var ErrBuildCanceled = errors.New("build canceled")

// BuildOptions describe how to run "go build".
type BuildOptions struct {
	// GoCmd is the path of the go command (found on PATH by the runner).
	GoCmd string
	// Dir is where go build runs (the folder the package path is relative to).
	Dir string
	// Root is the project root diagnostics are made relative to.
	Root string
	// Package is the main package, e.g. "." or "./cmd/web".
	Package string
	// Flags are extra go build flags; Tags become -tags.
	Flags []string
	Tags  []string
	// KeepDebugInfo disables the lean development link (-ldflags=-s -w),
	// for debuggers such as Delve.
	KeepDebugInfo bool
	// Env is the build environment (default: the runner's).
	Env []string
	// NoReplay builds without recording the compile and link commands
	// (go build -x -work) that a Builder repeats directly on the next
	// edit: for one-off builds and when fast builds are off.
	NoReplay bool
}

// BuildResult is one finished build.
type BuildResult struct {
	// Binary is the new executable (only when Err is nil).
	Binary string
	// Took is the wall time of go build.
	Took time.Duration
	// Output is what go build printed.
	Output []byte
	// Diagnostics is Output parsed.
	Diagnostics []Diagnostic
	// Direct is set when the compiler and linker ran without the go command.
	Direct bool
	// How says which path the build took and why, e.g.
	// "fast: internal/web (export unchanged), compile 61 ms + link 412 ms" or
	// "full: go.mod changed".
	How string
	// plan is how to repeat this build's link directly.
	plan *linkPlan
}

// BuildArgs returns the go command's arguments for a build into out.
func (o BuildOptions) BuildArgs(out string) []string {
	// -x prints the compile and link commands and -work keeps their import
	// configuration, so that the next edit can repeat them directly.
	args := []string{"build", "-x", "-work", "-o", out}
	if o.NoReplay {
		args = []string{"build", "-o", out}
	}
	hasLDFlags := false
	for _, f := range o.Flags {
		if f == "-ldflags" || strings.HasPrefix(f, "-ldflags=") || strings.HasPrefix(f, "--ldflags") {
			hasLDFlags = true
		}
	}
	// -s -w skips the symbol table and DWARF: the linker writes less and
	// finishes sooner, and a development binary is not debugged unless the
	// user asks (KeepDebugInfo) or passes their own -ldflags.
	if !o.KeepDebugInfo && !hasLDFlags {
		args = append(args, "-ldflags=-s -w")
	}
	if len(o.Tags) > 0 {
		args = append(args, "-tags="+strings.Join(o.Tags, ","))
	}
	args = append(args, o.Flags...)
	return append(args, o.Package)
}

// Build runs go build into out. The go command and the compilers and linker
// it starts run in their own process group, so canceling ctx kills the whole
// tree at once (go build does not forward signals to its children reliably).
// A failed build returns its diagnostics in the result and a non-nil error.
// A successful one keeps go build's work folder when its link can be
// replayed (see Builder).
func Build(ctx context.Context, o BuildOptions, out string) (BuildResult, error) {
	start := time.Now()
	var buf bytes.Buffer
	err := runTool(ctx, o.Dir, o.Env, append([]string{o.GoCmd}, o.BuildArgs(out)...), &buf)
	work, plan, rest := parseXOutput(buf.Bytes(), o.Dir)
	res := BuildResult{Took: time.Since(start), Output: rest}
	if errors.Is(err, ErrBuildCanceled) {
		os.Remove(out)
		if work != "" {
			os.RemoveAll(work)
		}
		return res, err
	}
	if err == nil && plan != nil && plan.readImportcfg() == nil {
		res.plan = plan
	} else if work != "" {
		os.RemoveAll(work)
	}
	if err != nil {
		res.Diagnostics = ParseBuildOutput(res.Output, o.Dir, o.Root)
		if len(res.Diagnostics) == 0 {
			res.Diagnostics = []Diagnostic{{Message: "go build failed: " + err.Error()}}
		}
		return res, fmt.Errorf("build failed: %w", err)
	}
	if !isExecutable(out) {
		// go build succeeds without an executable for a package that is
		// not a command (it writes the package archive) or with a build
		// mode that makes none: say so rather than start it.
		res.Diagnostics = []Diagnostic{{Message: "go build wrote no executable: is " + o.Package + " a main package, and are the build flags (" + strings.Join(o.Flags, " ") + ") for a program?"}}
		return res, errors.New("build failed: go build wrote no executable")
	}
	res.Binary = out
	return res, nil
}

// isExecutable reports whether the file at p is a program: a regular file
// with an execute bit, not a package archive.
func isExecutable(p string) bool {
	f, err := os.Open(p)
	if err != nil {
		return false
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() || fi.Mode().Perm()&0o111 == 0 {
		return false
	}
	head := make([]byte, 8)
	n, _ := io.ReadFull(f, head)
	return n > 0 && !bytes.HasPrefix(head[:n], []byte("!<arch>"))
}

// findGo locates the go command, preferring $GOROOT/bin/go when GOROOT is set.
func findGo(getenv func(string) string) (string, error) {
	if gr := getenv("GOROOT"); gr != "" {
		p := filepath.Join(gr, "bin", "go")
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p, nil
		}
	}
	for _, dir := range filepath.SplitList(getenv("PATH")) {
		if dir == "" {
			continue
		}
		p := filepath.Join(dir, "go")
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0 {
			return p, nil
		}
	}
	return "", errors.New("the go command is not on PATH: golocal dev builds with it; install Go and add its bin folder to PATH (or set GOROOT)")
}

// NoFastBuildEnv turns fast builds off when set to 1 (as --no-fast-build
// does): every build runs go build.
const NoFastBuildEnv = "GOLOCAL_NO_FAST_BUILD"

// A Builder builds the program on each change, by the fastest path it can
// trust: a fast build (see fastbuild.go) when the Program model says the
// last go build's plan still holds for the saved files, go build otherwise.
// It keeps the model fresh: loaded with the first build and again after
// every go build, in the background, so a swap never waits for it. Build
// may be called again before a previous call returned (the runner cancels
// superseded builds); results are adopted in the order builds started.
type Builder struct {
	opts    BuildOptions
	tempDir string
	noFast  string // why fast builds are off, "" when on
	ctx     context.Context
	cancel  context.CancelFunc
	loads   sync.WaitGroup

	mu       sync.Mutex
	seq      int               // builds started
	plan     *linkPlan         // the last successful go build's link
	planSeq  int               // the build that made plan
	planWhy  string            // why plan cannot be used, when checked
	archives map[string]string // current archive of each package (plan's, then fast builds')
	archSeq  int               // the build that made archives
	prog     *Program          // the last model loaded (stale while a newer one loads); nil if none or it failed
	progSeq  int               // builds started when prog was asked for
	progErr  error
	loadSeq  int  // builds started when the latest load was asked for
	loadGen  int  // the latest load asked for; an older one's result is dropped
	deferred bool // the latest load waits for Settled (or refreshDelay)
	closed   bool
	timer    *time.Timer
	inFlight map[int]*fastJob
	owned    []string // fast build folders and retired work folders

	firstLoad chan struct{} // closed when the first model load ended

	cgoMu      sync.Mutex       // held while deciding about cgo
	cgoDecided bool             // under cgoMu
	cgo        cgoChoice        // see cgo.go; decided before the first build
	onCgo      func(msg string) // told when cgo had to be turned back on
}

// NewBuilder returns a Builder for o whose fast builds write under
// tempDir. noFast, when not empty, turns fast builds off and says why
// (e.g. "--no-fast-build").
func NewBuilder(o BuildOptions, tempDir, noFast string) *Builder {
	ctx, cancel := context.WithCancel(context.Background())
	b := &Builder{opts: o, tempDir: tempDir, noFast: noFast, ctx: ctx, cancel: cancel, inFlight: map[int]*fastJob{}, firstLoad: make(chan struct{})}
	if f := compileFlag(o.Flags); noFast == "" && f != "" {
		b.noFast = "build flag " + f
	}
	// With fast builds off no plan is ever replayed: go build need not
	// print and keep one.
	b.opts.NoReplay = b.opts.NoReplay || b.noFast != ""
	return b
}

// Program returns the latest model loaded, nil before the first one. After
// a go build it may be the previous one until the next has loaded: still
// the best answer to which files matter (see Outside, Embedded), while the
// fast path waits for the fresh one.
func (b *Builder) Program() *Program {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.prog
}

// Outside reports whether paths cannot change the program (see
// Program.Outside); false while that is not known, which includes while
// the model of the last go build is not loaded yet: that build may have
// added the very import that brings paths in.
func (b *Builder) Outside(paths []string) bool {
	b.mu.Lock()
	p := b.prog
	if b.progSeq < b.loadSeq || b.progErr != nil {
		p = nil
	}
	b.mu.Unlock()
	return p.Outside(b.opts.Root, paths)
}

// Embedded reports whether the program embeds the file at abs.
func (b *Builder) Embedded(abs string) bool { return b.Program().Embedded(abs) }

// Close stops loading the model and removes what the Builder kept.
func (b *Builder) Close() {
	b.mu.Lock()
	b.closed = true
	if b.timer != nil {
		b.timer.Stop()
	}
	b.mu.Unlock()
	b.cancel()
	b.loads.Wait()
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.plan != nil {
		os.RemoveAll(b.plan.work)
	}
	for _, d := range b.owned {
		os.RemoveAll(d)
	}
	b.owned = nil
}

// Build builds the program into out after paths changed (slash-separated,
// relative to the module root; nil for a rebuild asked by hand). The
// result's How says which path it took and why.
func (b *Builder) Build(ctx context.Context, paths []string, out string) (BuildResult, error) {
	if err := b.decideCgo(ctx); err != nil {
		return BuildResult{}, err
	}
	b.mu.Lock()
	b.seq++
	seq := b.seq
	if seq == 1 {
		b.refreshLocked(seq)
	}
	job, why := b.fastJobLocked(seq, paths)
	if b.planSeq == 0 {
		// Until a go build finished, say what was decided about cgo.
		why += " (" + b.cgo.why + ")"
	}
	opts, cgoOff := b.optsLocked(), b.cgo.off
	b.mu.Unlock()
	if job != nil {
		res, err := b.runFast(ctx, job, out)
		var ut errUntrusted
		if !errors.As(err, &ut) {
			return res, err
		}
		why = "fast build gave up: " + ut.why
	}
	res, err := Build(ctx, opts, out)
	res.How = "full: " + why
	if err != nil && !errors.Is(err, ErrBuildCanceled) && cgoOff {
		// A package that only builds with cgo fails without it: if one
		// is in the graph now, build again with cgo.
		if needs := b.recheckCgo(false); needs != "" {
			res, err = Build(ctx, b.options(), out)
			res.How = "full: " + why + "; " + needs + ", so cgo is on from now on"
		}
	}
	b.adoptFull(seq, res, err)
	return res, err
}

// decideCgo makes the cgo decision (see cgo.go) before the first build.
// It ends with ctx, a superseded build or the end of the session, without
// deciding: the next build decides then.
func (b *Builder) decideCgo(ctx context.Context) error {
	b.cgoMu.Lock()
	defer b.cgoMu.Unlock()
	if b.cgoDecided {
		return nil
	}
	c := decideCgo(ctx, b.opts)
	if ctx.Err() != nil {
		return ErrBuildCanceled
	}
	b.mu.Lock()
	b.cgo = c
	b.mu.Unlock()
	b.cgoDecided = true
	return nil
}

func (b *Builder) options() BuildOptions {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.optsLocked()
}

// fastJobLocked prepares a fast build for paths, or says why there is none.
func (b *Builder) fastJobLocked(seq int, paths []string) (*fastJob, string) {
	switch {
	case b.noFast != "":
		return nil, "fast builds are off (" + b.noFast + ")"
	case b.plan == nil && b.planSeq == 0:
		return nil, "first build"
	case b.plan == nil:
		return nil, "the last go build failed"
	case b.progSeq < b.planSeq || b.prog == nil && b.progErr == nil:
		return nil, "the package graph is still loading"
	case b.progErr != nil:
		return nil, "the package graph could not be loaded: " + b.progErr.Error()
	}
	if b.planWhy == "" {
		b.planWhy = b.prog.checkCompiles(b.plan.compiles)
		if b.planWhy == "" {
			b.planWhy = "ok"
		}
	}
	if b.planWhy != "ok" {
		return nil, b.planWhy
	}
	if why := b.prog.toolchainChanged(); why != "" {
		return nil, why
	}
	pkgs, why := b.prog.replay(b.opts.Root, paths)
	if why != "" {
		return nil, why
	}
	job := &fastJob{seq: seq, pkgs: pkgs, prog: b.prog, plan: b.plan, env: b.optsLocked().Env, root: b.opts.Root,
		dir: filepath.Join(b.tempDir, "fast-"+strconv.Itoa(seq)), archives: maps.Clone(b.archives)}
	b.inFlight[seq] = job
	b.owned = append(b.owned, job.dir)
	return job, ""
}

// runFast runs a prepared fast build. An errUntrusted error means go build
// must run instead.
func (b *Builder) runFast(ctx context.Context, job *fastJob, out string) (BuildResult, error) {
	seq := job.seq
	defer b.finish(seq)
	start := time.Now()
	dirty := map[*Package]bool{}
	for _, p := range job.pkgs {
		dirty[p] = true
	}
	err := os.MkdirAll(job.dir, 0o755)
	if err == nil {
		err = job.compileAll(ctx, dirty)
	}
	linkStart := time.Now()
	if err == nil {
		err = job.link(ctx, out)
	}
	job.linkTook = time.Since(linkStart)
	res := BuildResult{Took: time.Since(start), Output: job.output.Bytes(), Direct: true}
	var ut errUntrusted
	switch {
	case errors.Is(err, ErrBuildCanceled):
		os.Remove(out)
		return res, err
	case errors.As(err, &ut):
		return res, err
	case err != nil:
		res.Diagnostics = ParseBuildOutput(res.Output, job.root, job.root)
		if !slices.ContainsFunc(res.Diagnostics, func(d Diagnostic) bool { return d.Line > 0 }) {
			// Not the compiler pointing at the user's code: do not trust
			// the plan with it.
			return res, errUntrusted{"compile failed: " + strings.TrimSpace(string(res.Output)) + " " + err.Error()}
		}
		res.How = "fast: " + strings.Join(job.compiled, ", ") + " failed to compile"
		return res, fmt.Errorf("build failed: %w", err)
	}
	res.Binary, res.How = out, job.summary(res.Took-job.linkTook)
	b.mu.Lock()
	if seq > b.archSeq {
		b.archives, b.archSeq = job.archives, seq
	}
	b.mu.Unlock()
	return res, nil
}

// finish forgets an in-flight fast build and removes the folders nothing
// refers to any more.
func (b *Builder) finish(seq int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.inFlight, seq)
	b.collectLocked()
}

// collectLocked removes owned folders that neither the current archives
// and plan nor an in-flight fast build use.
func (b *Builder) collectLocked() {
	used := func(dir string) bool {
		inside := func(f string) bool { return strings.HasPrefix(f, dir+string(filepath.Separator)) }
		if b.plan != nil && b.plan.work == dir {
			return true
		}
		for _, a := range b.archives {
			if inside(a) {
				return true
			}
		}
		for _, j := range b.inFlight {
			if j.dir == dir || j.plan.work == dir {
				return true
			}
			for _, a := range j.archives {
				if inside(a) {
					return true
				}
			}
		}
		return false
	}
	kept := b.owned[:0]
	for _, d := range b.owned {
		if used(d) {
			kept = append(kept, d)
		} else {
			os.RemoveAll(d)
		}
	}
	b.owned = kept
}

// adoptFull takes the plan of a finished go build (none when it failed:
// another package may be broken) and asks for the model again, since
// imports may have changed.
func (b *Builder) adoptFull(seq int, res BuildResult, err error) {
	if errors.Is(err, ErrBuildCanceled) {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if seq <= b.planSeq || seq <= b.archSeq {
		if res.plan != nil {
			os.RemoveAll(res.plan.work)
		}
		return
	}
	if b.plan != nil {
		b.owned = append(b.owned, b.plan.work)
	}
	b.plan, b.planSeq, b.planWhy = res.plan, seq, ""
	b.archives, b.archSeq = nil, seq
	if res.plan != nil {
		b.archives = maps.Clone(res.plan.archives)
	}
	b.collectLocked()
	if b.loadSeq < seq {
		b.deferRefreshLocked(seq)
	}
}

// refreshDelay bounds how long a model load asked for after a go build
// waits for Settled.
const refreshDelay = time.Second

// refreshLocked loads the model again in the background, now.
func (b *Builder) refreshLocked(seq int) {
	b.loadSeq = seq
	b.loadGen++
	b.deferred = false
	b.startLoadLocked(b.loadGen, seq)
}

// deferRefreshLocked asks for the model again but starts loading it only
// when the runner says the new version is serving (Settled), or after
// refreshDelay: go list -deps -export competes with the new version's
// start for the CPU, and the swap is what the user waits for.
func (b *Builder) deferRefreshLocked(seq int) {
	b.loadSeq = seq
	b.loadGen++
	b.deferred = true
	if b.timer == nil {
		b.timer = time.AfterFunc(refreshDelay, b.Settled)
	} else {
		b.timer.Reset(refreshDelay)
	}
}

// Settled tells the Builder the build's outcome is served (or has failed):
// a model load it deferred starts now.
func (b *Builder) Settled() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.deferred || b.closed {
		return
	}
	b.deferred = false
	b.timer.Stop()
	b.startLoadLocked(b.loadGen, b.loadSeq)
}

func (b *Builder) startLoadLocked(gen, seq int) {
	if b.closed {
		return
	}
	o := b.optsLocked()
	cgoOff := b.cgo.off
	b.loads.Add(1)
	go func() {
		defer b.loads.Done()
		p, err := LoadProgram(b.ctx, o.GoCmd, o.Dir, o.Package, o.Tags, o.Flags, o.Env)
		if cgoOff && err == nil {
			b.recheckCgo(true)
		}
		b.mu.Lock()
		defer b.mu.Unlock()
		if gen != b.loadGen {
			return // a newer load was asked for (it closes firstLoad)
		}
		b.progSeq, b.progErr = seq, err
		if err == nil {
			b.prog = p
		}
		select {
		case <-b.firstLoad:
		default:
			close(b.firstLoad)
		}
	}()
}

// notifyingPackages send sd_notify's READY=1 from the programs that link
// them: golocal's serve and systemd's daemon package.
var notifyingPackages = []string{
	"github.com/golocal/golocal/serve",
	"github.com/coreos/go-systemd/v22/daemon",
	"github.com/coreos/go-systemd/daemon",
}

// SendsReady reports whether the program links a package that sends
// READY=1 (see notifyingPackages), as far as the latest model says. Before
// the first model has loaded it waits for it, up to wait.
func (b *Builder) SendsReady(wait time.Duration) bool {
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-b.firstLoad:
	case <-t.C:
	}
	p := b.Program()
	return slices.ContainsFunc(notifyingPackages, p.Links)
}

// optsLocked returns the build options with the Builder's cgo choice in
// the environment.
func (b *Builder) optsLocked() BuildOptions {
	o := b.opts
	if b.cgo.off {
		o.Env = append(slices.Clip(o.Env), CgoOffEnv)
	}
	return o
}

// recheckCgo lists the program's packages with cgo on: when one outside
// the standard library has cgo files now (a dependency added since the
// decision), cgo is turned on for good and the plan is dropped (its
// archives were compiled without cgo). It returns why, or "" when nothing
// changed. With rebuild, onCgo is told and asks for a new build: the
// version that is starting was built without cgo.
func (b *Builder) recheckCgo(rebuild bool) string {
	users, err := cgoUsers(b.ctx, b.opts)
	if err != nil || len(users) == 0 {
		return ""
	}
	why := users[0] + " uses cgo"
	b.mu.Lock()
	if !b.cgo.off || b.closed {
		b.mu.Unlock()
		return ""
	}
	b.cgo = cgoChoice{why: why}
	b.planWhy = "cgo was turned on (" + why + ")"
	notify := b.onCgo
	b.mu.Unlock()
	if rebuild && notify != nil {
		notify(cgoNeededMessage(why))
	}
	return why
}
