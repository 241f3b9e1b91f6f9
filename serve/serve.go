package serve

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/signal"
	"syscall"
	"time"
)

// Run serves h on ln until ctx ends or the process gets SIGINT or SIGTERM,
// then stops gracefully:
//
//  1. STOPPING=1 goes to the service manager (sd_notify) and every
//     Options.OnStopping hook runs, in order (readiness flips to 503);
//     responses now say "Connection: close" so clients reconnect for
//     their next request.
//  2. The server keeps serving for Options.LameDuck, so load balancers
//     that watch readiness stop sending traffic.
//  3. The listener closes: new connections are refused by the kernel, not
//     left hanging. On Linux, connections already waiting in the kernel's
//     accept queue are taken first and served, since closing a listening
//     socket resets them (only when ln is a *net.TCPListener or
//     *net.UnixListener itself: a wrapper's Accept is never bypassed).
//     Requests already on their way
//     (read from connections accepted before the close) are let into
//     their handlers, then in-flight requests get Options.Grace to finish
//     ([http.Server.Shutdown]).
//  4. Connections still open after the grace period are closed by force.
//
// A second SIGINT or SIGTERM during steps 2–3 skips straight to step 4.
//
// Run returns nil after a clean stop (whatever started it), an error
// naming the number of connections closed by force when the grace period
// ran out or a second signal arrived, and the listener's error if
// accepting fails. Run always closes ln. Invalid Options are reported
// before anything is served.
//
// Once Serve is accepting on ln, Run sends READY=1 when NOTIFY_SOCKET is
// set (see [Notify]); failures to notify are logged, never fatal.
func Run(ctx context.Context, ln net.Listener, h http.Handler, opts Options) error {
	if ln == nil {
		return errors.New("serve: nil listener; pass the net.Listener from listen.Listen or net.Listen")
	}
	if h == nil {
		ln.Close()
		return errors.New("serve: nil handler; pass your http.ServeMux or router (serve does not fall back to http.DefaultServeMux)")
	}
	o, err := opts.resolve()
	if err != nil {
		ln.Close()
		return err
	}
	r := &runner{o: o, log: o.logger, conns: newConnTracker()}
	return r.run(ctx, ln, h)
}

type runner struct {
	o     *resolved
	log   *slog.Logger
	conns *connTracker
	// listenAttrs describe where the listener came from (ListenAndRun);
	// they join the single "serving" log line.
	listenAttrs []any
}

// newServer builds the http.Server; tracker is nil for the admin server,
// whose connections do not count towards the main drain.
func (r *runner) newServer(h http.Handler, tracker *connTracker) *http.Server {
	o := r.o
	h = capHeaders(h, o.MaxHeaderBytes)
	protocols := new(http.Protocols)
	protocols.SetHTTP1(true)
	protocols.SetHTTP2(o.TLSConfig != nil)
	protocols.SetUnencryptedHTTP2(o.H2C)
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: o.ReadHeaderTimeout,
		ReadTimeout:       o.ReadTimeout,
		WriteTimeout:      o.WriteTimeout,
		IdleTimeout:       o.IdleTimeout,
		MaxHeaderBytes:    netHTTPHeaderLimit(o.MaxHeaderBytes),
		Protocols:         protocols,
		// net/http logs TLS handshake failures, handler panics and the
		// like through ErrorLog; route them to the same structured log.
		ErrorLog: slog.NewLogLogger(r.log.Handler(), slog.LevelWarn),
	}
	if tracker != nil {
		srv.Handler = tracker.wrap(h)
		srv.ConnState = tracker.track
		if user := o.ConnState; user != nil {
			srv.ConnState = func(c net.Conn, s http.ConnState) {
				tracker.track(c, s)
				user(c, s)
			}
		}
		srv.ConnContext = tracker.connContext
	}
	if o.TLSConfig != nil {
		srv.TLSConfig = o.TLSConfig.Clone()
	}
	return srv
}

func (r *runner) run(ctx context.Context, ln net.Listener, h http.Handler) error {
	o := r.o

	// The admin listener is bound first, so a bad admin address fails
	// before anything reports ready.
	var adminLn net.Listener
	if o.Admin != nil {
		var err error
		adminLn, err = listenAdmin(ctx, o.Admin)
		if err != nil {
			ln.Close()
			return err
		}
	}

	// Signals are registered before serving so that a SIGTERM arriving
	// while we start up is a graceful stop, not the default kill.
	var sigc chan os.Signal
	if !o.IgnoreSignals {
		sigc = make(chan os.Signal, 4)
		signal.Notify(sigc, os.Interrupt, syscall.SIGTERM)
		defer signal.Stop(sigc)
	}
	signals := countSignals(sigc)
	defer close(signals.done)

	srv := r.newServer(h, r.conns)
	accepting := make(chan struct{})
	l := &trackedListener{Listener: ln, accepting: accepting, beforeAccept: o.beforeAccept, noDrain: o.noBacklogDrain || o.SharedListener}
	mainErr := make(chan error, 1)
	go func() {
		if srv.TLSConfig != nil {
			mainErr <- srv.ServeTLS(l, "", "")
		} else {
			mainErr <- srv.Serve(l)
		}
	}()

	var adminSrv *http.Server
	adminErr := make(chan error, 1)
	if adminLn != nil {
		// The admin server has its own tracker: its connections must not
		// count towards the main server's drain.
		adminSrv = r.newServer(o.Admin.Handler, nil)
		adminSrv.TLSConfig = nil // admin is plain HTTP on loopback
		adminSrv.Protocols.SetHTTP2(false)
		go func() { adminErr <- adminSrv.Serve(adminLn) }()
	}

	select {
	case <-accepting:
	case err := <-mainErr:
		r.closeAdmin(adminSrv)
		return fmt.Errorf("serve: serving on %s: %w", ln.Addr(), err)
	}
	r.ready(ln.Addr(), adminLn)

	var reason string
	var failure error
	select {
	case <-ctx.Done():
		reason = fmt.Sprintf("context done: %v", context.Cause(ctx))
	case s := <-signals.first:
		reason = "signal " + s.String()
	case err := <-mainErr:
		// Accept failed for good (net/http already retries temporary
		// errors). There is nothing left to drain gracefully on a broken
		// listener, but in-flight requests still deserve their grace.
		failure = fmt.Errorf("serve: accepting on %s: %w", ln.Addr(), err)
		reason = "listener failed"
		mainErr <- nil // consumed below by stop
	case err := <-adminErr:
		failure = fmt.Errorf("serve: admin server on %s: %w", adminLn.Addr(), err)
		reason = "admin listener failed"
		adminSrv = nil
	}
	stopErr := r.stop(reason, srv, l, adminSrv, signals, mainErr)
	if failure != nil {
		return errors.Join(failure, stopErr)
	}
	return stopErr
}

// ready reports readiness: sd_notify, the log line, OnReady.
func (r *runner) ready(addr net.Addr, adminLn net.Listener) {
	state := "READY=1\nSTATUS=serving on " + addr.String()
	if adminLn != nil {
		// Sent in the same datagram as READY=1, so a supervisor that saw
		// READY=1 knows the admin address too (golocal dev keeps one
		// admin URL across reloads with it).
		state += "\n" + NotifyAdminKey + "=" + adminLn.Addr().String()
	}
	if sent, err := Notify(r.o.Getenv, state); err != nil {
		r.log.Warn("serve: sd_notify READY=1 failed; the supervisor will not know this process is ready", "err", err)
	} else if sent {
		r.log.Debug("serve: sent READY=1 to the service manager")
	}
	attrs := append([]any{"addr", addr.String()}, r.listenAttrs...)
	if r.o.TLSConfig != nil {
		attrs = append(attrs, "tls", true)
	}
	if r.o.H2C {
		attrs = append(attrs, "h2c", true)
	}
	ready := Ready{Addr: addr}
	if adminLn != nil {
		ready.AdminAddr = adminLn.Addr()
		attrs = append(attrs, "admin", adminLn.Addr().String())
	}
	r.log.Info("serve: serving", attrs...)
	if r.o.OnReady != nil {
		r.o.OnReady(ready)
	}
}

// stop runs the graceful stop sequence described on Run.
func (r *runner) stop(reason string, srv *http.Server, ln *trackedListener, adminSrv *http.Server, signals *signalCounter, mainErr <-chan error) error {
	o := r.o
	began := time.Now()
	attrs := []any{"reason", reason, "lame_duck", o.LameDuck.String(), "grace", graceString(o.grace)}
	if !o.IgnoreSignals {
		attrs = append(attrs, "force", "send SIGINT/SIGTERM again (Ctrl-C) to close connections now")
	}
	r.log.Info("serve: stopping", attrs...)

	if _, err := Notify(o.Getenv, "STOPPING=1\nSTATUS=draining"); err != nil {
		r.log.Warn("serve: sd_notify STOPPING=1 failed", "err", err)
	}
	for i, hook := range o.OnStopping {
		r.runHook(i, hook)
	}
	// Every HTTP/1.1 response from now on carries "Connection: close", so
	// clients on keep-alive connections reconnect — to another instance,
	// once the load balancer has noticed readiness — instead of reusing
	// this one. srv.SetKeepAlivesEnabled(false) would say the same but
	// also closes idle connections at once, racing requests that have
	// just arrived on them: net/http then runs the handler on a closed
	// connection and the client never sees the answer (the drain test
	// caught this). Idle connections are left to Shutdown instead, which
	// drops such a request before its handler runs, so an idempotent
	// request can be retried by the client (RFC 9112 §9.3.1).
	r.conns.stopping.Store(true)

	forced := false
	if o.LameDuck > 0 {
		t := time.NewTimer(o.LameDuck)
		select {
		case <-t.C:
		case s := <-signals.second:
			t.Stop()
			r.log.Warn("serve: second signal during lame duck; closing all connections now", "signal", s.String())
			forced = true
		}
	}

	// Close the listener ourselves rather than leaving it to Shutdown:
	// new connections are refused by the kernel from here on, and once
	// Serve has returned no accepted connection is unaccounted for.
	// Connections already waiting in the kernel's accept queue are taken
	// first (Linux), since the close would reset them: their clients may
	// have sent a request and could not tell whether it ran. Serve gets
	// them before it sees the listener closed.
	backlog, filterErr := ln.closeDrained()
	<-mainErr // Serve's "use of closed network connection", or nil after an accept failure
	// After an accept failure Serve had already returned: whatever the
	// backlog gave is closed, as the kernel would have done.
	ln.closePending()
	active, idle := r.conns.counts()
	attrs = []any{"active", active, "idle", idle, "taken_from_backlog", backlog}
	if filterErr != nil {
		attrs = append(attrs, "new_connections_held", "no: "+filterErr.Error())
	}
	r.log.Info("serve: listener closed; draining", attrs...)

	var shutdownErr error
	if !forced {
		ctx, cancel := context.WithCancelCause(context.Background())
		if o.grace > 0 {
			var cancelTimeout context.CancelFunc
			ctx, cancelTimeout = context.WithTimeoutCause(ctx, o.grace, errGraceExceeded)
			defer cancelTimeout()
		}
		watchDone := make(chan struct{})
		go func() {
			select {
			case s := <-signals.second:
				r.log.Warn("serve: second signal while draining; closing all connections now", "signal", s.String())
				cancel(errSecondSignal)
			case <-watchDone:
			}
		}()
		// See connTracker: let requests already read reach their
		// handlers before Shutdown starts dropping late ones.
		r.conns.settle(ctx)
		if ctx.Err() == nil {
			shutdownErr = srv.Shutdown(ctx)
		} else {
			shutdownErr = ctx.Err()
		}
		if shutdownErr != nil {
			shutdownErr = context.Cause(ctx)
		}
		close(watchDone)
		cancel(nil)
	}

	var result error
	if forced || shutdownErr != nil {
		active, idle := r.conns.counts()
		srv.Close()
		why := "a second signal arrived"
		if errors.Is(shutdownErr, errGraceExceeded) {
			why = fmt.Sprintf("the grace period of %v was exceeded", o.grace)
		}
		result = fmt.Errorf("serve: %s; closed %d connections by force (%d with a request in flight, %d idle); raise Options.Grace or bound slow handlers (context.WithTimeout, http.ResponseController deadlines)",
			why, active+idle, active, idle)
		r.log.Error("serve: forced stop", "err", result)
	}

	r.closeAdmin(adminSrv)
	if result == nil {
		r.log.Info("serve: stopped", "took", time.Since(began).Round(time.Millisecond).String())
	}
	return result
}

var (
	errGraceExceeded = errors.New("grace period exceeded")
	errSecondSignal  = errors.New("second signal")
)

// closeAdmin stops the admin server after the main one drained. It gets a
// short grace of its own: a scrape in progress finishes, a long pprof
// profile does not hold the process.
func (r *runner) closeAdmin(adminSrv *http.Server) {
	if adminSrv == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := adminSrv.Shutdown(ctx); err != nil {
		adminSrv.Close()
		r.log.Warn("serve: admin server did not stop within 1s; closed its connections", "err", err)
	}
}

func (r *runner) runHook(i int, hook func()) {
	if hook == nil {
		return
	}
	defer func() {
		if p := recover(); p != nil {
			r.log.Error("serve: OnStopping hook panicked; continuing the stop", "hook", i, "panic", fmt.Sprint(p))
		}
	}()
	hook()
}

func graceString(d time.Duration) string {
	if d <= 0 {
		return "unlimited"
	}
	return d.String()
}

// signalCounter turns a stream of signals into "first" and "second".
// Counting signals (rather than stop causes) matters when the caller also
// uses signal.NotifyContext: one Ctrl-C then both cancels ctx and reaches
// us, and must count once, not as the "second" that forces the stop.
type signalCounter struct {
	first, second chan os.Signal
	done          chan struct{}
}

// countSignals starts counting signals from c; with c nil, neither
// channel ever fires. Call close(done) to stop the goroutine.
func countSignals(c <-chan os.Signal) *signalCounter {
	s := &signalCounter{first: make(chan os.Signal, 1), second: make(chan os.Signal, 1), done: make(chan struct{})}
	if c == nil {
		return s
	}
	go func() {
		n := 0
		for {
			select {
			case sig := <-c:
				n++
				switch n {
				case 1:
					s.first <- sig
				case 2:
					s.second <- sig
				}
			case <-s.done:
				return
			}
		}
	}()
	return s
}

// listenAdmin binds the admin listener, refusing non-loopback addresses
// unless explicitly allowed.
func listenAdmin(ctx context.Context, a *Admin) (net.Listener, error) {
	host, _, err := net.SplitHostPort(a.Addr)
	if err != nil {
		return nil, fmt.Errorf("serve: Admin.Addr %q is not host:port (%v); use for example 127.0.0.1:9090", a.Addr, err)
	}
	if !a.AllowNonLoopback {
		if err := checkLoopbackHost(a.Addr, host); err != nil {
			return nil, err
		}
	}
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", a.Addr)
	if err != nil {
		return nil, fmt.Errorf("serve: admin listener on %s: %w", a.Addr, err)
	}
	if !a.AllowNonLoopback {
		// "localhost" is resolved by the system; make sure it really gave
		// us a loopback address.
		if ap, err := netip.ParseAddrPort(ln.Addr().String()); err != nil || !ap.Addr().IsLoopback() {
			ln.Close()
			return nil, fmt.Errorf("serve: Admin.Addr %q bound %s, which is not loopback; use 127.0.0.1 or ::1", a.Addr, ln.Addr())
		}
	}
	return ln, nil
}

func checkLoopbackHost(addr, host string) error {
	switch host {
	case "":
		return fmt.Errorf("serve: Admin.Addr %q listens on every network interface; the admin server is loopback-only, use 127.0.0.1%s (or set Admin.AllowNonLoopback)", addr, addr)
	case "localhost":
		return nil
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return fmt.Errorf("serve: Admin.Addr %q: host %q is not an IP address or \"localhost\"; a name could resolve to a public interface, so use 127.0.0.1 or ::1 (or set Admin.AllowNonLoopback)", addr, host)
	}
	if !ip.IsLoopback() {
		return fmt.Errorf("serve: Admin.Addr %q is not a loopback address; admin endpoints (metrics, pprof) must not be reachable from the network; use 127.0.0.1 or set Admin.AllowNonLoopback", addr)
	}
	return nil
}
