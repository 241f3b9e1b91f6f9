package serve

import (
	"context"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// newConnGrace mirrors net/http: Shutdown treats a connection that has
// not sent its first request for 5 s as idle and closes it (Go issue
// 22682). The settle phase gives new connections the same allowance.
const newConnGrace = 5 * time.Second

// connTracker follows every connection of the main server through
// http.Server.ConnState and the handler wrapper, so that the stop can
// (a) report how many connections it had to close and (b) wait, before
// calling Shutdown, until every accepted connection's request has reached
// its handler.
//
// Why (b): net/http's conn loop reads a request and then returns without
// answering if Shutdown has begun (server.go: "if
// c.server.shuttingDown() { return }", golang/go#75591). A connection
// accepted just before the listener closed, whose request is read a
// moment after Shutdown started, is dropped: the client sees EOF on a
// fresh connection and cannot retry safely. Waiting for such requests to
// enter their handler first closes that window: Shutdown then waits for
// them like any other active request.
type connTracker struct {
	// stopping makes the handler wrapper ask HTTP/1.x clients to close
	// the connection after the response.
	stopping atomic.Bool

	mu      sync.Mutex
	conns   map[net.Conn]*connInfo
	changed chan struct{} // receives a token after every change
}

type connInfo struct {
	state http.ConnState
	since time.Time
	// entered: since the connection last became active, a handler has
	// started for it (so it is past net/http's shutdown check).
	entered bool
}

func newConnTracker() *connTracker {
	return &connTracker{conns: make(map[net.Conn]*connInfo), changed: make(chan struct{}, 1)}
}

func (t *connTracker) poke() {
	select {
	case t.changed <- struct{}{}:
	default:
	}
}

// track is the http.Server.ConnState hook.
func (t *connTracker) track(c net.Conn, s http.ConnState) {
	t.mu.Lock()
	switch s {
	case http.StateClosed, http.StateHijacked:
		delete(t.conns, c)
	default:
		info := t.conns[c]
		if info == nil {
			info = &connInfo{}
			t.conns[c] = info
		}
		info.state, info.since, info.entered = s, time.Now(), false
	}
	t.mu.Unlock()
	t.poke()
}

type connKey struct{}

// connContext is the http.Server.ConnContext hook: it lets the handler
// wrapper find its connection.
func (t *connTracker) connContext(ctx context.Context, c net.Conn) context.Context {
	return context.WithValue(ctx, connKey{}, c)
}

// wrap marks the connection as "in a handler" before calling h, and once
// stopping, asks HTTP/1.x clients not to reuse the connection (net/http
// closes a connection after a response whose handler set
// "Connection: close"; HTTP/2 forbids the header and uses GOAWAY, which
// Shutdown sends).
func (t *connTracker) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ProtoMajor == 1 && t.stopping.Load() {
			w.Header().Set("Connection", "close")
		}
		if c, ok := r.Context().Value(connKey{}).(net.Conn); ok {
			t.mu.Lock()
			if info := t.conns[c]; info != nil {
				info.entered = true
			}
			t.mu.Unlock()
			t.poke()
		}
		h.ServeHTTP(w, r)
	})
}

// settled reports whether every connection is idle, inside a handler, or
// new but silent for longer than net/http's own allowance.
func (t *connTracker) settled(now time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, info := range t.conns {
		switch info.state {
		case http.StateNew:
			if now.Sub(info.since) < newConnGrace {
				return false
			}
		case http.StateActive:
			if !info.entered {
				return false
			}
		}
	}
	return true
}

// settle waits until settled or ctx ends.
func (t *connTracker) settle(ctx context.Context) {
	for !t.settled(time.Now()) {
		// Re-check at least every 100 ms: a silent new connection
		// crosses its allowance without any event.
		timer := time.NewTimer(100 * time.Millisecond)
		select {
		case <-t.changed:
		case <-timer.C:
		case <-ctx.Done():
			timer.Stop()
			return
		}
		timer.Stop()
	}
}

// counts returns connections with a request in flight (or just accepted)
// and idle keep-alive connections.
func (t *connTracker) counts() (active, idle int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, info := range t.conns {
		if info.state == http.StateIdle {
			idle++
		} else {
			active++
		}
	}
	return active, idle
}

// trackedListener closes accepting when http.Server first calls Accept:
// from then on the server is taking connections, which is when READY=1 is
// true. Its Close is idempotent, since both the stop and net/http close
// it. closeDrained closes it after taking the connections waiting in the
// kernel backlog, which Accept then hands to the server before reporting
// the listener closed.
type trackedListener struct {
	net.Listener
	acceptOnce sync.Once
	accepting  chan struct{}
	closeOnce  sync.Once
	closeErr   error

	mu      sync.Mutex
	pending []net.Conn // taken from the backlog at the close, not yet served
	// beforeAccept, when set (tests only), runs at the start of every
	// Accept: it holds the accept loop so that connections queue up.
	beforeAccept func()
	// noDrain makes closeDrained a plain Close (Options.SharedListener,
	// and tests).
	noDrain bool
}

func (l *trackedListener) Accept() (net.Conn, error) {
	l.acceptOnce.Do(func() { close(l.accepting) })
	if l.beforeAccept != nil {
		l.beforeAccept()
	}
	c, err := l.Listener.Accept()
	if err != nil {
		// When the stop closed the listener, closeDrained holds mu until
		// the connections it took from the backlog are in pending: an
		// Accept woken by the close waits for them here instead of
		// reporting the listener closed and leaving them to be reset.
		l.mu.Lock()
		defer l.mu.Unlock()
		if len(l.pending) > 0 {
			c, l.pending = l.pending[0], l.pending[1:]
			return c, nil
		}
	}
	return c, err
}

func (l *trackedListener) Close() error {
	l.closeOnce.Do(func() { l.closeErr = l.Listener.Close() })
	return l.closeErr
}

// closeDrained closes the listener after taking the connections queued in
// its kernel backlog (see acceptBacklog) for Accept to hand out. It
// returns how many were taken, and why new handshakes could not be held
// off meanwhile, if they could not.
func (l *trackedListener) closeDrained() (n int, filterErr error) {
	l.closeOnce.Do(func() {
		// Hold mu from before the close until pending is filled, so that
		// no Accept can see the listener closed with pending still empty.
		l.mu.Lock()
		defer l.mu.Unlock()
		var conns []net.Conn
		ok := false
		if !l.noDrain {
			conns, ok, filterErr = acceptBacklog(l.Listener)
		}
		if !ok {
			l.closeErr = l.Listener.Close()
			return
		}
		n = len(conns)
		l.pending = append(l.pending, conns...)
	})
	return n, filterErr
}

// closePending closes the backlog connections Accept did not hand out
// (Serve had stopped accepting already).
func (l *trackedListener) closePending() {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, c := range l.pending {
		c.Close()
	}
	l.pending = nil
}
