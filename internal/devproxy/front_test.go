package devproxy

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func mustURL(t testing.TB, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// textApp is an upstream answering every request with its name.
func textApp(t testing.TB, name string) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		fmt.Fprint(w, name)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// newFront serves a front on a real socket; arrived receives one value per
// request that reached the front (buffered), for tests that must act once a
// request is held.
func newFront(t testing.TB, opts Options) (*Front, *httptest.Server, chan struct{}) {
	t.Helper()
	front := New(opts)
	arrived := make(chan struct{}, 64)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case arrived <- struct{}{}:
		default:
		}
		front.ServeHTTP(w, r)
	}))
	t.Cleanup(func() {
		front.Close()
		srv.Close()
	})
	return front, srv, arrived
}

func get(t testing.TB, u string, hdr ...string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, string(b)
}

func TestHoldsUntilUpstream(t *testing.T) {
	front, srv, arrived := newFront(t, Options{})
	app := textApp(t, "hello")
	done := make(chan string, 1)
	go func() {
		res, err := http.Get(srv.URL + "/x")
		if err != nil {
			done <- err.Error()
			return
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		done <- fmt.Sprintf("%d %s", res.StatusCode, b)
	}()
	<-arrived
	front.SetUpstream(mustURL(t, app.URL))
	select {
	case got := <-done:
		if got != "200 hello" {
			t.Fatalf("held request got %q, want 200 hello", got)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("held request did not complete after SetUpstream")
	}
}

func TestHoldTimeout(t *testing.T) {
	_, srv, _ := newFront(t, Options{HoldTimeout: 50 * time.Millisecond})
	tests := []struct {
		name, accept, wantType, wantBody string
	}{
		{"browser", "text/html,application/xhtml+xml,*/*;q=0.8", "text/html; charset=utf-8", "The app is not serving yet"},
		{"api", "application/json", "application/problem+json", `"status":503`},
		{"curl", "*/*", "text/html; charset=utf-8", "not serving"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, body := get(t, srv.URL, "Accept", tt.accept)
			if res.StatusCode != http.StatusServiceUnavailable {
				t.Fatalf("status %d, want 503", res.StatusCode)
			}
			if ct := res.Header.Get("Content-Type"); ct != tt.wantType {
				t.Errorf("Content-Type %q, want %q", ct, tt.wantType)
			}
			if !strings.Contains(body, tt.wantBody) {
				t.Errorf("body %q lacks %q", body, tt.wantBody)
			}
			if res.Header.Get("Retry-After") == "" || res.Header.Get("Cache-Control") != "no-store" {
				t.Errorf("headers %v: want Retry-After and Cache-Control: no-store", res.Header)
			}
		})
	}
}

func TestSwitchesUpstreamAndForwardsHost(t *testing.T) {
	front, srv, _ := newFront(t, Options{})
	var sawHost, sawXFF atomic.Value
	a := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sawHost.Store(r.Host)
		sawXFF.Store(r.Header.Get("X-Forwarded-For") + "|" + r.Header.Get("X-Forwarded-Host") + "|" + r.Header.Get("X-Forwarded-Proto"))
		fmt.Fprint(w, "A")
	}))
	defer a.Close()
	b := textApp(t, "B")
	front.SetUpstream(mustURL(t, a.URL))
	if _, body := get(t, srv.URL); body != "A" {
		t.Fatalf("got %q, want A", body)
	}
	front.SetUpstream(mustURL(t, b.URL))
	if _, body := get(t, srv.URL); body != "B" {
		t.Fatalf("after switch got %q, want B", body)
	}
	frontHost := mustURL(t, srv.URL).Host
	if sawHost.Load() != frontHost {
		t.Errorf("app saw Host %q, want the front's %q", sawHost.Load(), frontHost)
	}
	if want := "127.0.0.1|" + frontHost + "|http"; sawXFF.Load() != want {
		t.Errorf("X-Forwarded-For|Host|Proto = %q, want %q", sawXFF.Load(), want)
	}
}

// closedURL returns the URL of a loopback port nothing listens on.
func closedURL(t testing.TB) *url.URL {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	u := &url.URL{Scheme: "http", Host: ln.Addr().String()}
	ln.Close()
	return u
}

func TestRetriesWhenAppWentAway(t *testing.T) {
	for _, method := range []string{http.MethodGet, http.MethodPost} {
		t.Run(method, func(t *testing.T) {
			front, srv, arrived := newFront(t, Options{})
			var gotBody atomic.Value
			next := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				gotBody.Store(string(b))
				fmt.Fprint(w, "new")
			}))
			defer next.Close()
			front.SetUpstream(closedURL(t)) // the old app is gone: connection refused
			done := make(chan string, 1)
			go func() {
				req, _ := http.NewRequest(method, srv.URL, strings.NewReader("payload"))
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					done <- err.Error()
					return
				}
				b, _ := io.ReadAll(res.Body)
				res.Body.Close()
				done <- fmt.Sprintf("%d %s", res.StatusCode, b)
			}()
			<-arrived
			front.SetUpstream(mustURL(t, next.URL))
			select {
			case got := <-done:
				if got != "200 new" {
					t.Fatalf("got %q, want 200 new", got)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("request did not complete")
			}
			if gotBody.Load() != "payload" {
				t.Errorf("new app got body %q, want the whole payload", gotBody.Load())
			}
		})
	}
}

// hangUpOnce is an app whose first request dies without an answer (the old
// child exiting mid-request) and whose later requests succeed.
func hangUpOnce(t testing.TB) (*httptest.Server, *atomic.Int32) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		if calls.Add(1) == 1 {
			conn, _, err := http.NewResponseController(w).Hijack()
			if err == nil {
				conn.Close()
			}
			return
		}
		fmt.Fprint(w, "ok")
	}))
	t.Cleanup(srv.Close)
	return srv, &calls
}

func TestRetryOnlyWhenSafe(t *testing.T) {
	tests := []struct {
		method     string
		body       string
		wantStatus int
		wantCalls  int32
	}{
		{http.MethodGet, "", 200, 2},
		{http.MethodPut, "", 200, 2},
		// The app may have acted on a POST it read: never sent twice.
		{http.MethodPost, "order=1", 502, 1},
		// An idempotent method whose body was consumed cannot be replayed.
		{http.MethodPut, "doc", 502, 1},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.body, func(t *testing.T) {
			front, srv, _ := newFront(t, Options{})
			app, calls := hangUpOnce(t)
			front.SetUpstream(mustURL(t, app.URL))
			var body io.Reader
			if tt.body != "" {
				body = strings.NewReader(tt.body)
			}
			req, _ := http.NewRequest(tt.method, srv.URL, body)
			req.Header.Set("Accept", "application/json")
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != tt.wantStatus || calls.Load() != tt.wantCalls {
				t.Fatalf("status %d after %d calls (%s); want %d after %d", res.StatusCode, calls.Load(), b, tt.wantStatus, tt.wantCalls)
			}
			if tt.wantStatus == 502 && !strings.Contains(string(b), `"upstream"`) {
				t.Errorf("502 body %s lacks the upstream", b)
			}
		})
	}
}

func TestStreamsServerSentEvents(t *testing.T) {
	front, srv, _ := newFront(t, Options{})
	second := make(chan struct{})
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprint(w, "data: one\n\n")
		w.(http.Flusher).Flush()
		select {
		case <-second:
		case <-r.Context().Done():
			return
		}
		fmt.Fprint(w, "data: two\n\n")
	}))
	defer app.Close()
	front.SetUpstream(mustURL(t, app.URL))
	req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
	req.Header.Set("Accept", "text/event-stream")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	r := bufio.NewReader(res.Body)
	// The first event must arrive while the app still holds the second:
	// a buffering proxy would block here.
	if line, err := r.ReadString('\n'); err != nil || line != "data: one\n" {
		t.Fatalf("first line %q, %v", line, err)
	}
	close(second)
	r.ReadString('\n')
	if line, err := r.ReadString('\n'); err != nil || line != "data: two\n" {
		t.Fatalf("second event %q, %v", line, err)
	}
}

func TestPassesWebSocketUpgrade(t *testing.T) {
	front, srv, _ := newFront(t, Options{Throttle: Throttle{Latency: time.Millisecond}})
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Upgrade") != "websocket" || !strings.Contains(strings.ToLower(r.Header.Get("Connection")), "upgrade") {
			http.Error(w, "want an upgrade", 400)
			return
		}
		conn, rw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		defer conn.Close()
		rw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: test\r\n\r\n")
		rw.Flush()
		buf := make([]byte, 4)
		if _, err := io.ReadFull(rw, buf); err != nil {
			return
		}
		conn.Write(bytes.ToUpper(buf))
	}))
	defer app.Close()
	front.SetUpstream(mustURL(t, app.URL))

	conn, err := net.Dial("tcp", mustURL(t, srv.URL).Host)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(conn, "GET /ws HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
	br := bufio.NewReader(conn)
	res, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("status %d, want 101", res.StatusCode)
	}
	conn.Write([]byte("ping"))
	buf := make([]byte, 4)
	if _, err := io.ReadFull(br, buf); err != nil || string(buf) != "PING" {
		t.Fatalf("echo %q, %v; want PING", buf, err)
	}
}

// htmlApp serves body as text/html with the given headers.
func htmlApp(t testing.TB, body string, hdr map[string]string, sawEncoding *atomic.Value) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if sawEncoding != nil {
			sawEncoding.Store(r.Header.Get("Accept-Encoding") + "|" + r.Header.Get("If-None-Match"))
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		for k, v := range hdr {
			w.Header().Set(k, v)
		}
		if hdr["Content-Encoding"] == "gzip" {
			zw := gzip.NewWriter(w)
			io.WriteString(zw, body)
			zw.Close()
			return
		}
		io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func navigate(t testing.TB, u string, extra ...string) (*http.Response, string) {
	return get(t, u, append([]string{"Accept", "text/html", "Sec-Fetch-Mode", "navigate", "Sec-Fetch-Dest", "document", "Accept-Encoding", "gzip, br"}, extra...)...)
}

var tagPattern = `<script src="/__golocal/client.js?v=`

func TestInjectsClientIntoPages(t *testing.T) {
	front, srv, _ := newFront(t, Options{})
	var saw atomic.Value
	page := "<!doctype html><html><head><title>t</title></head><body><h1>hi</h1></body></html>"
	app := htmlApp(t, page, map[string]string{"ETag": `"v1"`, "Last-Modified": "Mon, 02 Jan 2006 15:04:05 GMT"}, &saw)
	front.SetUpstream(mustURL(t, app.URL))

	res, body := navigate(t, srv.URL, "If-None-Match", `"v1"`)
	if !strings.HasPrefix(body, "<!doctype html><html><head>"+tagPattern) || !strings.HasSuffix(body, "<title>t</title></head><body><h1>hi</h1></body></html>") {
		t.Fatalf("client not right after <head>: %s", body)
	}
	if cl := res.Header.Get("Content-Length"); cl != strconv.Itoa(len(body)) {
		t.Errorf("Content-Length %q, body has %d bytes", cl, len(body))
	}
	if res.Header.Get("ETag") != "" || res.Header.Get("Last-Modified") != "" {
		t.Errorf("validators kept on an injected page: %v", res.Header)
	}
	if saw.Load() != "identity|" {
		t.Errorf("app saw Accept-Encoding|If-None-Match = %q, want identity and no validator", saw.Load())
	}

	// Not a page load: left exactly as the app sent it.
	for _, hdr := range [][]string{
		{"Accept", "text/html", "Sec-Fetch-Mode", "cors", "Sec-Fetch-Dest", "empty"},
		{"Accept", "text/html", "HX-Request", "true"},
		{"Accept", "application/json"},
	} {
		res, body := get(t, srv.URL, hdr...)
		if body != page || res.Header.Get("ETag") != `"v1"` {
			t.Errorf("%v: body or ETag changed: %q %v", hdr, body, res.Header)
		}
	}
}

func TestInjectsIntoGzipPages(t *testing.T) {
	front, srv, _ := newFront(t, Options{})
	page := "<html><HEAD data-x=1><title>z</title></HEAD><body>" + strings.Repeat("lorem ", 5000) + "</body></html>"
	app := htmlApp(t, page, map[string]string{"Content-Encoding": "gzip"}, nil)
	front.SetUpstream(mustURL(t, app.URL))
	// DisableCompression: the test's client must not decode for us.
	c := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
	req.Header.Set("Sec-Fetch-Mode", "navigate")
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.Header.Get("Content-Encoding") != "" {
		t.Fatalf("Content-Encoding %q kept on a decoded body", res.Header.Get("Content-Encoding"))
	}
	if !strings.HasPrefix(string(b), "<html><HEAD data-x=1>"+tagPattern) || !strings.HasSuffix(string(b), "</body></html>") {
		t.Fatalf("injected gzip page wrong: %.120s … %d bytes", b, len(b))
	}
}

func TestInjectsIntoStreamedPages(t *testing.T) {
	front, srv, _ := newFront(t, Options{})
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		for _, part := range []string{"<!doctype html><ht", "ml><he", "ad><title>s</title></head><body>", strings.Repeat("x", 10000), "</body></html>"} {
			io.WriteString(w, part)
			w.(http.Flusher).Flush()
		}
	}))
	defer app.Close()
	front.SetUpstream(mustURL(t, app.URL))
	res, body := navigate(t, srv.URL)
	if res.Header.Get("Content-Length") != "" {
		t.Errorf("streamed page got Content-Length %q", res.Header.Get("Content-Length"))
	}
	if !strings.HasPrefix(body, "<!doctype html><html><head>"+tagPattern) || strings.Count(body, tagPattern) != 1 {
		t.Fatalf("streamed page: %.200s", body)
	}
}

func TestAmendsPageCSP(t *testing.T) {
	front, srv, _ := newFront(t, Options{})
	page := `<!doctype html><head><script nonce="page">1</script></head>`
	app := htmlApp(t, page, map[string]string{"Content-Security-Policy": "script-src 'nonce-page' 'strict-dynamic'; default-src 'none'"}, nil)
	front.SetUpstream(mustURL(t, app.URL))
	res, body := navigate(t, srv.URL)
	csp := res.Header.Get("Content-Security-Policy")
	i := strings.Index(csp, "'nonce-page' 'strict-dynamic' 'nonce-")
	if i < 0 {
		t.Fatalf("CSP %q lacks a fresh nonce", csp)
	}
	nonce := strings.TrimSuffix(strings.Fields(csp[i:])[2], ";")
	nonce = strings.TrimSuffix(strings.TrimPrefix(nonce, "'nonce-"), "'")
	if !strings.Contains(body, `nonce="`+nonce+`"`) {
		t.Errorf("script tag lacks nonce %q: %s", nonce, body)
	}
	if !strings.Contains(csp, "connect-src "+srv.URL+EventsPath) {
		t.Errorf("CSP %q does not allow the event stream", csp)
	}
}

func TestNoCache(t *testing.T) {
	front, srv, _ := newFront(t, Options{NoCache: true})
	var saw atomic.Value
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		saw.Store(r.Header.Get("If-None-Match") + "|" + r.Header.Get("If-Modified-Since"))
		w.Header().Set("ETag", `"x"`)
		w.Header().Set("Last-Modified", "Mon, 02 Jan 2006 15:04:05 GMT")
		w.Header().Set("Expires", "Mon, 02 Jan 2036 15:04:05 GMT")
		w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
		w.Header().Set("Content-Type", "text/css")
		io.WriteString(w, "body{}")
	}))
	defer app.Close()
	front.SetUpstream(mustURL(t, app.URL))
	res, body := get(t, srv.URL+"/site.css", "If-None-Match", `"x"`, "If-Modified-Since", "Mon, 02 Jan 2006 15:04:05 GMT")
	if res.StatusCode != 200 || body != "body{}" {
		t.Fatalf("got %d %q", res.StatusCode, body)
	}
	if saw.Load() != "|" {
		t.Errorf("app saw validators %q", saw.Load())
	}
	for _, h := range []string{"ETag", "Last-Modified", "Expires"} {
		if res.Header.Get(h) != "" {
			t.Errorf("%s kept: %q", h, res.Header.Get(h))
		}
	}
	if cc := res.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q, want no-store", cc)
	}
}

func TestOverlayPageWhileBuildBroken(t *testing.T) {
	root := t.TempDir()
	src := "package main\n\nfunc main() {\n\tx := <b>1\n}\n"
	if err := os.WriteFile(filepath.Join(root, "main.go"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	front, srv, _ := newFront(t, Options{Root: root})
	front.SetUpstream(mustURL(t, textApp(t, "app page").URL))
	front.BuildFailed([]Diagnostic{{File: "main.go", Line: 4, Column: 7, Message: "syntax error: unexpected <script>alert(1)</script>"}})

	res, body := navigate(t, srv.URL+"/orders")
	if res.StatusCode != http.StatusInternalServerError {
		t.Fatalf("status %d, want 500 while the build is broken", res.StatusCode)
	}
	for _, want := range []string{"main.go:4:7", "&lt;script&gt;alert(1)&lt;/script&gt;", "x := &lt;b&gt;1", "func main()", tagPattern} {
		if !strings.Contains(body, want) {
			t.Errorf("overlay page lacks %q:\n%s", want, body)
		}
	}
	if strings.Contains(body, "<script>alert(1)") || strings.Contains(body, "<b>1") {
		t.Errorf("untrusted text not escaped:\n%s", body)
	}
	// Not a navigation: the old app keeps serving.
	if _, body := get(t, srv.URL+"/api", "Accept", "application/json"); body != "app page" {
		t.Errorf("API request during a broken build got %q", body)
	}
	front.Reload()
	if _, body := navigate(t, srv.URL+"/orders"); !strings.HasPrefix(body, "app page") {
		t.Errorf("after Reload got %q, want the app", body)
	}
}

func TestExcerptStaysInsideRoot(t *testing.T) {
	root := t.TempDir()
	outside := filepath.Join(t.TempDir(), "secret.go")
	os.WriteFile(outside, []byte("package secret\nvar key = \"hunter2\"\n"), 0o644)
	tests := []struct {
		name string
		file string
		line int
	}{
		{"absolute outside", outside, 2},
		{"relative escape", filepath.Join("..", filepath.Base(filepath.Dir(outside)), "secret.go"), 2},
		{"missing", "nope.go", 1},
		{"no line", "x.go", 0},
		{"directory", ".", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if ex := readExcerpt(root, tt.file, tt.line); ex != nil {
				t.Fatalf("readExcerpt(%q) = %v, want nil", tt.file, ex)
			}
		})
	}
	long := strings.Repeat("é", 1000)
	os.WriteFile(filepath.Join(root, "long.go"), []byte("a\n"+long+"\nb\xff\n"), 0o644)
	ex := readExcerpt(root, "long.go", 2)
	if len(ex) != 3 || !ex[1].Mark || len([]rune(ex[1].Text)) != excerptLineChars+1 || !strings.Contains(ex[2].Text, "\uFFFD") {
		t.Fatalf("excerpt %+v", ex)
	}
}

// sseReader reads events from the front's stream.
type sseReader struct {
	t *testing.T
	r *bufio.Reader
}

func (s sseReader) next() (name string, data map[string]any) {
	s.t.Helper()
	for {
		line, err := s.r.ReadString('\n')
		if err != nil {
			s.t.Fatalf("reading the event stream: %v", err)
		}
		line = strings.TrimRight(line, "\n")
		switch {
		case strings.HasPrefix(line, "event: "):
			name = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			if err := json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &data); err != nil {
				s.t.Fatalf("event data %q: %v", line, err)
			}
		case line == "" && name != "":
			return name, data
		}
	}
}

func TestEventStream(t *testing.T) {
	root := t.TempDir()
	os.WriteFile(filepath.Join(root, "a.go"), []byte("package a\nfunc f() {\n\treturn 1\n}\n"), 0o644)
	front, srv, _ := newFront(t, Options{Root: root, Heartbeat: 10 * time.Millisecond})
	res, err := http.Get(srv.URL + EventsPath)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if ct := res.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("Content-Type %q", ct)
	}
	r := bufio.NewReader(res.Body)
	if line, _ := r.ReadString('\n'); line != "retry: 1000\n" {
		t.Fatalf("first line %q, want a retry hint", line)
	}
	s := sseReader{t, r}
	name, data := s.next()
	v0, _ := data["version"].(string)
	if name != "hello" || v0 == "" || data["failed"] != false {
		t.Fatalf("got %s %v, want hello", name, data)
	}
	front.BuildStarted()
	if name, _ := s.next(); name != "build-started" {
		t.Fatalf("got %s, want build-started", name)
	}
	front.BuildFailed([]Diagnostic{{File: "a.go", Line: 3, Column: 9, Message: "too many return values"}})
	name, data = s.next()
	diags, _ := data["diagnostics"].([]any)
	if name != "build-failed" || len(diags) != 1 {
		t.Fatalf("got %s %v", name, data)
	}
	d := diags[0].(map[string]any)
	excerpt, _ := d["excerpt"].([]any)
	if d["file"] != "a.go" || d["line"] != float64(3) || len(excerpt) != 4 {
		t.Fatalf("diagnostic %v", d)
	}
	if mark := excerpt[2].(map[string]any); mark["mark"] != true || mark["text"] != "    return 1" {
		t.Errorf("marked line %v", mark)
	}
	front.StylesChanged([]string{"static/site.css"})
	if name, data := s.next(); name != "css" || fmt.Sprint(data["paths"]) != "[static/site.css]" {
		t.Fatalf("got %s %v", name, data)
	}
	front.Reload()
	name, data = s.next()
	if name != "reload" || data["version"] == v0 {
		t.Fatalf("got %s %v, want reload with a new version", name, data)
	}

	// A second client connecting during a broken build gets the failure
	// right after hello.
	front.BuildFailed(nil)
	res2, err := http.Get(srv.URL + EventsPath)
	if err != nil {
		t.Fatal(err)
	}
	defer res2.Body.Close()
	s2 := sseReader{t, bufio.NewReader(res2.Body)}
	if name, data := s2.next(); name != "hello" || data["failed"] != true {
		t.Fatalf("got %s %v", name, data)
	}
	if name, _ := s2.next(); name != "build-failed" {
		t.Fatalf("got %s, want build-failed", name)
	}
	// Heartbeats keep idle streams alive.
	deadline := time.Now().Add(5 * time.Second)
	for {
		line, err := s2.r.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		if line == ": ping\n" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no heartbeat")
		}
	}
	// Close ends the streams.
	front.Close()
	if _, err := io.Copy(io.Discard, res2.Body); err != nil {
		t.Fatalf("stream did not end cleanly: %v", err)
	}
}

func TestOwnEndpoints(t *testing.T) {
	_, srv, _ := newFront(t, Options{})
	res, body := get(t, srv.URL+ClientScriptPath)
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/javascript") || !strings.Contains(body, "EventSource") {
		t.Fatalf("client.js: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	if res, _ := get(t, srv.URL+PathPrefix+"nope"); res.StatusCode != 404 {
		t.Errorf("unknown own path: %d, want 404", res.StatusCode)
	}
	res, err := http.Post(srv.URL+EventsPath, "text/plain", nil)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST events: %d, want 405", res.StatusCode)
	}
}

// While a build is broken every response says so (the old version keeps
// answering API clients and scripts, which cannot see the overlay), and
// the header goes away with the next successful swap.
func TestFailedBuildHeader(t *testing.T) {
	front, srv, _ := newFront(t, Options{})
	front.SetUpstream(mustURL(t, textApp(t, "v1").URL))
	for _, tc := range []struct {
		name   string
		before func()
		hdr    []string
		want   string
		body   string
	}{
		{"serving", func() {}, nil, "", "v1"},
		{"build failed: API request", func() { front.BuildFailed([]Diagnostic{{File: "main.go", Line: 1, Message: "undefined: x"}}) }, []string{"Accept", "application/json"}, "failed", "v1"},
		{"build failed: overlay page", func() {}, []string{"Accept", "text/html", "Sec-Fetch-Mode", "navigate", "Sec-Fetch-Dest", "document"}, "failed", "undefined: x"},
		{"app crashed", func() { front.Failed(Failure{Title: "The app panicked", Diagnostics: []Diagnostic{{Message: "boom"}}}) }, []string{"Accept", "text/html", "Sec-Fetch-Mode", "navigate", "Sec-Fetch-Dest", "document"}, "failed", "The app panicked"},
		{"fixed", func() { front.Reload() }, nil, "", "v1"},
	} {
		tc.before()
		res, body := get(t, srv.URL+"/", tc.hdr...)
		if got := res.Header.Get(FailedHeader); got != tc.want {
			t.Errorf("%s: %s = %q, want %q", tc.name, FailedHeader, got, tc.want)
		}
		if !strings.Contains(body, tc.body) {
			t.Errorf("%s: body %.200q does not contain %q", tc.name, body, tc.body)
		}
	}
}
