package health

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"runtime/debug"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// Kind says which probe a check belongs to.
type Kind int

const (
	// Readiness checks decide whether the instance should receive traffic
	// (/readyz). They may depend on external systems: a database that is
	// down makes the instance unready, so the load balancer routes around
	// it, but it is not restarted. It is the zero value on purpose: a check
	// declared without thinking about its kind can at worst take the
	// instance out of rotation, never get it killed.
	Readiness Kind = iota
	// Liveness checks decide whether the process is wedged and must be
	// restarted (/livez). They must never depend on an external system:
	// if the database goes down, restarting every replica does not bring it
	// back and turns an outage into a crash loop.
	Liveness
)

// String returns "readiness" or "liveness".
func (k Kind) String() string {
	switch k {
	case Readiness:
		return "readiness"
	case Liveness:
		return "liveness"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Details are the numbers and facts a check reports next to its verdict,
// shown in JSON responses of the detailed handler, for example
// {"activeConnections": 9, "maxOpenConnections": 10}. Values must be
// encodable by encoding/json.
type Details map[string]any

// Func is the body of a check. It returns nil when healthy, an error saying
// what is wrong otherwise, and optionally details either way. It must
// honour ctx: ctx carries the check's Timeout.
type Func func(ctx context.Context) (Details, error)

// Defaults applied by [Health.Add] to zero fields of a [Check].
const (
	// DefaultTimeout bounds one run of a check. Kubernetes' own default
	// probe timeout is 1 s; checks run in the background here, so they
	// may take a little longer without slowing a probe down.
	DefaultTimeout = 2 * time.Second
	// DefaultInterval is how often a check runs in the background. Five
	// seconds is below the default Kubernetes probe period (10 s), so a
	// probe never sees a result older than one period.
	DefaultInterval = 5 * time.Second
)

// Check describes one health check.
type Check struct {
	// Name identifies the check in output, in ?exclude= and in
	// /readyz/<name>. It must be 1–63 characters of lowercase letters,
	// digits and '-', starting and ending with a letter or digit (an
	// RFC 1123 label, as Kubernetes names are), so it is safe in a URL path
	// and in a text line.
	Name string
	// Kind is Readiness (the default) or Liveness.
	Kind Kind
	// Func runs the check.
	Func Func
	// Timeout bounds one run; zero means DefaultTimeout. A run still going
	// after Timeout counts as failed ("timed out after 2s"); it is not
	// started again until the stuck call returns.
	Timeout time.Duration
	// Interval is how long a result stays fresh; zero means
	// DefaultInterval. After [Health.Start] the check runs every Interval in
	// the background; without Start, a probe that finds a stale result
	// starts a run in the background and answers with the last result
	// (only the very first probe waits, at most Timeout). A negative
	// Interval disables caching: the check runs inside every probe, which
	// is only sensible for checks cheaper than the probe itself.
	Interval time.Duration
	// Groups lists extra groups the check belongs to, served at
	// /health/<group> (Spring Boot Actuator's health groups). Group names
	// follow the same rules as check names.
	Groups []string
}

// namePattern is an RFC 1123 label, the Kubernetes rule for most names.
var namePattern = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)

// ErrInvalidName is wrapped by errors from [Health.Add] about a bad name.
var ErrInvalidName = errors.New("invalid health check name")

// ValidateName reports whether name is usable as a check or group name,
// with an error that says what is allowed.
func ValidateName(name string) error {
	if namePattern.MatchString(name) {
		return nil
	}
	why := "it may contain only lowercase letters a-z, digits 0-9 and '-', must start and end with a letter or digit, and be at most 63 characters"
	switch {
	case name == "":
		why = "it is empty"
	case len(name) > 63:
		why = fmt.Sprintf("it is %d characters long; at most 63 are allowed", len(name))
	}
	return fmt.Errorf("%w %q: %s (for example \"db\" or \"payments-api\")", ErrInvalidName, name, why)
}

// Result is the outcome of the latest completed run of a check.
type Result struct {
	// Name of the check.
	Name string
	// Err is nil when the check passed.
	Err error
	// Details reported by the check (nil if none).
	Details Details
	// Duration of the run (the timeout, for a run that timed out).
	Duration time.Duration
	// At is when the run finished.
	At time.Time
}

// Options configures [New].
type Options struct {
	// Now returns the current time; nil means time.Now. Tests only.
	Now func() time.Time
}

// Health holds a set of checks and serves them. Create it with [New], add
// checks with [Health.Add], optionally [Health.Start] background
// refreshing, and mount [Health.Handler]. It is safe for concurrent use.
type Health struct {
	now      func() time.Time
	stopping atomic.Bool

	mu     sync.RWMutex
	checks []*check // in the order added; built-ins first
	byName map[string]*check
	groups map[string][]*check
	// started is set by Start; checks added later start their loop at once.
	startCtx context.Context
}

// Names of the built-in checks.
const (
	// PingCheck is the built-in liveness check that always passes: it
	// proves the process still serves HTTP (Kubernetes has the same one).
	PingCheck = "ping"
	// ShutdownCheck is the built-in readiness check that fails from the
	// moment [Health.MarkStopping] is called, with "shutting down".
	ShutdownCheck = "shutdown"
)

// errShuttingDown is the shutdown check's failure.
var errShuttingDown = errors.New("shutting down")

// New returns a Health with the two built-in checks "ping" (liveness) and
// "shutdown" (readiness).
func New(opts Options) *Health {
	h := &Health{now: opts.Now, byName: map[string]*check{}, groups: map[string][]*check{}}
	if h.now == nil {
		h.now = time.Now
	}
	// Built-ins run inline: they are an atomic load, cheaper than any cache.
	h.mustAdd(Check{Name: PingCheck, Kind: Liveness, Interval: -1,
		Func: func(context.Context) (Details, error) { return nil, nil }})
	h.mustAdd(Check{Name: ShutdownCheck, Kind: Readiness, Interval: -1,
		Func: func(context.Context) (Details, error) {
			if h.stopping.Load() {
				return nil, errShuttingDown
			}
			return nil, nil
		}})
	return h
}

func (h *Health) mustAdd(c Check) {
	if err := h.Add(c); err != nil {
		panic(err) // only reached for the built-ins, which are valid
	}
}

// Add registers a check. It returns an error, and registers nothing, when
// the name or a group name is invalid (see [Check.Name]), the name is
// already taken, Func is nil, or Kind is unknown.
func (h *Health) Add(c Check) error {
	if err := ValidateName(c.Name); err != nil {
		return fmt.Errorf("health: Add: %w", err)
	}
	for _, g := range c.Groups {
		if err := ValidateName(g); err != nil {
			return fmt.Errorf("health: Add %q: group: %w", c.Name, err)
		}
	}
	if c.Func == nil {
		return fmt.Errorf("health: Add %q: Func is nil; give the check a function that returns nil when healthy", c.Name)
	}
	if c.Kind != Readiness && c.Kind != Liveness {
		return fmt.Errorf("health: Add %q: unknown Kind %d; use health.Readiness or health.Liveness", c.Name, int(c.Kind))
	}
	if c.Timeout < 0 {
		return fmt.Errorf("health: Add %q: negative Timeout %v; use 0 for the default (%v)", c.Name, c.Timeout, DefaultTimeout)
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.Interval == 0 {
		c.Interval = DefaultInterval
	}
	ck := &check{Check: c, now: h.now}
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, dup := h.byName[c.Name]; dup {
		return fmt.Errorf("health: Add: a check named %q already exists; names must be unique across liveness and readiness", c.Name)
	}
	h.checks = append(h.checks, ck)
	h.byName[c.Name] = ck
	for _, g := range c.Groups {
		h.groups[g] = append(h.groups[g], ck)
	}
	if h.startCtx != nil && c.Interval > 0 {
		go ck.loop(h.startCtx)
	}
	return nil
}

// Start runs every cached check now and then every Interval in the
// background, until ctx is done. Checks added later start at once. Without
// Start, checks run lazily when a probe finds their result stale; Start
// makes the first probe cheap too and keeps results fresh between probes.
// Calling Start twice is a no-op.
func (h *Health) Start(ctx context.Context) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.startCtx != nil {
		return
	}
	h.startCtx = ctx
	for _, c := range h.checks {
		if c.Interval > 0 {
			go c.loop(ctx)
		}
	}
}

// MarkStopping makes readiness fail from now on (the built-in "shutdown"
// check reports "shutting down"), so load balancers stop sending traffic
// while in-flight requests finish. Pass it to serve.Options.OnStopping. It
// never blocks and is safe to call more than once.
func (h *Health) MarkStopping() { h.stopping.Store(true) }

// Stopping reports whether [Health.MarkStopping] was called.
func (h *Health) Stopping() bool { return h.stopping.Load() }

// Results returns the current result of every check of kind k, running
// stale ones as described on [Check.Interval]; ctx bounds the wait of a
// first run. It is what the handlers serve, for programs that want the
// results without HTTP.
func (h *Health) Results(ctx context.Context, k Kind) []Result {
	var out []Result
	for _, c := range h.ofKind(k) {
		out = append(out, c.result(ctx))
	}
	return out
}

func (h *Health) ofKind(k Kind) []*check {
	h.mu.RLock()
	defer h.mu.RUnlock()
	out := make([]*check, 0, len(h.checks))
	for _, c := range h.checks {
		if c.Kind == k {
			out = append(out, c)
		}
	}
	return out
}

func (h *Health) all() []*check {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return append([]*check(nil), h.checks...)
}

func (h *Health) group(name string) ([]*check, bool) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	g, ok := h.groups[name]
	return append([]*check(nil), g...), ok
}

func (h *Health) lookup(name string) (*check, bool) {
	h.mu.RLock()
	defer h.mu.RUnlock()
	c, ok := h.byName[name]
	return c, ok
}

func (h *Health) groupNames() []string {
	h.mu.RLock()
	defer h.mu.RUnlock()
	names := make([]string, 0, len(h.groups))
	for g := range h.groups {
		names = append(names, g)
	}
	sort.Strings(names)
	return names
}

// check is a registered Check plus its cached state.
type check struct {
	Check
	now func() time.Time

	mu      sync.Mutex
	last    Result
	have    bool          // last is set
	running bool          // a run (or a stuck call) is in progress
	stuck   int           // inline calls abandoned at their timeout, not yet returned
	done    chan struct{} // closed when the current run records a result
}

// loop runs the check now and then every Interval until ctx is done.
func (c *check) loop(ctx context.Context) {
	t := time.NewTicker(c.Interval)
	defer t.Stop()
	for {
		c.kick()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// result returns the check's current result without blocking on a slow
// check, except for the first ever run, which it waits for (at most the
// check's Timeout, or until ctx is done).
func (c *check) result(ctx context.Context) Result {
	if c.Interval < 0 {
		return c.runInline(ctx)
	}
	c.mu.Lock()
	stale := !c.have || c.now().Sub(c.last.At) >= c.Interval
	c.mu.Unlock()
	if stale {
		c.kick()
	}
	c.mu.Lock()
	if c.have {
		r := c.last
		c.mu.Unlock()
		return r
	}
	done := c.done
	c.mu.Unlock()
	select {
	case <-done:
	case <-ctx.Done():
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.have {
		return c.last
	}
	return Result{Name: c.Name, Err: errors.New("no result yet: the first run has not finished"), At: c.now()}
}

// kick starts a background run unless one is in progress.
func (c *check) kick() {
	c.mu.Lock()
	if c.running {
		c.mu.Unlock()
		return
	}
	c.running = true
	done := make(chan struct{})
	c.done = done
	c.mu.Unlock()
	go c.runBackground(done)
}

// runBackground runs the check once, bounded by its timeout. If the call
// outlives the timeout, a failure is recorded at the timeout and the check
// stays "running" (so it is not started again, piling up goroutines) until
// the call finally returns.
func (c *check) runBackground(done chan struct{}) {
	ctx, cancel := context.WithTimeout(context.Background(), c.Timeout)
	defer cancel()
	start := c.now()
	returned := make(chan Result, 1)
	go func() { returned <- c.call(ctx, start) }()
	var r Result
	select {
	case r = <-returned:
		c.record(r, done, false)
		return
	case <-ctx.Done():
		// Give a call that honours ctx a moment to report its own error
		// (it usually returns at the same instant).
		select {
		case r = <-returned:
			c.record(r, done, false)
			return
		case <-time.After(10 * time.Millisecond):
		}
	}
	c.record(Result{Name: c.Name, Err: fmt.Errorf("timed out after %v and did not return; it is not started again until it does", c.Timeout),
		Duration: c.Timeout, At: c.now()}, done, true)
	r = <-returned // wait for the stuck call; only then may it run again
	c.record(r, nil, false)
}

// record stores r; stillRunning keeps the running flag set.
func (c *check) record(r Result, done chan struct{}, stillRunning bool) {
	c.mu.Lock()
	c.last, c.have = r, true
	c.running = stillRunning
	c.mu.Unlock()
	if done != nil {
		close(done)
	}
}

// runInline runs the check in the caller's goroutine, still bounded by
// its timeout: a stuck call is abandoned rather than hanging the probe.
// While an abandoned call has not returned, probes fail at once without
// starting another, so a check that never returns costs one goroutine, not
// one per probe.
func (c *check) runInline(ctx context.Context) Result {
	c.mu.Lock()
	stuck := c.stuck
	c.mu.Unlock()
	if stuck > 0 {
		return Result{Name: c.Name, Err: fmt.Errorf("an earlier run timed out after %v and has not returned; it is not started again until it does", c.Timeout), At: c.now()}
	}
	ctx, cancel := context.WithTimeout(ctx, c.Timeout)
	defer cancel()
	start := c.now()
	returned := make(chan Result, 1)
	go func() { returned <- c.call(ctx, start) }()
	select {
	case r := <-returned:
		return r
	case <-ctx.Done():
		// Give a call that honours ctx a moment to return by itself.
		select {
		case r := <-returned:
			return r
		case <-time.After(10 * time.Millisecond):
		}
		c.mu.Lock()
		c.stuck++
		c.mu.Unlock()
		go func() {
			<-returned
			c.mu.Lock()
			c.stuck--
			c.mu.Unlock()
		}()
		return Result{Name: c.Name, Err: fmt.Errorf("timed out after %v", c.Timeout), Duration: c.now().Sub(start), At: c.now()}
	}
}

// call runs Func, turning a panic into a failed result.
func (c *check) call(ctx context.Context, start time.Time) (r Result) {
	defer func() {
		if p := recover(); p != nil {
			r = Result{Name: c.Name, Err: &PanicError{Value: p, Stack: debug.Stack()}, Duration: c.now().Sub(start), At: c.now()}
		}
	}()
	d, err := c.Func(ctx)
	if err == nil && ctx.Err() != nil {
		// Returned nil, but only after its deadline: too slow is unhealthy.
		err = fmt.Errorf("passed, but only after its %v timeout", c.Timeout)
	}
	end := c.now()
	return Result{Name: c.Name, Err: err, Details: d, Duration: end.Sub(start), At: end}
}

// PanicError is the error of a check whose function panicked.
type PanicError struct {
	// Value passed to panic.
	Value any
	// Stack of the panicking goroutine, for logs; never served over HTTP.
	Stack []byte
}

// Error implements the error interface.
func (e *PanicError) Error() string { return fmt.Sprintf("panicked: %v", e.Value) }
