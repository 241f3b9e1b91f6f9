package cli

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/golocal/golocal/internal/lint/linttest"
)

func TestProbeUsageErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"probe"}, "probe needs a URL"},
		{[]string{"probe", "a", "b"}, "probe takes one URL"},
		{[]string{"probe", "-n", "abc", "http://x/"}, "want an integer"},
		{[]string{"probe", "http://x/", "--slo", "latency=1s"}, "unknown phase"},
		{[]string{"probe", "http://x/", "--resolve", "x:80"}, "missing the address"},
		{[]string{"probe", "http://x/", "--connect-to", "x"}, "--connect-to"},
		{[]string{"probe", "http://x/", "-H", "no colon"}, "no colon"},
		{[]string{"probe", "http://x/", "--fail-on", "info"}, "use error or warn"},
		{[]string{"probe", "http://x/", "--format", "xml"}, "use text, json or junit"},
		{[]string{"probe", "http://x/", "--http1.1", "--http2"}, "exclude each other"},
		{[]string{"probe", "http://x/", "-4", "-6"}, "exclude each other"},
		{[]string{"probe", "http://x/", "--timeout", "soon"}, "not a duration"},
		{[]string{"probe", "http://x/", "-n", "0"}, "use 1 to 1000"},
		{[]string{"probe", "http://x/", "--origin", "https://a.test/path"}, "not an origin"},
		{[]string{"probe", "http://x/", "-d", "@/nonexistent/file"}, "--data @/nonexistent/file"},
		{[]string{"probe", "http://x/", "-X", "GE T"}, "not a valid method"},
	}
	for _, tt := range tests {
		code, _, errOut := runCLI(t, nil, tt.args...)
		if code != ExitUsage || !strings.Contains(errOut, tt.want) {
			t.Errorf("%q: exit %d stderr %q; want %d and %q", tt.args, code, errOut, ExitUsage, tt.want)
		}
	}
}

func TestProbeRequestFailedExit3(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	start := time.Now()
	code, out, errOut := runCLI(t, nil, "probe", addr, "--timeout", "2s")
	if code != ExitRequestFailed || !strings.Contains(errOut, "refused") || !strings.Contains(out, "assuming http://") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	// Issue 18: the error is printed once (it was on stdout and stderr),
	// and no table of dashes stands for timings that never happened.
	if n := strings.Count(out+errOut, "nothing listens there"); n != 1 {
		t.Errorf("the error is printed %d times, want once:\nstdout:\n%s\nstderr:\n%s", n, out, errOut)
	}
	if strings.Contains(out, "starttransfer") || strings.Contains(out, "phase") {
		t.Errorf("a timing table although nothing connected:\n%s", out)
	}
	if time.Since(start) > 5*time.Second {
		t.Errorf("took %v", time.Since(start))
	}
}

func serveHello(t *testing.T, header map[string]string) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		for k, v := range header {
			w.Header().Set(k, v)
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, "hello")
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/"
}

func TestProbeOutputs(t *testing.T) {
	good := serveHello(t, map[string]string{"X-Content-Type-Options": "nosniff"})
	bad := serveHello(t, map[string]string{"X-Frame-Options": "ALLOW-FROM https://a.test"})

	code, out, errOut := runCLI(t, map[string]string{"NO_COLOR": "1"}, "probe", good, "-n", "3")
	if code != ExitOK || strings.Contains(out, "\x1b[") {
		t.Errorf("text: exit %d stderr %q; colour in output: %v", code, errOut, strings.Contains(out, "\x1b["))
	}
	for _, want := range []string{"namelookup", "starttransfer", "█", "score", "grade", "over 3 runs", "median", "stricter"} {
		if !strings.Contains(out, want) {
			t.Errorf("text output lacks %q:\n%s", want, out)
		}
	}

	code, out, _ = runCLI(t, nil, "probe", bad, "--json")
	var rep map[string]any
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("--json output is not JSON: %v\n%s", err, out)
	}
	if code != ExitFailure || rep["schema_version"] != float64(1) || rep["exit_code"] != float64(ExitFailure) {
		t.Errorf("json: exit %d, schema %v, exit_code %v", code, rep["schema_version"], rep["exit_code"])
	}

	code, out, _ = runCLI(t, nil, "probe", bad, "--format", "junit")
	var suites struct {
		XMLName xml.Name `xml:"testsuites"`
	}
	if err := xml.Unmarshal([]byte(out), &suites); err != nil || code != ExitFailure {
		t.Errorf("junit: exit %d, %v\n%s", code, err, out)
	}

	// --fail-on warn turns a warning into exit 1; an SLO breach too.
	warnOnly := serveHello(t, map[string]string{"Vary": "User-Agent", "X-Content-Type-Options": "nosniff"})
	if code, _, _ := runCLI(t, nil, "probe", warnOnly); code != ExitOK {
		t.Errorf("warnings with --fail-on error: exit %d, want 0", code)
	}
	if code, _, _ := runCLI(t, nil, "probe", warnOnly, "--fail-on", "warn"); code != ExitFailure {
		t.Errorf("warnings with --fail-on warn: exit %d, want 1", code)
	}
	if code, out, _ := runCLI(t, nil, "probe", good, "--slo", "total=1ns"); code != ExitFailure || !strings.Contains(out, "BREACH") {
		t.Errorf("SLO breach: exit %d\n%s", code, out)
	}
}

// rawTCP accepts connections on loopback, reads the request head and hands
// the connection to serve. Connections are closed when the test ends.
func rawTCP(t *testing.T, serve func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	done := make(chan struct{})
	t.Cleanup(func() { close(done); ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				go func() { <-done; c.Close() }()
				_ = c.SetDeadline(time.Now().Add(20 * time.Second))
				buf := make([]byte, 4096)
				var head []byte
				for !bytes.Contains(head, []byte("\r\n\r\n")) && len(head) < 1<<16 {
					n, err := c.Read(buf)
					head = append(head, buf[:n]...)
					if err != nil {
						return
					}
				}
				serve(c)
			}()
		}
	}()
	return ln.Addr().String()
}

// TestProbeBadInput runs every bad input of the probe issue through the
// command line: each ends with a clear message and exit code 3 (or, where
// the server's bytes are the problem but a response arrived, a finding and
// exit 1), bounded in time and memory, never a crash.
func TestProbeBadInput(t *testing.T) {
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		_, _ = io.WriteString(w, "hello")
	}))
	t.Cleanup(plain.Close)
	untrusted := httptest.NewTLSServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	t.Cleanup(untrusted.Close)
	refused := func() string {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		return ln.Addr().String()
	}()
	silent := rawTCP(t, func(c net.Conn) { _, _ = io.Copy(io.Discard, c) })
	trickle := rawTCP(t, func(c net.Conn) {
		for _, b := range []byte("HTTP/1.1 200 OK\r\nX-Slow: yes\r\n") {
			if _, err := c.Write([]byte{b}); err != nil {
				return
			}
			time.Sleep(50 * time.Millisecond)
		}
	})
	huge := rawTCP(t, func(c net.Conn) {
		_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nX-Big: ")
		chunk := bytes.Repeat([]byte("a"), 64<<10)
		for range 160 { // 10 MB
			if _, err := c.Write(chunk); err != nil {
				return
			}
		}
		_, _ = io.WriteString(c, "\r\n\r\n")
	})
	endless := rawTCP(t, func(c net.Conn) {
		_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n\r\n")
		chunk := bytes.Repeat([]byte("z"), 64<<10)
		for {
			if _, err := c.Write(chunk); err != nil {
				return
			}
		}
	})
	garbage := rawTCP(t, func(c net.Conn) { _, _ = c.Write([]byte("\xff\xfe not http \x00\r\n\r\n")) })
	// Invalid UTF-8 in the reason phrase, a field name, a value and the body.
	badUTF8 := linttest.Serve(t, []byte("HTTP/1.1 200 \xff\xfeOK\r\nContent-Type: text/plain; charset=utf-8\r\nX-\xc3\x28: v\r\nX-Val: \xed\xa0\x80\x1b[31mred\r\nContent-Length: 4\r\n\r\n\xff\xfe\xfd\xfc"))

	tests := []struct {
		name     string
		args     []string
		code     int
		want     string // in stderr, or stdout when the exit code is 0 or 1
		limit    time.Duration
		memBound bool // check the allocation bound
	}{
		{"no scheme: assume http and say so", []string{strings.TrimPrefix(plain.URL, "http://") + "/"}, ExitOK, "no scheme given: assuming http://", 5 * time.Second, false},
		{"no scheme, refused", []string{refused}, ExitRequestFailed, "refused", 5 * time.Second, false},
		{"unsupported scheme", []string{"ftp://example.test/"}, ExitRequestFailed, `unsupported URL scheme "ftp"`, time.Second, false},
		{"unsupported scheme without //", []string{"mailto:a@example.test"}, ExitRequestFailed, "unsupported URL scheme", time.Second, false},
		{"no host", []string{"http:///path"}, ExitRequestFailed, "has no host", time.Second, false},
		{"invalid UTF-8 in the URL", []string{"http://exa\xffmple.test/"}, ExitRequestFailed, "not valid UTF-8", time.Second, false},
		{"host does not resolve", []string{"http://no-such-host.invalid/", "--timeout", "5s"}, ExitRequestFailed, "cannot resolve host", 8 * time.Second, false},
		{"refused connection", []string{"http://" + refused + "/"}, ExitRequestFailed, "refused: nothing listens there", 5 * time.Second, false},
		{"TLS handshake failure", []string{"https://" + strings.TrimPrefix(plain.URL, "http://") + "/"}, ExitRequestFailed, "TLS handshake", 5 * time.Second, false},
		{"untrusted certificate", []string{untrusted.URL + "/"}, ExitRequestFailed, "pass -k", 5 * time.Second, false},
		{"never answers", []string{"http://" + silent + "/", "--timeout", "500ms"}, ExitRequestFailed, "never answers", 3 * time.Second, false},
		{"trickles bytes", []string{"http://" + trickle + "/", "--timeout", "500ms"}, ExitRequestFailed, "trickles", 3 * time.Second, false},
		{"10 MB header", []string{"http://" + huge + "/", "--timeout", "10s"}, ExitRequestFailed, "response head is larger than", 10 * time.Second, true},
		{"endless body", []string{"http://" + endless + "/", "--timeout", "10s", "--max-body", "4000000"}, ExitRequestFailed, "larger or endless", 10 * time.Second, true},
		{"not HTTP at all", []string{"http://" + garbage + "/", "--timeout", "3s"}, ExitRequestFailed, "no valid HTTP response", 5 * time.Second, false},
		{"invalid UTF-8 everywhere in the response", []string{badUTF8.URL() + "/"}, ExitFailure, `X-\xc3(`, 5 * time.Second, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, format := range []string{"text", "json"} {
				var before, after runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&before)
				start := time.Now()
				code, out, errOut := runCLI(t, map[string]string{"NO_COLOR": "1"}, append([]string{"probe", "--format", format}, tt.args...)...)
				took := time.Since(start)
				runtime.ReadMemStats(&after)
				where := errOut
				if code == ExitOK || code == ExitFailure {
					where = out
				}
				if code != tt.code || (format == "text" && !strings.Contains(where, tt.want)) {
					t.Errorf("%s: exit %d, want %d with %q\nstdout:\n%s\nstderr:\n%s", format, code, tt.code, tt.want, out, errOut)
				}
				if took > tt.limit {
					t.Errorf("%s: took %v, want under %v", format, took, tt.limit)
				}
				alloc := after.TotalAlloc - before.TotalAlloc
				t.Logf("%s: exit %d in %v, %d KiB allocated", format, code, took.Round(time.Millisecond), alloc>>10)
				if tt.memBound && alloc > 64<<20 {
					t.Errorf("%s: allocated %d MiB; the caps should keep it far lower", format, alloc>>20)
				}
				if !utf8.ValidString(out) || !utf8.ValidString(errOut) || strings.Contains(out, "\x1b") {
					t.Errorf("%s: output holds invalid UTF-8 or an escape byte:\n%q", format, out)
				}
				if format != "json" {
					continue
				}
				var rep struct {
					Error *struct {
						Kind    string `json:"kind"`
						Message string `json:"message"`
					} `json:"error"`
					ExitCode int `json:"exit_code"`
				}
				if err := json.Unmarshal([]byte(out), &rep); err != nil {
					t.Fatalf("--json output is not JSON: %v\n%s", err, out)
				}
				if rep.ExitCode != tt.code || (tt.code == ExitRequestFailed && (rep.Error == nil || rep.Error.Message == "")) {
					t.Errorf("json: exit_code %d error %+v, want %d with the error", rep.ExitCode, rep.Error, tt.code)
				}
			}
		})
	}
}

// TestProbeHTTP2Refusal: a server whose HTTP/2 response Go's client refuses
// (an upper-case field name) is a finding with Go's own words, not a failed
// request; the raw HTTP/2 view names the field.
func TestProbeHTTP2Refusal(t *testing.T) {
	srv := linttest.ServeH2(t, linttest.H2Response{Fields: []linttest.H2Field{
		{Name: ":status", Value: "200"}, {Name: "Content-Type", Value: "text/plain; charset=utf-8"}, {Name: "connection", Value: "keep-alive"}}, Body: []byte("hi")})
	code, out, errOut := runCLI(t, nil, "probe", "-k", srv.URL()+"/", "--json")
	var rep struct {
		Hops []struct {
			Proto       string `json:"proto"`
			ClientError string `json:"client_error"`
			Headers     []struct{ Name, Value string }
		} `json:"hops"`
		Lint struct {
			Findings []struct{ Rule, Evidence string } `json:"findings"`
		} `json:"lint"`
		Error *struct{ Message string } `json:"error"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("not JSON: %v\n%s\n%s", err, out, errOut)
	}
	if code != ExitFailure || rep.Error != nil || len(rep.Hops) != 1 {
		t.Fatalf("exit %d error %+v hops %d; want exit 1, no request error", code, rep.Error, len(rep.Hops))
	}
	h := rep.Hops[0]
	if h.Proto != "HTTP/2.0" || !strings.Contains(h.ClientError, `invalid header field name "Content-Type"`) {
		t.Errorf("proto %q client_error %q", h.Proto, h.ClientError)
	}
	if len(h.Headers) != 2 || h.Headers[0].Name != "Content-Type" {
		t.Errorf("headers %+v; want the raw HTTP/2 fields as sent", h.Headers)
	}
	got := map[string]string{}
	for _, f := range rep.Lint.Findings {
		got[f.Rule] = f.Evidence
	}
	if got["h2-uppercase"] != "Content-Type: text/plain; charset=utf-8" || got["h2-conn-specific"] != "connection: keep-alive" {
		t.Errorf("findings %+v", rep.Lint.Findings)
	}
}

// TestProbeScores checks the grade of three well-known configurations end
// to end (the lint package's score tests compute the same by hand against
// the Observatory's scoring table; here the probe's own requests,
// including its default active checks, must not change them).
func TestProbeScores(t *testing.T) {
	// A typical default Go server over plain HTTP:
	//   csp-not-implemented -25, redirection-missing -20,
	//   hsts-not-implemented-no-https -20, x-content-type-options missing -5,
	//   x-frame-options-not-implemented -20; cookies, CORS, referrer policy,
	//   SRI (no scripts), CORP: 0. 100-90 = 10 < 90: no bonus. 10, F.
	goDefault := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "<!doctype html><title>hello</title><h1>hello</h1>")
	}))
	t.Cleanup(goDefault.Close)

	// All headers strict, over HTTPS (HTTP/2) on a non-default port, so the
	// http:// redirection is not checked (0, as the Observatory's own
	// "not needed" result):
	//   CSP default-src 'none' +10, cookies Secure+HttpOnly+SameSite +5,
	//   referrer-policy private +5, HSTS two years 0, same-origin script with
	//   integrity over https +5, nosniff 0, frame-ancestors in CSP +5,
	//   CORP same-origin +10, CORS none 0. No penalty: 100 >= 90, so the
	//   bonuses count: 100+40 = 140, clamped to 100, A+.
	strict := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		h := w.Header()
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
		h.Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Vary", "Accept-Encoding")
		h.Set("Set-Cookie", "__Host-session=abc; Secure; HttpOnly; SameSite=Strict; Path=/")
		_, _ = io.WriteString(w, `<!doctype html><title>ok</title><script src="/app.js" integrity="sha384-oqVuAfXRKap7fdgcCY5uykM6+R9GqQ8K/uxy9rx7HNQlGYl1kPzQho1wx4JwY8wC"></script><h1>ok</h1>`)
	}))
	strict.EnableHTTP2 = true
	strict.StartTLS()
	t.Cleanup(strict.Close)

	// Reflected-origin CORS over HTTPS: any Origin echoed with credentials.
	//   CSP default-src 'none' +10, cors universal access -50, HSTS one
	//   year 0, nosniff 0, frame-ancestors in CSP +5, the rest 0.
	//   100-50 = 50 < 90: the +15 of bonuses is dropped. 50, C.
	reflect := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Type", "application/json")
		h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
		h.Set("Strict-Transport-Security", "max-age=31536000")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Vary", "Origin")
		if o := r.Header.Get("Origin"); o != "" {
			h.Set("Access-Control-Allow-Origin", o)
			h.Set("Access-Control-Allow-Credentials", "true")
		}
		_, _ = io.WriteString(w, `{"ok":true}`)
	}))
	reflect.EnableHTTP2 = true
	reflect.StartTLS()
	t.Cleanup(reflect.Close)

	tests := []struct {
		name        string
		args        []string
		score, obs  int
		grade       string
		wantFinding string
	}{
		{"default Go server", []string{goDefault.URL + "/"}, 10, 10, "F", "csp-missing"},
		{"all headers strict", []string{"-k", strict.URL + "/"}, 100, 140, "A+", ""},
		{"reflected-origin CORS", []string{"-k", reflect.URL + "/", "--origin", "https://app.example.test"}, 50, 50, "C", "cors-reflect"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, out, errOut := runCLI(t, nil, append([]string{"probe", "--json"}, tt.args...)...)
			var rep struct {
				Lint *struct {
					Score    int    `json:"score"`
					Obs      int    `json:"observatory_score"`
					Grade    string `json:"grade"`
					Findings []struct {
						Rule     string `json:"rule"`
						Severity string `json:"severity"`
					} `json:"findings"`
					Tests []struct {
						Name     string `json:"name"`
						Result   string `json:"result"`
						Modifier int    `json:"modifier"`
					} `json:"tests"`
				} `json:"lint"`
			}
			if err := json.Unmarshal([]byte(out), &rep); err != nil || rep.Lint == nil {
				t.Fatalf("no lint report: %v\n%s\n%s", err, out, errOut)
			}
			l := rep.Lint
			if l.Score != tt.score || l.Obs != tt.obs || l.Grade != tt.grade {
				t.Errorf("score %d (observatory %d) grade %s, want %d (%d) %s; tests %+v", l.Score, l.Obs, l.Grade, tt.score, tt.obs, tt.grade, l.Tests)
			}
			found := tt.wantFinding == ""
			for _, f := range l.Findings {
				found = found || f.Rule == tt.wantFinding
				if tt.wantFinding == "" && f.Severity == "error" {
					t.Errorf("strict headers: error finding %s", f.Rule)
				}
			}
			if !found {
				t.Errorf("finding %s missing: %+v", tt.wantFinding, l.Findings)
			}
		})
	}
}
