package draintest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptrace"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/golocal/golocal/internal/tail"
	"github.com/golocal/golocal/listen"
	"github.com/golocal/golocal/serve"
)

// Config describes one drain run. Zero fields take the defaults noted.
type Config struct {
	// Command returns the (unstarted) child command; Run adds the
	// inherited socket, the environment and the output capture. The
	// program must call [ChildMain] when [IsChild] is true — typically the
	// test binary itself or the bench program, re-executed.
	Command func() *exec.Cmd
	// Clients is the number of concurrent clients (default 32). Even
	// clients keep their connection alive between requests; odd ones open a
	// new connection for every request.
	Clients int
	// Duration bounds the whole load phase (default 2s).
	Duration time.Duration
	// StopAfter is when SIGTERM is sent, counted from the start of the
	// load (default Duration/2).
	StopAfter time.Duration
	// LameDuck and Grace are the child's serve.Options: LameDuck zero
	// means none, Grace zero means 5s.
	LameDuck, Grace time.Duration
	// Reconnect makes every client open a new connection for each request
	// and every request fast (0–4 ms in the handler), as clients behave
	// once every response says "Connection: close": connections then keep
	// arriving in the kernel's accept queue up to the moment the listener
	// closes, which is where a drain can reset them.
	Reconnect bool
	// Log, if set, receives the child's output as it happens.
	Log io.Writer
}

// Report holds the figures of one drain run. See [Report.Problems] for
// the pass criteria.
type Report struct {
	// Addr is the loopback address the child served on; the other fields
	// of this group repeat the Config the run used.
	Addr      string        `json:"addr"`
	Clients   int           `json:"clients"`
	Duration  time.Duration `json:"duration_ns"`
	StopAfter time.Duration `json:"stop_after_ns"`
	LameDuck  time.Duration `json:"lame_duck_ns"`
	Grace     time.Duration `json:"grace_ns"`
	Reconnect bool          `json:"reconnect"`

	// Sent counts requests the clients started.
	Sent int `json:"sent"`
	// Accepted counts requests that reached the child's handler, as the
	// child counted them: the server's own definition of "accepted".
	Accepted int `json:"accepted"`
	// Finished counts handlers that wrote their whole response (the
	// child's count); a request can finish on the server and still fail
	// to reach the client.
	Finished int `json:"finished"`
	// Completed counts 200 responses whose whole body arrived intact.
	Completed int `json:"completed"`
	// Refused counts requests whose connection was refused
	// (ECONNREFUSED) because the listener had closed.
	Refused int `json:"refused"`
	// RefusedInHandshake counts connection attempts reset during the
	// TCP handshake (connect: connection reset by peer) as the listener
	// closed: the dial failed, so no request was ever sent.
	RefusedInHandshake int `json:"refused_in_handshake"`
	// RefusedAfterRetransmit counts the refused connections whose dial
	// took over half a second: serve's close drops new SYNs while it
	// takes the accept queue, so a client whose SYN came then retransmits
	// it about a second later and is refused. Part of Refused.
	RefusedAfterRetransmit int `json:"refused_after_retransmit"`
	// Resets counts requests on a connection the client saw established
	// that was reset or closed without an answer (ECONNRESET, EPIPE, EOF):
	// the client cannot tell whether the request ran. A clean drain has
	// none.
	Resets int `json:"resets"`
	// ResetsNotAccepted is the part of Resets on new connections the
	// child never accepted (its list of accepted connections proves
	// which): the kernel completed them, and the listener's close reset
	// them, or the server took them from the backlog and dropped them.
	ResetsNotAccepted int `json:"resets_not_accepted"`
	// Failed counts everything else: timeouts, a wrong status or body.
	Failed int `json:"failed"`
	// Failures holds up to ten examples of failures.
	Failures []string `json:"failures,omitempty"`
	// InFlightAtSignal is the number of requests in flight when SIGTERM
	// was sent.
	InFlightAtSignal int `json:"in_flight_at_signal"`

	// ProbeRefused: a new connection after the listener closed was
	// refused; ProbeDial is how long that refused dial took (a hang would
	// take the full 1 s dial timeout) and ProbeWhileDraining whether the
	// child was still running (draining) at that moment.
	ProbeRefused       bool          `json:"probe_refused"`
	ProbeDial          time.Duration `json:"probe_dial_ns"`
	ProbeAfterSignal   time.Duration `json:"probe_after_signal_ns"`
	ProbeWhileDraining bool          `json:"probe_while_draining"`
	ProbeError         string        `json:"probe_error,omitempty"`
	// ProbeHeld counts probe dials refused only after a retransmitted
	// SYN (see RefusedAfterRetransmit) before the one that was refused
	// at once.
	ProbeHeld int `json:"probe_held"`

	// NotifiedReady and NotifiedStopping: the child sent READY=1 and
	// STOPPING=1 on NOTIFY_SOCKET.
	NotifiedReady    bool `json:"notified_ready"`
	NotifiedStopping bool `json:"notified_stopping"`
	// ExitCode of the child; -1 if it was killed.
	ExitCode int `json:"exit_code"`
	// StopTime is from SIGTERM to the child's exit.
	StopTime time.Duration `json:"stop_time_ns"`
	// Killed: the child did not exit within LameDuck + Grace + 3 s and
	// got SIGKILL.
	Killed bool `json:"killed"`
	// StatsError is set when the child's counters could not be read.
	StatsError string `json:"stats_error,omitempty"`
	// ChildOutput is the tail of the child's output, kept for diagnosis.
	ChildOutput string `json:"-"`
}

// Problems lists why the run is not a clean drain; empty means it passed.
func (r *Report) Problems() []string {
	var p []string
	if r.Sent == 0 || r.Completed == 0 {
		p = append(p, "no request completed; the load never ran")
	}
	if r.InFlightAtSignal == 0 {
		p = append(p, "no request was in flight at SIGTERM; the run did not exercise draining")
	}
	if r.Resets > 0 {
		p = append(p, fmt.Sprintf("%d requests were reset or closed without an answer (%d on connections the child never accepted)", r.Resets, r.ResetsNotAccepted))
	}
	if r.Failed > 0 {
		p = append(p, fmt.Sprintf("%d requests failed", r.Failed))
	}
	if r.StatsError != "" {
		p = append(p, "child counters unavailable: "+r.StatsError)
	} else if r.Accepted != r.Completed {
		p = append(p, fmt.Sprintf("the child accepted %d requests but clients completed %d; every accepted request must complete", r.Accepted, r.Completed))
	}
	if !r.ProbeRefused {
		p = append(p, "a new connection after the listener closed was not refused: "+r.ProbeError)
	} else if r.ProbeDial > 500*time.Millisecond {
		p = append(p, fmt.Sprintf("refusing a new connection took %v; it should be immediate, not hung", r.ProbeDial))
	}
	if !r.NotifiedReady || !r.NotifiedStopping {
		p = append(p, fmt.Sprintf("sd_notify: READY=1 received %v, STOPPING=1 received %v; both expected", r.NotifiedReady, r.NotifiedStopping))
	}
	if r.Killed {
		p = append(p, "the child did not exit and was killed")
	} else if r.ExitCode != 0 {
		p = append(p, fmt.Sprintf("the child exited with code %d, want 0", r.ExitCode))
	}
	if limit := r.LameDuck + r.Grace; r.StopTime > limit {
		p = append(p, fmt.Sprintf("the child took %v to stop, more than lame duck + grace = %v", r.StopTime.Round(time.Millisecond), limit))
	}
	return p
}

// WriteText prints the figures for people.
func (r *Report) WriteText(w io.Writer) {
	ms := func(d time.Duration) string { return d.Round(10 * time.Microsecond).String() }
	clients := fmt.Sprintf("%d keep-alive, %d new connection per request", (r.Clients+1)/2, r.Clients/2)
	if r.Reconnect {
		clients = "each opening a new connection for every fast request"
	}
	fmt.Fprintf(w, "drain: %d clients (%s, plus 2 long requests spanning SIGTERM) on %s for %v; SIGTERM at %v; lame duck %v, grace %v\n",
		r.Clients, clients, r.Addr, r.Duration, r.StopAfter, r.LameDuck, r.Grace)
	fmt.Fprintf(w, "requests:  sent %d  accepted %d  completed %d  refused %d  resets %d  failed %d\n",
		r.Sent, r.Accepted, r.Completed, r.Refused+r.RefusedInHandshake, r.Resets, r.Failed)
	fmt.Fprintf(w, "  accepted = reached the child's handler (the child's count; %d handlers finished writing); %d were in flight at SIGTERM\n", r.Finished, r.InFlightAtSignal)
	fmt.Fprintf(w, "  refused  = %d connection refused after the listener closed (%d after a SYN retransmit: the close held it off) + %d reset during connect; no request was sent\n",
		r.Refused, r.RefusedAfterRetransmit, r.RefusedInHandshake)
	fmt.Fprintf(w, "  resets   = reset or closed without an answer after connecting (%d on connections the child never accepted)\n", r.ResetsNotAccepted)
	for _, f := range r.Failures {
		fmt.Fprintf(w, "  failure: %s\n", f)
	}
	if r.ProbeRefused {
		state := "child had exited"
		if r.ProbeWhileDraining {
			state = "child still draining"
		}
		fmt.Fprintf(w, "new connection after the listener closed: refused in %s (%s after SIGTERM, %s; %d earlier dials held off by the close, refused after a retransmit)\n",
			ms(r.ProbeDial), ms(r.ProbeAfterSignal), state, r.ProbeHeld)
	} else {
		fmt.Fprintf(w, "new connection after the listener closed: NOT refused: %s\n", r.ProbeError)
	}
	fmt.Fprintf(w, "child: READY=1 %v, STOPPING=1 %v; exit code %d; stopped %s after SIGTERM (limit lame duck + grace = %v)\n",
		yesNo(r.NotifiedReady), yesNo(r.NotifiedStopping), r.ExitCode, ms(r.StopTime), r.LameDuck+r.Grace)
	if r.StatsError != "" {
		fmt.Fprintf(w, "child counters: %s\n", r.StatsError)
	}
	if p := r.Problems(); len(p) > 0 {
		fmt.Fprintf(w, "result: FAIL\n")
		for _, s := range p {
			fmt.Fprintf(w, "  - %s\n", s)
		}
	} else {
		fmt.Fprintf(w, "result: PASS (resets 0, failed 0, every accepted request completed, exit 0 within the grace period)\n")
	}
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func (c *Config) defaults() {
	if c.Clients <= 0 {
		c.Clients = 32
	}
	if c.Duration <= 0 {
		c.Duration = 2 * time.Second
	}
	if c.StopAfter <= 0 || c.StopAfter >= c.Duration {
		c.StopAfter = c.Duration / 2
	}
	if c.LameDuck < 0 {
		c.LameDuck = 0
	}
	if c.Grace <= 0 {
		c.Grace = 5 * time.Second
	}
}

// dialTimeout is well above the kernel's first SYN retransmit (1 s), so
// a client whose SYN serve's close dropped is refused, as a real client
// with a default timeout would be, rather than timing out.
const dialTimeout = 3 * time.Second

// heldDial: a refused dial that took longer was refused after a SYN
// retransmit, not at once.
const heldDial = 500 * time.Millisecond

// requestTimeout bounds every client request: far above the longest
// handler sleep, so only a hang reaches it.
const requestTimeout = 5 * time.Second

// Run starts the child on a loopback socket it opens itself, puts it under
// load from cfg.Clients concurrent clients, sends SIGTERM at
// cfg.StopAfter, and classifies every request. Everything is bounded:
// READY must come within 10 s, load stops at cfg.Duration, every request
// times out after 5 s, and a child that has not exited LameDuck + Grace +
// 3 s after SIGTERM is killed. The error is for a run that could not
// happen (the child did not start or never became ready); a run that
// happened but drained badly returns a Report with [Report.Problems].
func Run(ctx context.Context, cfg Config) (*Report, error) {
	cfg.defaults()
	if cfg.Command == nil {
		return nil, errors.New("draintest: Config.Command is nil; return an exec.Cmd for a program that calls draintest.ChildMain")
	}
	rep := &Report{Clients: cfg.Clients, Duration: cfg.Duration, StopAfter: cfg.StopAfter, LameDuck: cfg.LameDuck, Grace: cfg.Grace, Reconnect: cfg.Reconnect}

	dir, err := os.MkdirTemp("", "drain")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)

	// Run owns the listening socket and hands it to the child, as the
	// golocal dev runner and systemd do; it knows the address up front.
	// Plain TCP, as listen.Listen and systemd open it: serve's close
	// filters new handshakes, which a Multipath TCP socket (net.Listen's
	// default) cannot take.
	var lc net.ListenConfig
	lc.SetMultipathTCP(false)
	ln, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("draintest: listening on loopback: %w", err)
	}
	rep.Addr = ln.Addr().String()
	lnFile, err := ln.(*net.TCPListener).File()
	ln.Close() // lnFile is a duplicate and keeps the socket open
	if err != nil {
		return nil, fmt.Errorf("draintest: %w", err)
	}

	notify, err := serve.ListenNotify(filepath.Join(dir, "notify"))
	if err != nil {
		lnFile.Close()
		return nil, fmt.Errorf("draintest: %w", err)
	}
	defer notify.Close()

	statsPath := filepath.Join(dir, "stats.json")
	output := tail.New(16<<10, cfg.Log)
	cmd := cfg.Command()
	if cmd.Env == nil {
		cmd.Env = os.Environ()
	}
	cmd.Env = append(childEnv(cmd.Env),
		notify.Env(),
		envChild+"=1",
		envStats+"="+statsPath,
		envGrace+"="+cfg.Grace.String(),
		envLameDuck+"="+cfg.LameDuck.String(),
	)
	// fd 3 with LISTEN_FDS=1 and LISTEN_PID set to the child's own pid,
	// as systemd and the golocal dev runner pass sockets.
	if err := listen.PassSockets(cmd, nil, lnFile); err != nil {
		lnFile.Close()
		return nil, fmt.Errorf("draintest: %w", err)
	}
	cmd.Stdout, cmd.Stderr = output, output
	cmd.WaitDelay = time.Second
	if err := cmd.Start(); err != nil {
		lnFile.Close()
		return nil, fmt.Errorf("draintest: starting the child: %w", err)
	}
	// The parent must not keep a copy of the listening socket: while any
	// process holds it open, the kernel keeps completing handshakes and
	// new connections would hang in the backlog instead of being refused.
	lnFile.Close()

	exited := make(chan struct{})
	var waitErr error
	go func() { waitErr = cmd.Wait(); close(exited) }()
	kill := func() {
		_ = cmd.Process.Kill()
		<-exited
	}

	readyTimer := time.NewTimer(10 * time.Second)
	defer readyTimer.Stop()
	select {
	case <-notify.Await("READY=1"):
		rep.NotifiedReady = true
	case <-notify.Done():
		kill()
		return nil, fmt.Errorf("draintest: the notify socket failed before READY=1 (%v); child output:\n%s", notify.Err(), output.String())
	case <-exited:
		return nil, fmt.Errorf("draintest: the child exited before READY=1 (%v); its output:\n%s", waitErr, output.String())
	case <-readyTimer.C:
		kill()
		return nil, fmt.Errorf("draintest: no READY=1 from the child within 10s; its output:\n%s", output.String())
	case <-ctx.Done():
		kill()
		return nil, ctx.Err()
	}

	load := newLoad(rep.Addr, cfg)
	load.start()

	// Two long requests that span the lame duck make sure the drain has
	// work left when the listener closes, so the probe below checks
	// refusal while the child is still draining.
	time.Sleep(time.Until(load.began.Add(cfg.StopAfter - 20*time.Millisecond)))
	long := int((cfg.LameDuck + 400*time.Millisecond) / time.Millisecond)
	load.extra(2, long)
	time.Sleep(time.Until(load.began.Add(cfg.StopAfter)))

	rep.InFlightAtSignal = int(load.inFlight.Load())
	signalled := time.Now()
	load.markSignal(signalled)
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		kill()
		load.wait()
		return nil, fmt.Errorf("draintest: sending SIGTERM: %w", err)
	}

	probeDone := make(chan struct{})
	go func() {
		defer close(probeDone)
		probe(rep, signalled, exited, cfg.LameDuck+cfg.Grace+time.Second)
	}()

	killAfter := time.NewTimer(cfg.LameDuck + cfg.Grace + 3*time.Second)
	defer killAfter.Stop()
	select {
	case <-exited:
	case <-killAfter.C:
		rep.Killed = true
		kill()
	}
	rep.StopTime = time.Since(signalled)
	rep.ExitCode = cmd.ProcessState.ExitCode()
	<-probeDone
	load.wait()

	// STOPPING=1 was sent before the child exited; it may still be queued
	// on the socket.
	stopping := time.NewTimer(100 * time.Millisecond)
	select {
	case <-notify.Await("STOPPING=1"):
		rep.NotifiedStopping = true
	case <-stopping.C:
	}
	stopping.Stop()

	var stats childStats
	if data, err := os.ReadFile(statsPath); err != nil {
		rep.StatsError = fmt.Sprintf("the child wrote no counters (%v)", err)
	} else if err := json.Unmarshal(data, &stats); err != nil {
		rep.StatsError = fmt.Sprintf("the child's counters are not JSON: %v", err)
	}
	rep.Accepted = int(stats.Accepted)
	rep.Finished = int(stats.Finished)
	accepted := make(map[string]bool, len(stats.Conns))
	for _, c := range stats.Conns {
		accepted[c] = true
	}
	load.classify(rep, accepted, rep.StatsError == "")
	rep.ChildOutput = output.String()
	return rep, nil
}

// probe dials every 2 ms after SIGTERM until a dial is refused at once:
// that shows the listener closed and refuses rather than leaves clients
// hanging. Successful dials (the listener is still open during the lame
// duck) are closed at once without sending anything. A dial whose SYN
// came while the close held new handshakes off is refused after the
// kernel's retransmit, about a second later: counted, and dialled again.
func probe(rep *Report, signalled time.Time, exited <-chan struct{}, limit time.Duration) {
	d := net.Dialer{Timeout: dialTimeout}
	deadline := signalled.Add(limit)
	for time.Now().Before(deadline) {
		start := time.Now()
		c, err := d.Dial("tcp", rep.Addr)
		took := time.Since(start)
		if err == nil {
			c.Close()
			time.Sleep(2 * time.Millisecond)
			continue
		}
		if errors.Is(err, syscall.ECONNREFUSED) && took > heldDial && rep.ProbeHeld < 3 {
			rep.ProbeHeld++
			continue
		}
		if errors.Is(err, syscall.ECONNREFUSED) {
			rep.ProbeRefused = true
			rep.ProbeDial = took
			rep.ProbeAfterSignal = time.Since(signalled)
			select {
			case <-exited:
			default:
				rep.ProbeWhileDraining = true
			}
			return
		}
		if dialRejected(err) {
			// Reset during the handshake: the SYN reached the socket
			// as it closed. Not yet the steady state; dial again.
			continue
		}
		rep.ProbeError = fmt.Sprintf("dial took %v and failed with %v instead of connection refused", took.Round(time.Millisecond), err)
		return
	}
	rep.ProbeError = fmt.Sprintf("every dial within %v after SIGTERM was still accepted", limit)
}

// outcome of one request.
type outcome struct {
	started, ended time.Time
	err            error
	status         int
	bodyOK         bool
	localAddr      string // of the last connection the request used
	reused         bool
	dial           time.Duration // of the last connection dialled, once ended
}

type load struct {
	addr     string
	cfg      Config
	began    time.Time
	deadline time.Time
	signal   atomic.Int64 // unix nanos of SIGTERM, 0 before
	inFlight atomic.Int64
	nextID   atomic.Int64
	wg       sync.WaitGroup
	mu       sync.Mutex
	outcomes []outcome
	// transports are closed when the load ends, so no idle connection
	// outlives Run.
	transports []*http.Transport
}

func newLoad(addr string, cfg Config) *load {
	return &load{addr: addr, cfg: cfg}
}

func (l *load) markSignal(t time.Time) { l.signal.Store(t.UnixNano()) }

func (l *load) signalled() bool { return l.signal.Load() != 0 }

func (l *load) newTransport(keepAlive bool) *http.Transport {
	t := &http.Transport{
		DialContext:           (&net.Dialer{Timeout: dialTimeout}).DialContext,
		DisableKeepAlives:     !keepAlive,
		MaxIdleConnsPerHost:   1,
		ResponseHeaderTimeout: requestTimeout,
	}
	l.mu.Lock()
	l.transports = append(l.transports, t)
	l.mu.Unlock()
	return t
}

func (l *load) start() {
	l.began = time.Now()
	l.deadline = l.began.Add(l.cfg.Duration)
	for i := range l.cfg.Clients {
		keepAlive := i%2 == 0 && !l.cfg.Reconnect
		client := &http.Client{Transport: l.newTransport(keepAlive), Timeout: requestTimeout}
		rng := rand.New(rand.NewPCG(uint64(l.began.UnixNano()), uint64(i)))
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			// A client stops at the deadline, or once it has been refused
			// after SIGTERM: the service is gone, a real client would go
			// elsewhere, and hammering a closed port measures nothing.
			for time.Now().Before(l.deadline) {
				// A quarter of requests are fast; the rest sleep 50–200 ms
				// in the handler, so many are in flight at SIGTERM.
				ms := rng.IntN(5)
				if rng.IntN(4) != 0 && !l.cfg.Reconnect {
					ms = 50 + rng.IntN(151)
				}
				o := l.do(client, ms)
				if l.signalled() && dialRejected(o.err) {
					return
				}
			}
		}()
	}
}

// extra runs n one-off requests that sleep ms in the handler.
func (l *load) extra(n, ms int) {
	for range n {
		client := &http.Client{Transport: l.newTransport(false), Timeout: requestTimeout}
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			l.do(client, ms)
		}()
	}
}

func (l *load) wait() {
	l.wg.Wait()
	for _, t := range l.transports {
		t.CloseIdleConnections()
	}
}

// do sends one request and records its outcome. Go's transport retries a
// GET on its own when a reused keep-alive connection turns out to have
// been closed by the server before answering (RFC 9112 §9.3.1 allows
// that for idempotent requests): the retry is invisible here and the
// outcome is the retry's. That is honest for our count because the
// server's own "accepted" counter would expose a request that reached a
// handler and was then lost: Problems compares it with Completed.
func (l *load) do(client *http.Client, ms int) outcome {
	id := l.nextID.Add(1)
	o := outcome{started: time.Now()}
	l.inFlight.Add(1)
	defer l.inFlight.Add(-1)
	// The transport dials in a goroutine of its own, which may outlive
	// the request: the dial's duration is kept atomically.
	var connectStart, dialNanos atomic.Int64
	trace := &httptrace.ClientTrace{
		ConnectStart: func(string, string) { connectStart.Store(time.Now().UnixNano()) },
		ConnectDone: func(string, string, error) {
			dialNanos.Store(time.Now().UnixNano() - connectStart.Load())
		},
		GotConn: func(info httptrace.GotConnInfo) {
			o.localAddr = info.Conn.LocalAddr().String()
			o.reused = info.Reused
		},
	}
	ctx := httptrace.WithClientTrace(context.Background(), trace)
	url := "http://" + l.addr + "/work?id=" + strconv.FormatInt(id, 10) + "&ms=" + strconv.Itoa(ms)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		o.err = err
	} else if resp, err := client.Do(req); err != nil {
		o.err = err
	} else {
		o.status = resp.StatusCode
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		o.err = err
		want := "id=" + strconv.FormatInt(id, 10) + "\n"
		o.bodyOK = err == nil && len(body) == bodySize && bytes.HasPrefix(body, []byte(want))
	}
	o.ended = time.Now()
	o.dial = time.Duration(dialNanos.Load())
	l.mu.Lock()
	l.outcomes = append(l.outcomes, o)
	l.mu.Unlock()
	return o
}

// classify sorts every outcome into completed / refused / refused in
// the handshake / reset / failed.
func (l *load) classify(rep *Report, accepted map[string]bool, haveConns bool) {
	signal := time.Unix(0, l.signal.Load())
	note := func(format string, args ...any) {
		if len(rep.Failures) < 10 {
			rep.Failures = append(rep.Failures, fmt.Sprintf(format, args...))
		}
	}
	for _, o := range l.outcomes {
		rep.Sent++
		when := fmt.Sprintf("started %v, ended %v after SIGTERM", o.started.Sub(signal).Round(time.Millisecond), o.ended.Sub(signal).Round(time.Millisecond))
		switch {
		case o.err == nil && o.status == http.StatusOK && o.bodyOK:
			rep.Completed++
		case o.err == nil && o.status != http.StatusOK:
			rep.Failed++
			note("status %d (%s)", o.status, when)
		case o.err == nil:
			rep.Failed++
			note("200 with a wrong or truncated body (%s)", when)
		case errors.Is(o.err, syscall.ECONNREFUSED):
			rep.Refused++
			if o.dial > heldDial {
				rep.RefusedAfterRetransmit++
			}
		case dialRejected(o.err) && !o.ended.Before(signal):
			rep.RefusedInHandshake++
		case isReset(o.err):
			rep.Resets++
			never := haveConns && !o.reused && o.localAddr != "" && !accepted[o.localAddr]
			if never {
				rep.ResetsNotAccepted++
			}
			note("reset: %v (connection %s, reused %v, accepted by the child %v, %s)", o.err, o.localAddr, o.reused, !never, when)
		default:
			rep.Failed++
			note("%v (connection %s, reused %v, %s)", o.err, o.localAddr, o.reused, when)
		}
	}
}

// isReset reports whether err ended an established connection without an
// answer: reset by the peer, a write to a reset connection, or EOF. A
// failed connect is not one.
func isReset(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return false
	}
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}

// dialRejected reports whether err is a failed connect that the server
// side rejected: refused outright, or reset during the handshake (a SYN
// that reached the listening socket just as it closed). Either way no
// request was sent.
func dialRejected(err error) bool {
	if errors.Is(err, syscall.ECONNREFUSED) {
		return true
	}
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial" && errors.Is(err, syscall.ECONNRESET)
}
