package devloop

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// The dev loop is a state machine with two regions that move side by side:
// the build side (is a build running, or waiting for the editor to settle?)
// and the app side (is a version serving, is a new one coming up?). Run
// turns what happens — a change, a finished build, an app that came up or
// exited, the end of the session — into events and feeds them to
// machine.step one at a time; step changes the state and asks its effects
// to act (start a build, start an app, retire an old one, emit an event).
// Effects run asynchronously and report back as events, so step never
// blocks and a test can drive the machine event by event.
//
//	build side:  idle ──change──▶ running ──done──▶ idle
//	                                 │ change (cancels it)
//	                                 ▼
//	                              settling ──quiet for Settle──▶ running
//
//	app side:    none ──build ok──▶ starting ──up──▶ serving
//	             starting ──exited/not ready──▶ none (or serving: the old one)
//	             serving ──build ok──▶ starting (the old one keeps serving: a swap)
//	             serving ──exited──▶ none
//
//	either ──stop──▶ stopping ──all results in──▶ done

// buildPhase is the build side of the loop.
type buildPhase int

const (
	// buildIdle: no build runs; a change starts one.
	buildIdle buildPhase = iota
	// buildRunning: build number machine.buildGen runs.
	buildRunning
	// buildSettling: a change canceled a build; the next one starts after
	// Settle without changes, so that a stream of saves builds once.
	buildSettling
)

// appPhase is the app side of the loop.
type appPhase int

const (
	// appNone: no version serves (before the first build, or after the app
	// failed); the front holds requests or shows the failure.
	appNone appPhase = iota
	// appStarting: version machine.upGen is coming up. machine.serving,
	// when set, is the old version, still serving: this is a swap.
	appStarting
	// appServing: machine.serving serves and nothing is starting.
	appServing
)

func (p buildPhase) String() string {
	return [...]string{"idle", "building", "settling"}[p]
}

func (p appPhase) String() string {
	return [...]string{"none", "starting", "serving"}[p]
}

// The machine's events besides the types it shares with the effects
// (buildDone, upDone) and the watcher's Change.
type (
	evRebuild   struct{}              // r pressed, or Runner.Rebuild
	evSettled   struct{}              // Settle passed without a change
	evAppExited struct{ c *child }    // a serving version exited
	evStop      struct{}              // the session ends
	evChange    struct{ ch Change }   // the watcher saw changes
	evBuilt     struct{ b buildDone } // a build finished (or was canceled)
	evUp        struct{ u upDone }    // a version came up, or failed to
)

// buildDone is what a build reports.
type buildDone struct {
	gen   int
	res   BuildResult
	err   error
	paths []string
}

// upRequest is what the effects need to bring a version up.
type upRequest struct {
	gen    int
	binary string
	build  time.Duration // the build's wall time, 0 for a restart
	direct bool
	how    string // BuildResult.How
	// stopFirst is the old version to stop before starting (it holds what
	// the new one needs); nil when both may overlap.
	stopFirst *child
	// restoring: this is the previous binary started again after the new
	// one failed where the old one had to be stopped first.
	restoring bool
}

// upDone is what bringing a version up reports.
type upDone struct {
	upRequest
	c    *child
	err  error
	took time.Duration
}

// effects is everything the machine asks of the outside world. Each call
// returns at once; builds and starts report back with evBuilt and evUp.
type effects interface {
	startBuild(gen int, paths []string)
	cancelBuild()
	// buildFinished keeps the build side's own records (the replay plan,
	// the program's dependency set) for every build that ran to an end.
	buildFinished(b buildDone)
	startApp(req upRequest)
	cancelStart()
	// retire stops c after delay (SIGTERM, grace, SIGKILL) in the background.
	retire(c *child, delay time.Duration)
	removeBinary(path string)
	resetSettle()
	stopSettle()
	// unrelated reports whether paths are Go files the program does not
	// import (then no build is needed).
	unrelated(paths []string) bool
	emit(e Event)
}

// machine is the dev loop's state. Only step changes it.
type machine struct {
	fx       effects
	pkg      string
	drain    time.Duration
	build    buildPhase
	app      appPhase
	stopping bool
	done     bool

	buildGen  int
	buildsOut int      // builds started whose result has not arrived
	building  []string // what the running build covers
	pending   []string // changes no build covers yet

	upGen      int
	upsOut     int    // starts whose result has not arrived
	serving    *child // the version requests go to, if any
	lastBinary string // the newest good build
	started    bool   // a version has served in this session
}

func newMachine(fx effects, pkg string, drain time.Duration) *machine {
	return &machine{fx: fx, pkg: pkg, drain: drain}
}

// State names the machine's state, as "build/app" ("building/serving"), or
// "stopping" and "stopped".
func (m *machine) State() string {
	switch {
	case m.done:
		return "stopped"
	case m.stopping:
		return "stopping"
	}
	return m.build.String() + "/" + m.app.String()
}

// step handles one event.
func (m *machine) step(ev any) {
	switch e := ev.(type) {
	case evStop:
		m.stop()
	case evChange:
		m.onChange(e.ch)
	case evRebuild:
		m.requestBuild(nil)
	case evSettled:
		if m.build == buildSettling && !m.stopping {
			m.startBuild()
		}
	case evBuilt:
		m.onBuilt(e.b)
	case evUp:
		m.onUp(e.u)
	case evAppExited:
		m.onAppExited(e.c)
	default:
		panic(fmt.Sprintf("devloop: unknown event %T", ev))
	}
	if m.stopping && m.buildsOut == 0 && m.upsOut == 0 {
		m.done = true
	}
}

func (m *machine) onChange(c Change) {
	if m.stopping {
		return
	}
	switch {
	case c.Rebuild && m.fx.unrelated(c.Paths):
		m.fx.emit(Event{Kind: EventSkipped, Paths: c.Paths, Message: "not part of " + m.pkg})
	case c.Rebuild:
		m.requestBuild(c.Paths)
	case c.Restart && m.lastBinary != "":
		if m.build != buildIdle {
			// The coming build restarts the app anyway.
			m.pending = mergePaths(m.pending, c.Paths)
		} else {
			m.bringUp(upRequest{binary: m.lastBinary})
		}
	case len(c.Styles) > 0:
		m.fx.emit(Event{Kind: EventStylesChanged, Paths: c.Styles})
	default:
		m.fx.emit(Event{Kind: EventReload, Paths: c.Paths})
	}
}

// requestBuild starts a build for paths, or — while one runs — cancels it
// and waits for the editor to settle.
func (m *machine) requestBuild(paths []string) {
	if m.stopping {
		return
	}
	m.pending = mergePaths(m.pending, paths)
	switch m.build {
	case buildIdle:
		m.startBuild()
	case buildRunning:
		m.fx.cancelBuild()
		// The canceled build's changes still have to be built.
		m.pending = mergePaths(m.building, m.pending)
		m.building = nil
		m.fx.emit(Event{Kind: EventBuildCanceled, Paths: paths})
		m.build = buildSettling
		m.fx.resetSettle()
	case buildSettling:
		m.fx.resetSettle()
	}
}

func (m *machine) startBuild() {
	m.buildGen++
	m.building, m.pending = m.pending, nil
	m.buildsOut++
	m.build = buildRunning
	m.fx.emit(Event{Kind: EventBuildStarted, Paths: m.building})
	m.fx.startBuild(m.buildGen, m.building)
}

func (m *machine) onBuilt(b buildDone) {
	m.buildsOut--
	m.fx.buildFinished(b)
	if m.stopping || b.gen != m.buildGen || m.build != buildRunning {
		return // canceled or superseded
	}
	m.build, m.building = buildIdle, nil
	if errors.Is(b.err, ErrBuildCanceled) {
		return
	}
	if b.err != nil {
		m.fx.emit(Event{Kind: EventBuildFailed, Paths: b.paths, Build: b.res.Took, Diagnostics: b.res.Diagnostics, Output: string(b.res.Output), How: b.res.How})
		return
	}
	if m.lastBinary != "" && (m.serving == nil || m.serving.binary != m.lastBinary) {
		m.fx.removeBinary(m.lastBinary)
	}
	m.lastBinary = b.res.Binary
	m.pending = nil // a Restart seen during the build is covered by this start
	m.bringUp(upRequest{binary: b.res.Binary, build: b.res.Took, direct: b.res.Direct, how: b.res.How})
}

// bringUp starts a new version; a start still in progress is canceled
// (its result, when it arrives, is retired).
func (m *machine) bringUp(req upRequest) {
	if m.app == appStarting {
		m.fx.cancelStart()
	}
	m.upGen++
	m.upsOut++
	req.gen = m.upGen
	old := m.serving
	if old != nil && !old.mode.overlaps() {
		// The old app holds the fixed port the new one needs: stop it
		// first while the front holds requests.
		m.fx.emit(Event{Kind: EventHold, Message: "restarting an app that listens on a fixed port"})
		req.stopFirst = old
		m.serving = nil
	}
	m.app = appStarting
	m.fx.startApp(req)
}

func (m *machine) onUp(u upDone) {
	m.upsOut--
	if m.stopping || u.gen != m.upGen {
		if u.err == nil && u.c != nil {
			m.fx.retire(u.c, 0) // came up after it was no longer wanted
		}
		return
	}
	m.app = appNone
	if m.serving != nil {
		m.app = appServing
	}
	if u.err != nil {
		m.onStartFailed(u)
		return
	}
	old := m.serving
	m.serving, m.app = u.c, appServing
	m.fx.emit(Event{Kind: EventSwapped, Upstream: u.c.upstream, Mode: u.c.mode.String(), Build: u.build, Swap: u.took, First: !m.started, Direct: u.direct, How: u.how, Restored: u.restoring, app: u.c})
	m.started = true
	if old != nil && old != u.c {
		m.fx.retire(old, m.drain)
	}
}

// onStartFailed reports a version that exited or never served. When the
// old version had been stopped to make room for it, nothing serves any
// more: the old binary is started again.
func (m *machine) onStartFailed(u upDone) {
	if errors.Is(u.err, context.Canceled) {
		return
	}
	e := appFailedEvent(u)
	old := u.stopFirst
	if old == nil || u.restoring {
		m.fx.emit(e)
		return
	}
	e.Message += fmt.Sprintf("; the previous version had been stopped first (%s), so it is started again", stopFirstReason(old))
	m.fx.emit(e)
	m.bringUp(upRequest{binary: old.binary, restoring: true})
}

func stopFirstReason(old *child) string {
	if old.upstream != nil {
		return "it held the fixed port " + old.upstream.Host
	}
	return "it held a fixed port"
}

func (m *machine) onAppExited(c *child) {
	if c != m.serving || m.stopping {
		return
	}
	m.serving = nil
	if m.app == appServing {
		m.app = appNone
	}
	m.fx.emit(Event{Kind: EventHold})
	m.fx.emit(crashEvent(c, fmt.Sprintf("the app %s while serving; save a file or press r to start it again", c.exitDescription())))
}

// stop ends the session: the running build and start are canceled, the
// serving version is retired, and the machine is done once every
// outstanding result has come back.
func (m *machine) stop() {
	if m.stopping {
		return
	}
	m.stopping = true
	m.fx.stopSettle()
	if m.build == buildRunning {
		m.fx.cancelBuild()
	}
	if m.app == appStarting {
		m.fx.cancelStart()
	}
	if m.serving != nil {
		m.fx.retire(m.serving, 0)
		m.serving = nil
	}
}

func appFailedEvent(u upDone) Event {
	if u.c == nil {
		return Event{Kind: EventAppFailed, Message: u.err.Error()}
	}
	switch {
	case errors.Is(u.err, errExitedAtStart):
		msg := fmt.Sprintf("the app %s at start (after %s)", u.c.exitDescription(), roundMS(u.took))
		if u.stopFirst == nil {
			msg += "; fix it and save, the previous version keeps serving if there was one"
		}
		return crashEvent(u.c, msg)
	case errors.Is(u.err, errNotReady):
		return Event{Kind: EventAppFailed, Output: u.c.output.String(), Message: fmt.Sprintf("the app did not start serving within %s: it should listen on $PORT (or accept on the socket in LISTEN_FDS, or send READY=1 to NOTIFY_SOCKET); it was stopped", roundMS(u.took))}
	}
	return Event{Kind: EventAppFailed, Output: u.c.output.String(), Message: u.err.Error()}
}

// crashEvent is an EventAppFailed for a version that exited, with the
// location of a panic when its output holds one.
func crashEvent(c *child, msg string) Event {
	out := c.output.String()
	e := Event{Kind: EventAppFailed, Message: msg, Output: out}
	if p, ok := ParsePanic(out, c.root); ok {
		e.Panic = true
		e.Diagnostics = []Diagnostic{p}
		e.Message = "the app panicked: " + p.Message + " — " + msg
	}
	return e
}

func roundMS(d time.Duration) time.Duration { return d.Round(time.Millisecond) }

func mergePaths(a, b []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, p := range append(append([]string(nil), a...), b...) {
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	return out
}
