package devloop

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync/atomic"
	"time"

	"github.com/golocal/golocal/serve"
)

// adminFront gives the app's admin server (serve.Options.Admin: metrics,
// pprof, health details) one address for the whole dev session. Every
// version binds its own admin port, usually "127.0.0.1:0", so the port
// changes on each reload; the front listens on one loopback port and
// forwards to whichever version serves now. A version tells its admin
// address in its READY=1 datagram (serve.NotifyAdminKey); the front
// switches when the dev front does, at EventSwapped.
//
// It is opened when the first version with an admin server comes up and
// closed when Run returns.
type adminFront struct {
	ln     net.Listener
	srv    *http.Server
	url    *url.URL
	target atomic.Pointer[string] // host:port of the serving version's admin server; "" none
}

// openAdminFront starts the front on a free loopback port.
func openAdminFront() (*adminFront, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("cannot open a loopback port for the app's admin server: %w", err)
	}
	a := &adminFront{ln: ln, url: &url.URL{Scheme: "http", Host: ln.Addr().String()}}
	proxy := &httputil.ReverseProxy{
		// No X-Forwarded-For: the admin server sees a loopback client, as
		// it would without the front.
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(&url.URL{Scheme: "http", Host: *a.target.Load()})
			pr.Out.Host = pr.In.Host
		},
		// Streams (pprof's profile and trace, long polls) pass at once.
		FlushInterval: -1,
		ErrorHandler:  a.unreachable,
	}
	a.srv = &http.Server{
		Handler:           a.route(proxy),
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          log.New(io.Discard, "", 0),
	}
	none := ""
	a.target.Store(&none)
	go a.srv.Serve(ln)
	return a, nil
}

// route answers 503 while no version serves an admin server, and proxies
// otherwise.
func (a *adminFront) route(proxy http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if *a.target.Load() == "" {
			w.Header().Set("Retry-After", "1")
			http.Error(w, "golocal dev: the version of the app serving now has no admin server (serve.Options.Admin), or none is serving; this address forwards to it once one is", http.StatusServiceUnavailable)
			return
		}
		proxy.ServeHTTP(w, r)
	})
}

// unreachable is the proxy's answer when the admin server did not answer,
// typically because its version is being replaced.
func (a *adminFront) unreachable(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, context.Canceled) {
		return // the client went away
	}
	w.Header().Set("Retry-After", "1")
	http.Error(w, fmt.Sprintf("golocal dev: the app's admin server at %s did not answer (%v); the app may be restarting, try again", *a.target.Load(), err), http.StatusBadGateway)
}

// point makes the front forward to addr ("" for nowhere).
func (a *adminFront) point(addr string) { a.target.Store(&addr) }

// close stops the front and its connections.
func (a *adminFront) close() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if a.srv.Shutdown(ctx) != nil {
		a.srv.Close()
	}
}

// adminAddr returns the admin address c announced with READY=1, "" when it
// has none (no admin server, or it does not use sd_notify).
func (c *child) adminAddr() string {
	if c.notify == nil {
		return ""
	}
	addr, _ := c.notify.Value(serve.NotifyAdminKey)
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return ""
	}
	// serve refuses a non-loopback admin address; anything else here is
	// not from serve, and the front must not forward off the machine.
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return ""
	}
	return addr
}
