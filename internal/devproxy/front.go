package devproxy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// DefaultHoldTimeout is how long a request waits for an app to serve before
// the front answers 503. A cold build of a large module can take this long;
// a browser tab waiting that long is still better than one showing an error.
const DefaultHoldTimeout = 30 * time.Second

// DefaultHeartbeat is how often the event stream sends a comment line, so
// that idle connections are not reaped by proxies or the OS.
const DefaultHeartbeat = 15 * time.Second

// PathPrefix is the URL path space the front keeps for itself. Requests
// under it never reach the app.
const PathPrefix = "/__golocal/"

// Options configure a [Front]. The zero value is usable: no upstream yet,
// a 30 s hold, no throttling, caching left to the app.
type Options struct {
	// Root is the project root. Diagnostic files are resolved against it,
	// and code excerpts are only read from files inside it (the overlay may
	// be shown to any device on the network with --lan).
	Root string

	// HoldTimeout bounds how long a request waits while no app serves.
	// Zero means DefaultHoldTimeout.
	HoldTimeout time.Duration

	// Throttle shapes proxied traffic like Chrome DevTools' network
	// throttling. The zero value does not throttle. See ParseThrottle.
	Throttle Throttle

	// NoCache strips validators and marks every proxied response
	// Cache-Control: no-store, so the browser always asks the app.
	NoCache bool

	// Heartbeat is the interval of keep-alive comments on the event
	// stream. Zero means DefaultHeartbeat.
	Heartbeat time.Duration

	// Logger receives proxy errors (an app that does not answer). Nil
	// discards them: the CLI prints build and app events itself.
	Logger *slog.Logger

	// Transport carries requests to the app. Nil means a transport tuned
	// for one loopback peer: a large keep-alive pool, no compression.
	Transport http.RoundTripper

	// AllowHosts are the Host names and addresses answered beyond
	// loopback addresses, localhost and *.localhost (the LAN addresses
	// with --lan, --allow-host values); every other Host gets 403, on
	// every path, against DNS rebinding.
	AllowHosts []string
}

// Diagnostic is one compiler message for the error overlay. File is
// relative to Options.Root (or absolute); Line and Column are 1-based, 0
// when unknown. Message is untrusted text: it is always escaped.
type Diagnostic struct {
	File    string
	Line    int
	Column  int
	Message string
}

// Front is the dev front: an http.Handler that reverse-proxies to the
// current app, holds requests while none serves, injects the reload client
// into HTML pages and serves the event stream under PathPrefix.
//
// All methods are safe for concurrent use.
type Front struct {
	opts      Options
	proxy     *httputil.ReverseProxy
	transport http.RoundTripper
	upstream  atomic.Pointer[upstreamState]
	events    *hub
	closed    chan struct{}
	closeOnce sync.Once
	logger    *slog.Logger
}

// upstreamState is one value of the upstream switch. changed is closed when
// the switch moves on, which wakes every request holding on this state.
type upstreamState struct {
	url     *url.URL
	changed chan struct{}
}

// New returns a front with no upstream: requests hold until SetUpstream.
func New(opts Options) *Front {
	if opts.HoldTimeout <= 0 {
		opts.HoldTimeout = DefaultHoldTimeout
	}
	if opts.Heartbeat <= 0 {
		opts.Heartbeat = DefaultHeartbeat
	}
	f := &Front{
		opts:      opts,
		transport: opts.Transport,
		closed:    make(chan struct{}),
		logger:    opts.Logger,
	}
	if f.logger == nil {
		f.logger = slog.New(slog.DiscardHandler)
	}
	if f.transport == nil {
		f.transport = newLoopbackTransport()
	}
	f.events = newHub(opts.Heartbeat)
	f.upstream.Store(&upstreamState{changed: make(chan struct{})})
	f.proxy = &httputil.ReverseProxy{
		Rewrite:   f.rewrite,
		Transport: f.transport,
		// Zero, not -1: ReverseProxy already flushes every write of a
		// response without Content-Length (streamed HTML, long polls) and of
		// text/event-stream; a response of known length is better sent in
		// as few packets as possible.
		FlushInterval:  0,
		ModifyResponse: f.modifyResponse,
		BufferPool:     &bufferPool{},
		ErrorHandler:   f.proxyError,
		ErrorLog:       slog.NewLogLogger(f.logger.Handler(), slog.LevelWarn),
	}
	return f
}

// bufferPool recycles ReverseProxy's copy buffers: without one it
// allocates (and clears) 32 KiB per response, the front's largest cost.
type bufferPool struct{ pool sync.Pool }

func (p *bufferPool) Get() []byte {
	if b, ok := p.pool.Get().(*[]byte); ok {
		return *b
	}
	return make([]byte, 32*1024)
}

func (p *bufferPool) Put(b []byte) { p.pool.Put(&b) }

// newLoopbackTransport is tuned for a single upstream on the same machine:
// every browser connection may map to one upstream connection, so the idle
// pool is large; compression is off because loopback bytes are free and the
// front must read HTML to inject the client.
func newLoopbackTransport() *http.Transport {
	return &http.Transport{
		Proxy: nil, // never route loopback through HTTP_PROXY
		DialContext: (&net.Dialer{
			Timeout:   5 * time.Second,
			KeepAlive: 30 * time.Second,
		}).DialContext,
		MaxIdleConns:          512,
		MaxIdleConnsPerHost:   512,
		IdleConnTimeout:       90 * time.Second,
		DisableCompression:    true,
		ExpectContinueTimeout: time.Second,
		ForceAttemptHTTP2:     false,
	}
}

// SetUpstream switches new requests to u (an http:// base URL of the app).
// Requests in flight finish on the app they started on. u == nil means no
// app can serve now: requests hold until the next SetUpstream or the hold
// timeout.
func (f *Front) SetUpstream(u *url.URL) {
	next := &upstreamState{url: u, changed: make(chan struct{})}
	prev := f.upstream.Swap(next)
	close(prev.changed)
	if t, ok := f.transport.(interface{ CloseIdleConnections() }); ok && u != nil && prev.url != nil {
		// Idle keep-alive connections to the old app must not carry another
		// request: a page told to reload now would get the old version
		// (the same address may have been taken by the new one, as a
		// hard-coded port is).
		t.CloseIdleConnections()
	}
}

// Upstream returns the URL requests are proxied to now, or nil.
func (f *Front) Upstream() *url.URL { return f.upstream.Load().url }

// BuildStarted tells open pages a build began.
func (f *Front) BuildStarted() { f.events.buildStarted() }

// BuildFailed shows diags in open pages (an overlay with file:line:col, a
// code excerpt and the message) and serves the overlay page to navigations
// until the next Reload.
func (f *Front) BuildFailed(diags []Diagnostic) {
	f.Failed(Failure{Diagnostics: diags})
}

// Failure is what the overlay shows: a title ("Build failed" when empty),
// diagnostics, and a hint under them saying what serves meanwhile and what
// happens next.
type Failure struct {
	Title       string
	Hint        string
	Diagnostics []Diagnostic
}

// Default overlay texts of a failed build.
const (
	buildFailedTitle = "Build failed"
	buildFailedHint  = "The previous version of the app keeps serving other requests. This page reloads when the build is fixed."
)

// Failed shows a failure in open pages and serves the overlay page to
// navigations until the next Reload. Meanwhile every proxied response
// carries FailedHeader, so scripts and API clients can tell.
func (f *Front) Failed(fl Failure) {
	if fl.Title == "" {
		fl.Title = buildFailedTitle
	}
	if fl.Hint == "" {
		fl.Hint = buildFailedHint
	}
	f.events.failed(failureView{Title: fl.Title, Hint: fl.Hint, Diagnostics: withExcerpts(f.opts.Root, fl.Diagnostics)})
}

// FailedHeader is set to "failed" on every response the front sends while
// the last build (or the app's start) failed: the response then comes from
// an older version, or is the overlay page.
const FailedHeader = "X-Golocal-Build"

// Reload tells open pages to reload (call it after a successful swap) and
// clears a build failure.
func (f *Front) Reload() { f.events.reload() }

// StylesChanged tells open pages that only these stylesheets changed (paths
// as the watcher saw them, relative to Root); pages swap matching
// <link rel=stylesheet> elements without reloading.
func (f *Front) StylesChanged(paths []string) { f.events.stylesChanged(paths) }

// Close ends every event stream and releases held requests with a 503. The
// handler keeps answering afterwards (requests then hold briefly and fail),
// so Close belongs after the server that uses the front has stopped
// accepting.
func (f *Front) Close() error {
	f.closeOnce.Do(func() {
		close(f.closed)
		f.events.close()
		if t, ok := f.transport.(interface{ CloseIdleConnections() }); ok {
			t.CloseIdleConnections()
		}
	})
	return nil
}

// ServeHTTP routes PathPrefix to the front itself and proxies the rest.
func (f *Front) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if f.refuseHost(w, r) {
		return
	}
	if strings.HasPrefix(r.URL.Path, PathPrefix) {
		f.serveOwn(w, r)
		return
	}
	mayInject := wantsDocument(r)
	if mayInject && f.events.failedNow() && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
		// Other methods still reach the old app: answering a form POST
		// with the error page would silently drop what was submitted.
		f.serveOverlayPage(w, r)
		return
	}
	if f.opts.NoCache {
		stripRequestValidators(r.Header)
	}
	if mayInject {
		// The page we send differs from the app's (client script, nonce),
		// so a 304 from the app would revalidate a body the browser never
		// got from it.
		stripRequestValidators(r.Header)
	}
	if f.opts.Throttle.Offline {
		abortOffline(w)
		return
	}
	w = f.opts.Throttle.wrapResponse(r.Context(), w, time.Now())
	if f.opts.Throttle.Upload > 0 && r.Body != nil && r.Body != http.NoBody {
		r.Body = f.opts.Throttle.wrapRequestBody(r.Context(), r.Body)
	}
	f.forward(w, r, mayInject)
}

// attempt is the per-request state shared by Rewrite, ModifyResponse and
// ErrorHandler, which net/http/httputil calls with the request only.
type attempt struct {
	upstream  *url.URL
	mayInject bool
	err       error
	body      *replayGuard
}

type attemptKey struct{}

// forward proxies r, retrying once when the app went away under it and a
// retry cannot do harm (see retryable).
func (f *Front) forward(w http.ResponseWriter, r *http.Request, mayInject bool) {
	var guard *replayGuard
	if r.Body != nil && r.Body != http.NoBody {
		guard = &replayGuard{rc: r.Body}
		r.Body = guard
	}
	var failed *url.URL
	for try := 0; try < 2; try++ {
		up, err := f.waitUpstream(r.Context(), failed)
		if err != nil {
			f.serveUnavailable(w, r, err)
			return
		}
		at := &attempt{upstream: up, mayInject: mayInject, body: guard}
		f.proxy.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), attemptKey{}, at)))
		if at.err == nil {
			return
		}
		if try == 0 && retryable(r, at) {
			if isDialError(at.err) {
				failed = up
			}
			continue
		}
		f.serveBadGateway(w, r, up, at.err)
		return
	}
}

// waitUpstream returns the current upstream, holding while there is none
// (or while it is still avoid, an app that just refused a connection).
func (f *Front) waitUpstream(ctx context.Context, avoid *url.URL) (*url.URL, error) {
	st := f.upstream.Load()
	if st.url != nil && (avoid == nil || *st.url != *avoid) {
		return st.url, nil
	}
	timer := time.NewTimer(f.opts.HoldTimeout)
	defer timer.Stop()
	for {
		select {
		case <-st.changed:
		case <-timer.C:
			return nil, errHoldTimeout
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-f.closed:
			return nil, errClosed
		}
		st = f.upstream.Load()
		if st.url != nil {
			return st.url, nil
		}
	}
}

var (
	errHoldTimeout = errors.New("devproxy: no app became ready within the hold timeout")
	errClosed      = errors.New("devproxy: the dev front is shutting down")
)

func (f *Front) rewrite(pr *httputil.ProxyRequest) {
	at := pr.In.Context().Value(attemptKey{}).(*attempt)
	pr.SetURL(at.upstream)
	pr.SetXForwarded()
	// The app should see the host the browser used, so that absolute URLs,
	// cookies and CSRF origin checks (net/http.CrossOriginProtection) match
	// the address in the address bar, not the internal one.
	pr.Out.Host = pr.In.Host
	if at.mayInject {
		// The front must read the HTML to insert the client; asking for
		// identity saves the app compressing and us decompressing.
		pr.Out.Header.Set("Accept-Encoding", "identity")
	}
}

func (f *Front) proxyError(w http.ResponseWriter, r *http.Request, err error) {
	at, _ := r.Context().Value(attemptKey{}).(*attempt)
	if at == nil {
		f.serveBadGateway(w, r, nil, err)
		return
	}
	// Decided by forward, which knows whether a retry is allowed.
	at.err = err
}

// retryable reports whether a failed attempt may be sent again. Nothing has
// been written to the client when ReverseProxy reports a transport error.
// Sending again is safe when the app cannot have seen the request (the
// connection was refused) or when the method is idempotent (RFC 9110
// §9.2.2) — and in both cases only if no byte of the request body was
// consumed, since the body is a stream we cannot rewind.
func retryable(r *http.Request, at *attempt) bool {
	if r.Context().Err() != nil {
		return false
	}
	if errors.Is(at.err, errInjectSetup) {
		return false
	}
	if at.body != nil && at.body.consumed() {
		return false
	}
	if isDialError(at.err) {
		return true
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace, http.MethodPut, http.MethodDelete:
		return true
	}
	return false
}

func isDialError(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	return errors.Is(err, syscall.ECONNREFUSED)
}

// replayGuard lets forward reuse a request body the transport gave up on:
// it records whether any byte was read and ignores Close, because the
// transport closes the body on every error and the server closes it after
// the handler anyway.
type replayGuard struct {
	rc   io.ReadCloser
	read atomic.Bool
}

func (g *replayGuard) Read(p []byte) (int, error) {
	n, err := g.rc.Read(p)
	if n > 0 {
		g.read.Store(true)
	}
	return n, err
}

func (g *replayGuard) Close() error { return nil }

func (g *replayGuard) consumed() bool { return g.read.Load() }

// serveOwn answers PathPrefix requests.
func (f *Front) serveOwn(w http.ResponseWriter, r *http.Request) {
	switch strings.TrimPrefix(r.URL.Path, PathPrefix) {
	case "client.js":
		serveClientScript(w, r)
	case "events":
		f.events.serve(w, r, f.closed)
	default:
		http.Error(w, fmt.Sprintf("%s is reserved for the golocal dev front; %s is not one of its endpoints (client.js, events)", PathPrefix, r.URL.Path), http.StatusNotFound)
	}
}
