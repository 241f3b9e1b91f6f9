package verify

import (
	"bytes"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/golocal/golocal/internal/lint"
	"github.com/golocal/golocal/internal/probe"
)

var _ = register(
	Check{
		ID: "http.lint-root", Area: HTTP, Required: true,
		Why:       "the home page is what browsers and scanners see first; an error-level lint finding is something a browser rejects or an attacker uses",
		Fix:       "run golocal probe URL and follow each finding's fix",
		Reference: "docs/lint-rules.md (golocal probe's rule catalog)",
		run:       func(a *Audit) Result { return lintPath(a, "GET", "/", nil, nil) },
	},
	Check{
		ID: "http.lint-api", Area: HTTP, Required: true,
		Why:       "API responses are cached, sniffed and shared cross-origin by the same browsers",
		Fix:       "run golocal probe on the API URL and follow each finding's fix",
		Reference: "docs/lint-rules.md",
		run:       checkLintAPI,
	},
	Check{
		ID: "http.lint-404", Area: HTTP, Required: true,
		Why:       "error pages skip middleware in many stacks and lose their security headers",
		Fix:       "answer unknown paths through the same middleware as the rest (a catch-all route inside the stack)",
		Reference: "docs/lint-rules.md",
		run: func(a *Audit) Result {
			return lintPath(a, "GET", "/verify-"+randomHex(6), hdr("Accept", "application/json"), nil)
		},
	},
	Check{
		ID: "http.lint-error", Area: HTTP, Required: true,
		Why:       "error responses are where headers are forgotten and internals leak",
		Fix:       "send errors through one writer (problem.Error) inside the middleware stack",
		Reference: "docs/lint-rules.md; RFC 9457",
		run:       checkLintError,
	},
	Check{
		ID: "http.problem-json", Area: HTTP, Required: true,
		Why:       "clients handle errors by parsing them; an HTML or text error body breaks them and leaks framework details",
		Fix:       "answer errors as application/problem+json (package problem) when the client accepts JSON",
		Reference: "RFC 9457 Problem Details for HTTP APIs",
		run:       checkProblemJSON,
	},
	Check{
		ID: "http.no-stack-traces", Area: HTTP, Required: true,
		Why:       "a stack trace in a response maps the code for an attacker",
		Fix:       "recover panics into a plain 500 problem (middleware.Recover) and keep details in the log",
		Reference: "OWASP Error Handling Cheat Sheet; CWE-209",
		run:       checkNoStackTraces,
	},
	Check{
		ID: "http.hostile-json", Area: HTTP, Required: true,
		Why:       "malformed JSON (NUL, invalid UTF-8, 1e400, duplicate keys) that yields a 500 is a bug an attacker can repeat at will, and often a data-corruption bug",
		Fix:       "decode strictly and answer 400/422 problem+json naming the field",
		Reference: "RFC 8259 §8.1 (UTF-8), §4 (duplicate names); RFC 9110 §15.5.1",
		run:       func(a *Audit) Result { return hostile(a, jsonCases) },
	},
	Check{
		ID: "http.hostile-form", Area: HTTP, Required: true,
		Why:       "form fields with NUL or invalid UTF-8 that yield a 500 crash handlers or reach the database unchecked",
		Fix:       "validate decoded form values (utf8.ValidString, no control characters) and answer 400/422",
		Reference: "WHATWG URL: application/x-www-form-urlencoded parsing; CWE-20",
		run:       func(a *Audit) Result { return hostile(a, formCases) },
	},
	Check{
		ID: "http.large-body", Area: HTTP, Required: true,
		Why:       "a 10 MB body that gets a 500 (or an out-of-memory) is an easy denial of service",
		Fix:       "cap request bodies (middleware.Limit) so they get 413",
		Reference: "RFC 9110 §15.5.14 413 Content Too Large",
		run:       checkLargeBody,
	},
	Check{
		ID: "http.large-header", Area: HTTP, Required: true,
		Why:       "a 1 MB header that gets a 500 or hangs the server is an easy denial of service",
		Fix:       "keep http.Server.MaxHeaderBytes small (serve's default is 64 KiB) so it gets 431",
		Reference: "RFC 6585 §5 431 Request Header Fields Too Large",
		run:       checkLargeHeader,
	},
	Check{
		ID: "http.admin-host", Area: HTTP, Required: true, needs: needAdmin,
		Why:       "an admin listener that answers any Host can be read by a web page through DNS rebinding",
		Fix:       "refuse requests whose Host is not a loopback address or localhost on the admin listener (admin.Check)",
		Reference: "DNS rebinding (CWE-350); tailscale tsweb loopback-only debug handlers",
		run:       checkAdminHost,
	},
)

// routeSet is what verify found to exercise.
type routeSet struct {
	get, post []string
	api       string
}

var (
	hrefAttr   = regexp.MustCompile(`(?i)\bhref\s*=\s*["']([^"'#]+)`)
	formTag    = regexp.MustCompile(`(?is)<form\b[^>]*>`)
	actionAttr = regexp.MustCompile(`(?i)\baction\s*=\s*["']([^"']*)`)
	methodPost = regexp.MustCompile(`(?i)\bmethod\s*=\s*["']?post`)
	routeLabel = regexp.MustCompile(`\broute="([^"]+)"`)
	wildcard   = regexp.MustCompile(`\{[^}]*\}`)
)

// routes returns the GET paths verify discovered.
func (a *Audit) routes() []string { return a.routeSet().get }

// routeSet discovers routes: links and forms of the home page, the route
// labels of the admin metrics, the common API prefixes.
func (a *Audit) routeSet() routeSet {
	return once(a, "routes", func() routeSet {
		rs := routeSet{}
		add := func(list *[]string, p string) {
			u, err := url.Parse(p)
			if err != nil || u.Host != "" || !strings.HasPrefix(u.Path, "/") || strings.HasPrefix(u.Path, "//") {
				return
			}
			if len(*list) < 30 && !slices.Contains(*list, u.Path) {
				*list = append(*list, u.Path)
			}
		}
		if r, err := a.do(http.MethodGet, "/", hdr("Accept", "text/html"), nil); err == nil {
			page := string(r.body)
			for _, m := range hrefAttr.FindAllStringSubmatch(page, -1) {
				if !strings.Contains(m[1], "/static/") {
					add(&rs.get, m[1])
				}
			}
			for _, f := range formTag.FindAllString(page, -1) {
				action := "/"
				if m := actionAttr.FindStringSubmatch(f); m != nil && m[1] != "" {
					action = m[1]
				}
				if methodPost.MatchString(f) {
					add(&rs.post, action)
				}
			}
		}
		if a.admin != nil {
			if r, err := a.adminDo(http.MethodGet, "/metrics", nil); err == nil {
				for _, m := range routeLabel.FindAllStringSubmatch(string(r.body), -1) {
					if m[1] != "unmatched" && !strings.HasSuffix(m[1], "/") {
						add(&rs.get, wildcard.ReplaceAllString(m[1], "1"))
					}
				}
			}
		}
		sort.Strings(rs.get)
		rs.api = a.findAPI(append(slices.Clone(rs.post), append(rs.get, "/api", "/api/v1")...))
		if rs.api != "" {
			add(&rs.post, rs.api)
		}
		add(&rs.post, "/")
		a.facts.Routes = append(slices.Clone(rs.get), rs.post...)
		return rs
	})
}

// findAPI returns the first path that answers JSON to a GET asking for it.
func (a *Audit) findAPI(paths []string) string {
	for _, p := range paths {
		r, err := a.do(http.MethodGet, p, hdr("Accept", "application/json"), nil)
		if err != nil || r.status/100 != 2 {
			continue
		}
		if mt, _, _ := mime.ParseMediaType(r.header.Get("Content-Type")); strings.HasSuffix(mt, "json") {
			return p
		}
	}
	return ""
}

// transportRule are lint rules about how the service is reached, not what
// it answers: verify talks to it over loopback HTTP, while TLS belongs to
// the load balancer or ingress in front of it.
var transportRule = map[string]bool{"https-missing": true}

// lintPath probes path once and fails on error-level findings.
func lintPath(a *Audit, method, path string, header http.Header, body []byte) Result {
	cfg := probe.Config{Options: probe.Options{Method: method, Header: header, Body: body, Timeout: 10 * time.Second}, FailOn: lint.Error}
	rep, err := probe.Do(a.ctx, a.base.String()+path, cfg)
	if err != nil {
		return fail("%s %s: the request failed: %v", method, path, err)
	}
	status := 0
	if h := rep.Final(); h != nil {
		status = h.Status
	}
	if rep.Lint == nil {
		return fail("%s %s: nothing to lint", method, path)
	}
	var errs []string
	for _, f := range rep.Lint.Findings {
		if transportRule[f.Rule] {
			continue
		}
		if f.Severity >= lint.Error {
			errs = append(errs, fmt.Sprintf("%s: %s", f.Rule, f.Message))
		}
	}
	if len(errs) > 0 {
		return fail("%s %s (%d): %d error-level findings:\n  %s", method, path, status, len(errs), strings.Join(errs, "\n  "))
	}
	return pass("%s %s (%d): no error-level finding (grade %s, %d warnings)", method, path, status, rep.Lint.Grade, rep.Lint.Count(lint.Warn))
}

func checkLintAPI(a *Audit) Result {
	api := a.routeSet().api
	if api == "" {
		return notRun("no path answered JSON to a GET with Accept: application/json (looked at the home page's links and forms, the metrics' routes, /api, /api/v1)")
	}
	return lintPath(a, "GET", api, hdr("Accept", "application/json"), nil)
}

// errorTarget is where verify provokes a client error: the API if found,
// else the home page.
func (a *Audit) errorTarget() string {
	rs := a.routeSet()
	if rs.api != "" {
		return rs.api
	}
	return rs.post[0]
}

func checkLintError(a *Audit) Result {
	return lintPath(a, "POST", a.errorTarget(), hdr("Content-Type", "application/json", "Accept", "application/json"), []byte(`{"unterminated`))
}

func checkProblemJSON(a *Audit) Result {
	cases := []struct {
		method, path string
		body         []byte
	}{
		{"GET", "/verify-" + randomHex(6), nil},
		{"POST", a.errorTarget(), []byte(`{"unterminated`)},
	}
	var ev []string
	errs := 0
	for _, c := range cases {
		r, err := a.do(c.method, c.path, hdr("Accept", "application/json", "Content-Type", "application/json"), c.body)
		if err != nil {
			return fail("%s %s: %v", c.method, c.path, err)
		}
		ct := r.header.Get("Content-Type")
		line := fmt.Sprintf("%s %s → %d %s", c.method, c.path, r.status, ct)
		if r.status < 400 {
			ev = append(ev, line+" (not an error)")
			continue
		}
		if mt, _, _ := mime.ParseMediaType(ct); mt != "application/problem+json" {
			return fail("%s: an error for a client that accepts JSON is not application/problem+json", line)
		}
		errs++
		ev = append(ev, line)
	}
	if errs == 0 {
		return fail("%s: an unknown path and malformed JSON both succeeded, so clients cannot tell a mistake from a result", strings.Join(ev, "; "))
	}
	return pass("%s", strings.Join(ev, "; "))
}

// stackTrace matches what Go panics and errors print.
var stackTrace = regexp.MustCompile(`goroutine \d+ \[|\.go:\d+|panic: |runtime error:|runtime/debug\.Stack`)

func checkNoStackTraces(a *Audit) Result {
	target := a.errorTarget()
	reqs := []struct {
		method, path, ct string
		body             []byte
	}{
		{"GET", "/verify-" + randomHex(6), "", nil},
		{"POST", target, "application/json", []byte(`{"unterminated`)},
		{"POST", target, "application/json", []byte("{\"a\":\"\xff\"}")},
		{"POST", target, "application/x-www-form-urlencoded", []byte("a=%00&b=%FF")},
		{"GET", "/%2e%2e/%00", "", nil},
	}
	for _, q := range reqs {
		r, err := a.do(q.method, q.path, hdr("Content-Type", q.ct, "Accept", "application/json"), q.body)
		if err != nil {
			continue
		}
		if m := stackTrace.FindIndex(r.body); m != nil {
			return fail("%s %s → %d shows a stack trace: …%s…", q.method, q.path, r.status, truncate(string(r.body[max(0, m[0]-80):min(len(r.body), m[1]+80)]), 240))
		}
	}
	return pass("no stack trace in %d error responses", len(reqs))
}

type hostileCase struct {
	name, contentType string
	body              []byte
}

var jsonCases = []hostileCase{
	{"NUL byte in a JSON string", "application/json", []byte("{\"name\":\"a\x00b\",\"customer\":\"a\x00b\"}")},
	{`escaped \u0000 in a JSON string`, "application/json", []byte(`{"name":"a\u0000b","customer":"a\u0000b","items":[{"sku":"a\u0000","qty":1}]}`)},
	{"invalid UTF-8 in a JSON string", "application/json", []byte("{\"name\":\"\xff\xfe\",\"customer\":\"\xc0\xaf\",\"items\":[{\"sku\":\"\xed\xa0\x80\",\"qty\":1}]}")},
	{"1e400", "application/json", []byte(`{"qty":1e400,"amount":1e400,"items":[{"sku":"x","qty":1e400}]}`)},
	{"duplicate keys", "application/json", []byte(`{"customer":"a","customer":"b","items":[],"items":[{"sku":"x","qty":1}]}`)},
	{"deep nesting", "application/json", []byte(strings.Repeat("[", 10000) + strings.Repeat("]", 10000))},
}

var formCases = []hostileCase{
	{"%00 in a form field", "application/x-www-form-urlencoded", []byte("customer=a%00b&name=a%00b&sku=a%00&qty=1")},
	{"%FF in a form field", "application/x-www-form-urlencoded", []byte("customer=%FF%FE&name=%FF&sku=%C0%AF&qty=1")},
	{"raw invalid UTF-8 in a form", "application/x-www-form-urlencoded", []byte("customer=\xff\xfe&name=\xed\xa0\x80&qty=1")},
	{"surrogate half %ED%A0%80", "application/x-www-form-urlencoded", []byte("customer=%ED%A0%80&name=%ED%A0%80&qty=1")},
}

// hostile posts every case to every POST route and fails on any 5xx.
func hostile(a *Audit, cases []hostileCase) Result {
	rs := a.routeSet()
	var bad []string
	n := 0
	for _, p := range rs.post {
		for _, c := range cases {
			r, err := a.do(http.MethodPost, p, hdr("Content-Type", c.contentType, "Accept", "application/json"), c.body)
			if err != nil {
				bad = append(bad, fmt.Sprintf("POST %s (%s): %v", p, c.name, err))
				continue
			}
			n++
			if r.status >= 500 {
				bad = append(bad, fmt.Sprintf("POST %s (%s) → %d %s", p, c.name, r.status, truncate(string(bytes.TrimSpace(r.body)), 120)))
			}
		}
	}
	if len(bad) > 0 {
		return fail("%d of %d hostile requests failed:\n  %s", len(bad), len(bad)+n, strings.Join(bad, "\n  "))
	}
	return pass("%d hostile requests to %s: no 5xx", n, strings.Join(rs.post, ", "))
}

func checkLargeBody(a *Audit) Result {
	body := bytes.Repeat([]byte("a"), 10<<20)
	rs := a.routeSet()
	var ev []string
	for _, p := range rs.post {
		r, err := a.do(http.MethodPost, p, hdr("Content-Type", "application/x-www-form-urlencoded"), body)
		if err != nil {
			ev = append(ev, fmt.Sprintf("POST %s: connection ended without an answer (%v)", p, err))
			continue
		}
		if r.status >= 500 {
			return fail("POST %s with a 10 MB body → %d", p, r.status)
		}
		ev = append(ev, fmt.Sprintf("POST %s → %d", p, r.status))
	}
	return pass("10 MB bodies: %s", strings.Join(ev, "; "))
}

func checkLargeHeader(a *Audit) Result {
	r, err := a.do(http.MethodGet, "/", hdr("X-Verify-Large", strings.Repeat("a", 1<<20)), nil)
	if err != nil {
		return pass("GET / with a 1 MB header: the server closed the connection (%v)", err)
	}
	if r.status >= 500 {
		return fail("GET / with a 1 MB header → %d", r.status)
	}
	return pass("GET / with a 1 MB header → %d", r.status)
}

func checkAdminHost(a *Audit) Result {
	host := "verify-" + randomHex(4) + ".example"
	r, err := a.adminDo(http.MethodGet, "/metrics", hdr("Host", host))
	if err != nil {
		return fail("GET %s/metrics with Host %s: %v", a.admin, host, err)
	}
	if r.status/100 == 4 {
		return pass("GET /metrics on the admin listener with Host %s → %d", host, r.status)
	}
	return fail("GET /metrics on the admin listener with Host: %s → %d: a page on a rebinding domain could read it", host, r.status)
}
