package devloop

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Run builds and runs the app, then rebuilds and swaps on every change until
// ctx is done. It then stops the app gracefully (SIGTERM, Grace, SIGKILL,
// whole process tree) and removes its temporary files. It returns an error
// only when the loop cannot run at all.
//
// Run is the event pump of the dev loop's state machine (see machine):
// it waits for the next thing that happens and hands it to machine.step.
func (r *Runner) Run(ctx context.Context) error {
	defer os.RemoveAll(r.tempDir)
	defer r.builder.Close()
	wctx, stopWatch := context.WithCancel(ctx)
	go r.watcher.Run(wctx)
	defer func() {
		stopWatch()
		for range r.watcher.Changes() { // drain until closed
		}
	}()
	fx := newRunEffects(ctx, r)
	defer fx.close()
	m := newMachine(fx, r.pkg, r.opts.DrainDelay)
	m.startBuild()
	stopped := ctx.Done()
	for !m.done {
		var servingExited <-chan struct{}
		if m.serving != nil {
			servingExited = m.serving.exited
		}
		serving := m.serving
		var ev any
		select {
		case <-stopped:
			stopped = nil
			ev = evStop{}
		case c, ok := <-r.watcher.Changes():
			if !ok {
				continue
			}
			ev = evChange{c}
		case <-r.rebuild:
			ev = evRebuild{}
		case <-fx.settle.C:
			ev = evSettled{}
		case ev = <-fx.results:
		case <-servingExited:
			ev = evAppExited{serving}
		}
		m.step(ev)
	}
	r.retiring.Wait()
	fx.side.Wait()
	r.emit(Event{Kind: EventStopped})
	return nil
}

// runEffects carries out the machine's requests with real builds and
// processes; results come back on results.
type runEffects struct {
	ctx         context.Context
	r           *Runner
	results     chan any
	settle      *time.Timer
	buildCancel context.CancelFunc
	upCancel    context.CancelFunc
	// wildcardSeen: a version was found listening on all interfaces (it
	// is reported once; later versions are not looked at).
	wildcardSeen atomic.Bool
	// side counts work a start goroutine does after reporting its result.
	side sync.WaitGroup
	// admin keeps the app's admin server at one address; nil until a
	// version announces one.
	admin *adminFront
}

func newRunEffects(ctx context.Context, r *Runner) *runEffects {
	fx := &runEffects{
		ctx: ctx, r: r,
		// Every build and start sends exactly one result and the loop reads
		// until all have arrived, so senders never block for long.
		results: make(chan any, 8),
		settle:  time.NewTimer(time.Hour),
	}
	fx.settle.Stop()
	return fx
}

func (fx *runEffects) close() {
	fx.settle.Stop()
	if fx.admin != nil {
		fx.admin.close()
	}
}

func (fx *runEffects) startBuild(gen int, paths []string) {
	r := fx.r
	bctx, cancel := context.WithCancel(fx.ctx)
	fx.buildCancel = cancel
	r.builds.Add(1)
	out := filepath.Join(r.tempDir, "app-"+strconv.Itoa(gen))
	go func() {
		// The Builder takes the fast path when it can trust it, and
		// keeps its plan and program model itself.
		res, err := r.builder.Build(bctx, paths, out)
		fx.results <- evBuilt{buildDone{gen: gen, res: res, err: err, paths: paths}}
	}()
}

func (fx *runEffects) cancelBuild() {
	if fx.buildCancel != nil {
		fx.buildCancel()
	}
}

func (fx *runEffects) buildFinished(buildDone) {} // the Builder keeps its own records

func (fx *runEffects) startApp(req upRequest) {
	r := fx.r
	uctx, cancel := context.WithCancel(fx.ctx)
	fx.upCancel = cancel
	r.sequence++
	spec := childSpec{binary: req.binary, args: r.opts.Args, env: r.appEnv, noSocket: r.opts.NoSocketPassing, noNotify: r.opts.noNotify, stdout: r.opts.Stdout, stderr: r.opts.Stderr, tempDir: r.tempDir, sequence: r.sequence, root: r.root}
	go func() {
		// Before the first model has loaded (the first start), wait for
		// it a little: it says whether the app will send READY=1.
		spec.expectReady = r.builder.SendsReady(2 * time.Second)
		if req.stopFirst != nil {
			req.stopFirst.stop(r.opts.Grace)
		}
		start := time.Now()
		c, err := startChild(spec)
		if err == nil {
			err = c.waitReady(uctx, r.opts.ReadyTimeout)
			if err != nil {
				c.stop(r.opts.Grace)
			}
		}
		fx.side.Add(1) // before the result: Run waits for it after the last one
		fx.results <- evUp{upDone{upRequest: req, c: c, err: err, took: time.Since(start)}}
		defer fx.side.Done()
		if err == nil {
			fx.lookForWildcard(c)
		}
	}()
}

// lookForWildcard warns, once per session, about a version that listens on
// all network interfaces. It runs after the version was reported up:
// reading /proc takes milliseconds the swap need not wait for.
func (fx *runEffects) lookForWildcard(c *child) {
	if fx.wildcardSeen.Load() {
		return
	}
	if addr := c.findWildcard(); addr != "" && fx.wildcardSeen.CompareAndSwap(false, true) {
		fx.r.emit(Event{Kind: EventWarning, Message: fmt.Sprintf("the app listens on all network interfaces (%s), so other machines can reach it directly, not only through the loopback dev front; listen on 127.0.0.1:$PORT instead", addr)})
	}
}

func (fx *runEffects) cancelStart() {
	if fx.upCancel != nil {
		fx.upCancel()
	}
}

func (fx *runEffects) retire(c *child, delay time.Duration) {
	r := fx.r
	r.retiring.Add(1)
	go func() {
		defer r.retiring.Done()
		// An app that said READY=1 drains by itself (serve's lame duck);
		// others get a moment for requests already sent to them.
		if delay > 0 && !c.saidReady() {
			t := time.NewTimer(delay)
			select {
			case <-t.C:
			case <-fx.ctx.Done():
			}
			t.Stop()
		}
		c.stop(r.opts.Grace)
	}()
}

func (fx *runEffects) removeBinary(path string)  { os.Remove(path) }
func (fx *runEffects) resetSettle()              { fx.settle.Reset(fx.r.opts.Settle) }
func (fx *runEffects) stopSettle()               { fx.settle.Stop() }
func (fx *runEffects) unrelated(p []string) bool { return fx.r.builder.Outside(p) }

// emit reports e; on a swap it first points the admin front at the new
// version's admin server, so e.Admin answers as soon as it is printed.
// Once a build's outcome is settled (served, failed to build or to
// start), the Builder may load the program model it deferred.
func (fx *runEffects) emit(e Event) {
	if e.Kind == EventSwapped && e.app != nil {
		e.Admin = fx.pointAdmin(e.app)
	}
	fx.r.emit(e)
	switch e.Kind {
	case EventSwapped, EventBuildFailed, EventAppFailed:
		fx.r.builder.Settled()
	}
}

// pointAdmin forwards the admin front to c's admin server and returns the
// front's URL, nil when c has none.
func (fx *runEffects) pointAdmin(c *child) *url.URL {
	addr := c.adminAddr()
	if addr == "" {
		if fx.admin != nil {
			fx.admin.point("")
		}
		return nil
	}
	if fx.admin == nil {
		a, err := openAdminFront()
		if err != nil {
			fx.r.emit(Event{Kind: EventWarning, Message: err.Error() + "; use the admin address the app logs"})
			return nil
		}
		fx.admin = a
	}
	fx.admin.point(addr)
	return fx.admin.url
}
