package canary

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// VersionHeader is the response header the front adds to every answer:
// which version produced it.
const VersionHeader = "X-Golocal-Version"

// PagePath is where the front serves its own page; paths under
// "/__golocal/" are never proxied.
const PagePath = "/__golocal/canary"

// Mode is how the front chooses a version for a request.
type Mode int

const (
	// ByWeight sends Weight percent of requests to the candidate at random.
	ByWeight Mode = iota
	// ByHeader sends requests carrying Header: Value to the candidate.
	ByHeader
	// ByCookie sends requests carrying the cookie Name=Value to the
	// candidate.
	ByCookie
	// Mirror sends every request to both and answers from the baseline
	// (shadow traffic); the candidate's answer is compared with it.
	Mirror
)

func (m Mode) String() string {
	return [...]string{"weight", "header", "cookie", "mirror"}[m]
}

// Routing says how the front splits traffic.
type Routing struct {
	Mode Mode
	// Name and Value: the header or cookie that selects the candidate.
	Name, Value string
	// Weight: percent of requests for the candidate (ByWeight), 0..100.
	Weight float64
}

// Describe says in a line how a request reaches the candidate, for the
// banner.
func (r Routing) Describe() string {
	switch r.Mode {
	case ByHeader:
		return fmt.Sprintf("requests with header %s: %s go to the candidate, others to the baseline", r.Name, r.Value)
	case ByCookie:
		return fmt.Sprintf("requests with cookie %s=%s go to the candidate, others to the baseline", r.Name, r.Value)
	case Mirror:
		return "every request goes to both versions; the baseline answers, the candidate's answer is compared"
	}
	return fmt.Sprintf("%s%% of requests go to the candidate at random, the rest to the baseline", strconv.FormatFloat(r.Weight, 'f', -1, 64))
}

// Mark adds to a generated request what routes it to the candidate (the
// header or the cookie); for weight and mirror routing it does nothing.
func (r Routing) Mark(req *http.Request) {
	switch r.Mode {
	case ByHeader:
		req.Header.Set(r.Name, r.Value)
	case ByCookie:
		req.AddCookie(&http.Cookie{Name: r.Name, Value: r.Value})
	}
}

// choose picks the version for req.
func (r Routing) choose(req *http.Request) Version {
	switch r.Mode {
	case ByHeader:
		for _, v := range req.Header.Values(r.Name) {
			if strings.TrimSpace(v) == r.Value {
				return Candidate
			}
		}
	case ByCookie:
		if c, err := req.Cookie(r.Name); err == nil && c.Value == r.Value {
			return Candidate
		}
	case ByWeight:
		if rand.Float64()*100 < r.Weight {
			return Candidate
		}
	}
	return Baseline
}

// Front is the user-facing reverse proxy in front of the two versions.
type Front struct {
	routing   Routing
	upstreams [2]*url.URL
	proxies   [2]*httputil.ReverseProxy
	transport *http.Transport
	rec       *Recorder
	router    *Router
	diffs     *Diffs
	page      http.Handler
	now       func() time.Time
}

// FrontOptions configure [NewFront].
type FrontOptions struct {
	Routing   Routing
	Baseline  *url.URL
	Candidate *url.URL
	Recorder  *Recorder
	Router    *Router // nil: paths with id-like segments collapsed
	// Diffs collects mirror differences; nil makes a fresh one.
	Diffs *Diffs
	// Page serves PagePath and below; nil answers 404 there.
	Page http.Handler
}

// NewFront builds the front.
func NewFront(o FrontOptions) *Front {
	f := &Front{routing: o.Routing, upstreams: [2]*url.URL{o.Baseline, o.Candidate}, rec: o.Recorder, router: o.Router, diffs: o.Diffs, page: o.Page, now: time.Now}
	if f.router == nil {
		f.router = &Router{}
	}
	if f.diffs == nil {
		f.diffs = NewDiffs(nil)
	}
	f.transport = &http.Transport{
		Proxy:               nil, // never through an HTTP_PROXY: the upstreams are on loopback
		MaxIdleConnsPerHost: 256,
		IdleConnTimeout:     30 * time.Second,
		DisableCompression:  true, // pass the client's Accept-Encoding through untouched
	}
	for v := range f.proxies {
		f.proxies[v] = f.newProxy(Version(v))
	}
	return f
}

// Diffs is what mirroring found so far.
func (f *Front) Diffs() *Diffs { return f.diffs }

// Close drops idle upstream connections.
func (f *Front) Close() { f.transport.CloseIdleConnections() }

func (f *Front) newProxy(v Version) *httputil.ReverseProxy {
	target := f.upstreams[v]
	return &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			pr.Out.Host = pr.In.Host
			pr.SetXForwarded()
		},
		Transport:     f.transport,
		FlushInterval: -1, // stream (server-sent events, long polls) as the app writes
		ModifyResponse: func(resp *http.Response) error {
			resp.Header.Set(VersionHeader, v.String())
			return nil
		},
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			if errors.Is(err, context.Canceled) {
				return // the client left; nothing to answer
			}
			w.Header().Set(VersionHeader, v.String())
			w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			w.WriteHeader(http.StatusBadGateway)
			fmt.Fprintf(w, "golocal canary: the %s did not answer: %v\n", v, err)
			if st, ok := w.(*statusWriter); ok {
				st.transport = true
			}
		},
	}
}

// ServeHTTP routes one request.
func (f *Front) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == PagePath || strings.HasPrefix(r.URL.Path, "/__golocal/") {
		if f.page == nil {
			http.NotFound(w, r)
			return
		}
		f.page.ServeHTTP(w, r)
		return
	}
	route := r.Method + " " + f.router.Route(r)
	if f.routing.Mode == Mirror {
		f.mirror(w, r, route)
		return
	}
	v := f.routing.choose(r)
	sw := &statusWriter{ResponseWriter: w}
	start := f.now()
	f.proxies[v].ServeHTTP(sw, r)
	if r.Context().Err() != nil && sw.status == 0 {
		return // the client left before an answer: not the version's fault
	}
	status := sw.status
	if sw.transport {
		status = 0
	}
	f.rec.Add(Outcome{Version: v, Route: route, Status: status, Latency: f.now().Sub(start), At: start})
}

// statusWriter remembers the status the proxy wrote and whether it was a
// transport error.
type statusWriter struct {
	http.ResponseWriter
	status    int
	transport bool
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(p)
}

func (w *statusWriter) Flush() {
	if fl, ok := w.ResponseWriter.(http.Flusher); ok {
		fl.Flush()
	}
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// maxMirrorBody bounds the request and response bodies mirroring buffers.
const maxMirrorBody = 4 << 20

// captured is one version's answer to a mirrored request.
type captured struct {
	resp    *http.Response
	body    []byte
	err     error
	latency time.Duration
}

// mirror sends r to both versions at once, answers with the baseline's
// response and compares the two.
func (f *Front) mirror(w http.ResponseWriter, r *http.Request, route string) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxMirrorBody+1))
	if err != nil {
		http.Error(w, "golocal canary: reading the request body: "+err.Error(), http.StatusBadRequest)
		return
	}
	if len(body) > maxMirrorBody {
		http.Error(w, "golocal canary: --mirror buffers request bodies up to 4 MiB; this one is larger", http.StatusRequestEntityTooLarge)
		return
	}
	start := f.now()
	var got [2]captured
	done := make(chan struct{})
	go func() {
		got[Candidate] = f.fetch(r, Candidate, body)
		close(done)
	}()
	got[Baseline] = f.fetch(r, Baseline, body)
	<-done
	if r.Context().Err() != nil {
		return
	}
	for v, c := range got {
		status := 0
		if c.err == nil {
			status = c.resp.StatusCode
		}
		f.rec.Add(Outcome{Version: Version(v), Route: route, Status: status, Latency: c.latency, At: start})
	}
	f.diffs.Compare(route, got[Baseline], got[Candidate])
	writeCaptured(w, got[Baseline])
}

// fetch sends a copy of r to version v and reads the whole answer.
func (f *Front) fetch(r *http.Request, v Version, body []byte) captured {
	out := r.Clone(r.Context())
	out.RequestURI = ""
	u := *f.upstreams[v]
	u.Path, u.RawPath, u.RawQuery = r.URL.Path, r.URL.RawPath, r.URL.RawQuery
	out.URL = &u
	out.Host = r.Host
	out.Body = io.NopCloser(bytes.NewReader(body))
	out.ContentLength = int64(len(body))
	start := f.now()
	resp, err := f.transport.RoundTrip(out)
	if err != nil {
		return captured{err: err, latency: f.now().Sub(start)}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxMirrorBody))
	c := captured{resp: resp, body: b, latency: f.now().Sub(start)}
	if err != nil {
		c.err = err
	}
	return c
}

// writeCaptured writes the baseline's buffered answer to the client.
func writeCaptured(w http.ResponseWriter, c captured) {
	if c.err != nil {
		w.Header().Set(VersionHeader, Baseline.String())
		http.Error(w, "golocal canary: the baseline did not answer: "+c.err.Error(), http.StatusBadGateway)
		return
	}
	h := w.Header()
	for k, vs := range c.resp.Header {
		if k == "Content-Length" || k == "Transfer-Encoding" || k == "Connection" {
			continue
		}
		h[k] = vs
	}
	h.Set(VersionHeader, Baseline.String())
	h.Set("Content-Length", strconv.Itoa(len(c.body)))
	w.WriteHeader(c.resp.StatusCode)
	_, _ = w.Write(c.body)
}
