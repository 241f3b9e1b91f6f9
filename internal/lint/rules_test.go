package lint_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/golocal/golocal/internal/lint"
	"github.com/golocal/golocal/internal/lint/linttest"
	"github.com/golocal/golocal/internal/probe"
)

// resp builds a response from readable lines: "\n" becomes CRLF, the
// status line defaults to 200 OK and Content-Length is added unless the
// head frames the body itself.
func resp(head, body string) string {
	if !strings.HasPrefix(head, "HTTP/") {
		head = "HTTP/1.1 200 OK\n" + head
	}
	head = strings.TrimSuffix(head, "\n")
	lower := strings.ToLower(head)
	if !strings.Contains(lower, "content-length:") && !strings.Contains(lower, "transfer-encoding:") {
		head += fmt.Sprintf("\nContent-Length: %d", len(body))
	}
	return crlf(head+"\n\n") + body
}

func gzipped(s string) string {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write([]byte(s))
	zw.Close()
	return b.String()
}

// plainOK is a response that triggers nothing in particular.
const plainHead = "Content-Type: text/plain; charset=utf-8\nX-Content-Type-Options: nosniff"

type ruleCase struct {
	rule      string
	bad, good string
	path      string      // default "/"
	tls       bool        // serve over TLS
	tlsGood   bool        // serve only the good response over TLS
	reqHeader http.Header // sent with the main request
	// active fills Exchange.Active for the bad (true) or good response.
	active func(t *testing.T, bad bool) *lint.Active
	// goView asserts what Go's net/http made of the bad response: the
	// point of the raw rules is that Go hides or refuses these.
	goView func(t *testing.T, ex *lint.Exchange)
	// h2Bad and h2Good, when set, replace bad and good: the response is
	// served over HTTP/2 from raw frames (linttest.ServeH2) and fetched
	// by the probe, whose raw HTTP/2 exchange fills Exchange.H2Fields.
	h2Bad, h2Good []linttest.H2Field
}

func serve(t *testing.T, raw string, useTLS bool) *linttest.Server {
	if useTLS {
		return linttest.ServeTLS(t, []byte(raw))
	}
	return linttest.Serve(t, []byte(raw))
}

func corsServer(t *testing.T, reflect bool) *linttest.Server {
	return linttest.ServeFunc(t, func(head []byte) []byte {
		origin := ""
		for _, l := range strings.Split(string(head), "\r\n") {
			if v, ok := strings.CutPrefix(l, "Origin: "); ok {
				origin = v
			}
		}
		if !reflect {
			origin = "https://example.test"
		}
		return []byte(resp(plainHead+"\nVary: Origin\nAccess-Control-Allow-Origin: "+origin+"\nAccess-Control-Allow-Credentials: true", "{}"))
	})
}

func ruleCases() []ruleCase {
	chunked := "HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nTransfer-Encoding: chunked\r\n"
	return []ruleCase{
		{rule: "hdr-ws-before-colon",
			bad:  resp("Content-Type : text/plain; charset=utf-8\nX-Content-Type-Options: nosniff", "hi"),
			good: resp(plainHead, "hi"),
			goView: func(t *testing.T, ex *lint.Exchange) {
				if ex.ClientError == "" && ex.Header.Get("Content-Type") != "" {
					t.Errorf("Go saw Content-Type %q; expected it hidden or refused", ex.Header.Get("Content-Type"))
				}
			}},
		{rule: "hdr-obs-fold",
			bad:  resp(plainHead+"\nX-Note: one\n  two", "hi"),
			good: resp(plainHead+"\nX-Note: one two", "hi"),
			goView: func(t *testing.T, ex *lint.Exchange) {
				if ex.ClientError == "" && ex.Header.Get("X-Note") != "one two" {
					t.Errorf("Go's view of the folded field: %q", ex.Header.Get("X-Note"))
				}
			}},
		{rule: "hdr-bare-lf-cr",
			bad:  "HTTP/1.1 200 OK\nContent-Type: text/plain; charset=utf-8\nX-Content-Type-Options: nosniff\nContent-Length: 2\n\nhi",
			good: resp(plainHead, "hi"),
			goView: func(t *testing.T, ex *lint.Exchange) {
				if ex.ClientError != "" || ex.Status != 200 {
					t.Errorf("Go was expected to accept bare LF silently; got %d %q", ex.Status, ex.ClientError)
				}
			}},
		{rule: "hdr-bad-name",
			bad:  resp(plainHead+"\nX Bad(Name): 1", "hi"),
			good: resp(plainHead+"\nX-Good-Name: 1", "hi")},
		{rule: "hdr-ctl-value",
			bad:  resp(plainHead+"\nX-Data: a\x01b\x7f", "hi"),
			good: resp(plainHead+"\nX-Data: a b", "hi")},
		{rule: "cl-conflict",
			bad:  resp(plainHead+"\nContent-Length: 2\nContent-Length: 3", "hi"),
			good: resp(plainHead+"\nContent-Length: 2\nContent-Length: 2", "hi"),
			goView: func(t *testing.T, ex *lint.Exchange) {
				if ex.ClientError == "" {
					t.Errorf("Go accepted conflicting Content-Length (status %d)", ex.Status)
				}
			}},
		{rule: "te-and-cl",
			bad:  chunked + "Content-Length: 2\r\n\r\n2\r\nhi\r\n0\r\n\r\n",
			good: chunked + "\r\n2\r\nhi\r\n0\r\n\r\n",
			goView: func(t *testing.T, ex *lint.Exchange) {
				if ex.ClientError == "" && ex.Header.Get("Content-Length") != "" {
					t.Errorf("Go kept Content-Length next to Transfer-Encoding: %q", ex.Header.Get("Content-Length"))
				}
			}},
		{rule: "cl-mismatch",
			bad:  resp(plainHead+"\nContent-Length: 10", "short"),
			good: resp(plainHead, "exact"),
			goView: func(t *testing.T, ex *lint.Exchange) {
				if ex.ClientError == "" {
					t.Errorf("Go read a short body without error")
				}
			}},
		{rule: "location-multi",
			bad:  resp("HTTP/1.1 302 Found\n"+plainHead+"\nLocation: /a\nLocation: /b", ""),
			good: resp("HTTP/1.1 302 Found\n"+plainHead+"\nLocation: /a", "")},
		{rule: "cdisp-multi",
			bad:  resp(plainHead+"\nContent-Disposition: attachment; filename=a.txt\nContent-Disposition: inline", "hi"),
			good: resp(plainHead+"\nContent-Disposition: attachment; filename=a.txt", "hi")},
		{rule: "singleton-dup",
			bad:  resp(plainHead+"\nContent-Type: text/html", "hi"),
			good: resp(plainHead, "hi")},
		{rule: "h2-uppercase",
			h2Bad:  []linttest.H2Field{{Name: ":status", Value: "200"}, {Name: "Content-Type", Value: "text/plain; charset=utf-8"}, {Name: "x-content-type-options", Value: "nosniff"}},
			h2Good: []linttest.H2Field{{Name: ":status", Value: "200"}, {Name: "content-type", Value: "text/plain; charset=utf-8"}, {Name: "x-content-type-options", Value: "nosniff"}},
			goView: func(t *testing.T, ex *lint.Exchange) {
				if !strings.Contains(ex.ClientError, "invalid header field name") || ex.Header != nil {
					t.Errorf("Go was expected to refuse the upper-case name; client error %q, header %v", ex.ClientError, ex.Header)
				}
			}},
		{rule: "h2-conn-specific",
			h2Bad:  []linttest.H2Field{{Name: ":status", Value: "200"}, {Name: "content-type", Value: "text/plain; charset=utf-8"}, {Name: "x-content-type-options", Value: "nosniff"}, {Name: "connection", Value: "keep-alive"}},
			h2Good: []linttest.H2Field{{Name: ":status", Value: "200"}, {Name: "content-type", Value: "text/plain; charset=utf-8"}, {Name: "x-content-type-options", Value: "nosniff"}, {Name: "x-connection-id", Value: "7"}},
			goView: func(t *testing.T, ex *lint.Exchange) {
				// Go accepts it and canonicalises the name: only the raw
				// view shows the field as sent.
				if ex.ClientError != "" || ex.Header.Get("Connection") != "keep-alive" {
					t.Errorf("Go was expected to accept and canonicalise; client error %q, header %v", ex.ClientError, ex.Header)
				}
			}},
		{rule: "ce-corrupt",
			bad:  resp(plainHead+"\nVary: Accept-Encoding\nContent-Encoding: gzip", "this is not gzip"),
			good: resp(plainHead+"\nVary: Accept-Encoding\nContent-Encoding: gzip", gzipped("this is gzip"))},
		{rule: "ct-missing",
			bad:  resp("X-Content-Type-Options: nosniff", "<b>hi</b>"),
			good: resp(plainHead, "<b>hi</b>")},
		{rule: "ct-param-ws-eq",
			bad:  resp("Content-Type: text/html; charset =utf-8\nX-Content-Type-Options: nosniff", "hi"),
			good: resp("Content-Type: text/html ; charset=utf-8\nX-Content-Type-Options: nosniff", "hi")},
		{rule: "ct-ws-before-semi",
			bad:  resp("Content-Type: text/html ; charset=utf-8\nX-Content-Type-Options: nosniff", "hi"),
			good: resp("Content-Type: text/html; charset=utf-8\nX-Content-Type-Options: nosniff", "hi")},
		{rule: "ct-no-charset",
			bad:  resp("Content-Type: text/html\nX-Content-Type-Options: nosniff", "hi"),
			good: resp("Content-Type: text/html;charset=UTF-8\nX-Content-Type-Options: nosniff", "hi")},
		{rule: "xcto",
			bad:  resp("Content-Type: text/plain; charset=utf-8\nX-Content-Type-Options: no-sniff", "hi"),
			good: resp("Content-Type: text/plain; charset=utf-8\nX-Content-Type-Options: NoSniff", "hi")},
		{rule: "nosniff-block", path: "/static/app.js",
			bad:  resp("Content-Type: text/plain; charset=utf-8\nX-Content-Type-Options: nosniff", "alert(1)"),
			good: resp("Content-Type: text/javascript; charset=utf-8\nX-Content-Type-Options: nosniff", "alert(1)")},
		{rule: "cors-star-cred",
			bad:  resp(plainHead+"\nAccess-Control-Allow-Origin: *\nAccess-Control-Allow-Credentials: true", "{}"),
			good: resp(plainHead+"\nAccess-Control-Allow-Origin: *", "{}")},
		{rule: "cors-reflect",
			bad:  resp(plainHead, "{}"),
			good: resp(plainHead, "{}"),
			active: func(t *testing.T, bad bool) *lint.Active {
				srv := corsServer(t, bad)
				return &lint.Active{Origin: "https://example.test",
					Attacker: fetch(t, srv, "GET", "/", http.Header{"Origin": {lint.AttackerOrigin}})}
			}},
		{rule: "cors-null",
			bad:  resp(plainHead+"\nAccess-Control-Allow-Origin: null\nVary: Origin", "{}"),
			good: resp(plainHead+"\nAccess-Control-Allow-Origin: https://example.test\nVary: Origin", "{}")},
		{rule: "cors-acao-list",
			bad:  resp(plainHead+"\nAccess-Control-Allow-Origin: https://example.test/\nVary: Origin", "{}"),
			good: resp(plainHead+"\nAccess-Control-Allow-Origin: https://example.test:8443\nVary: Origin", "{}")},
		{rule: "cors-acac-value",
			bad:  resp(plainHead+"\nAccess-Control-Allow-Origin: https://example.test\nAccess-Control-Allow-Credentials: True\nVary: Origin", "{}"),
			good: resp(plainHead+"\nAccess-Control-Allow-Origin: https://example.test\nAccess-Control-Allow-Credentials: true\nVary: Origin", "{}")},
		{rule: "cors-vary-origin",
			bad:  resp(plainHead+"\nAccess-Control-Allow-Origin: https://example.test", "{}"),
			good: resp(plainHead+"\nAccess-Control-Allow-Origin: https://example.test\nVary: Accept-Encoding, Origin", "{}")},
		{rule: "cors-preflight",
			bad:  resp(plainHead, "{}"),
			good: resp(plainHead, "{}"),
			active: func(t *testing.T, bad bool) *lint.Active {
				answer := resp("HTTP/1.1 204 No Content\nAccess-Control-Allow-Origin: https://example.test\nAccess-Control-Allow-Methods: GET, PUT\nAccess-Control-Allow-Headers: content-type, x-token\nVary: Origin", "")
				if bad {
					answer = resp("HTTP/1.1 204 No Content\nAccess-Control-Allow-Origin: https://example.test\nAccess-Control-Allow-Methods: GET, POST\nVary: Origin", "")
				}
				srv := linttest.Serve(t, []byte(answer))
				h := http.Header{"Origin": {"https://example.test"}, "Access-Control-Request-Method": {"PUT"}, "Access-Control-Request-Headers": {"content-type,x-token"}}
				return &lint.Active{Origin: "https://example.test", PreflightMethod: "PUT", PreflightHeaders: []string{"Content-Type", "X-Token"},
					Preflight: fetch(t, srv, "OPTIONS", "/", h)}
			}},
		{rule: "cors-wildcard-cred",
			bad:  resp(plainHead+"\nAccess-Control-Allow-Origin: https://example.test\nAccess-Control-Allow-Credentials: true\nAccess-Control-Expose-Headers: *\nVary: Origin", "{}"),
			good: resp(plainHead+"\nAccess-Control-Allow-Origin: https://example.test\nAccess-Control-Allow-Credentials: true\nAccess-Control-Expose-Headers: X-Total\nVary: Origin", "{}")},
		{rule: "cors-max-age",
			bad:  resp(plainHead+"\nAccess-Control-Allow-Origin: *\nAccess-Control-Max-Age: 86400", "{}"),
			good: resp(plainHead+"\nAccess-Control-Allow-Origin: *\nAccess-Control-Max-Age: 600", "{}")},
		{rule: "ck-none-insecure",
			bad:  resp(plainHead+"\nSet-Cookie: pref=1; SameSite=None", "hi"),
			good: resp(plainHead+"\nSet-Cookie: pref=1; SameSite=None; Secure", "hi")},
		{rule: "ck-samesite-bad",
			bad:  resp(plainHead+"\nSet-Cookie: pref=1; SameSite=Relaxed", "hi"),
			good: resp(plainHead+"\nSet-Cookie: pref=1; SameSite=lax", "hi")},
		{rule: "ck-default-lax",
			bad:  resp(plainHead+"\nSet-Cookie: pref=1; Path=/", "hi"),
			good: resp(plainHead+"\nSet-Cookie: pref=1; Path=/; SameSite=Strict", "hi")},
		{rule: "ck-no-secure", tls: true,
			bad:  resp(plainHead+"\nSet-Cookie: pref=1; SameSite=Lax", "hi"),
			good: resp(plainHead+"\nSet-Cookie: pref=1; SameSite=Lax; secure", "hi")},
		{rule: "ck-session-httponly",
			bad:  resp(plainHead+"\nSet-Cookie: SESSIONID=abc; Secure; SameSite=Lax", "hi"),
			good: resp(plainHead+"\nSet-Cookie: SESSIONID=abc; Secure; HttpOnly; SameSite=Lax", "hi")},
		{rule: "ck-prefix-secure",
			bad:  resp(plainHead+"\nSet-Cookie: __Secure-id=1; Path=/", "hi"),
			good: resp(plainHead+"\nSet-Cookie: __Secure-id=1; Path=/; Secure", "hi")},
		{rule: "ck-prefix-host",
			bad:  resp(plainHead+"\nSet-Cookie: __Host-id=1; Secure; Path=/; Domain=example.test", "hi"),
			good: resp(plainHead+"\nSet-Cookie: __Host-id=1; Secure; Path=/", "hi")},
		{rule: "ck-size",
			bad:  resp(plainHead+"\nSet-Cookie: big="+strings.Repeat("x", 4200), "hi"),
			good: resp(plainHead+"\nSet-Cookie: big="+strings.Repeat("x", 4000), "hi")},
		{rule: "ck-400d",
			bad:  resp(plainHead+"\nSet-Cookie: pref=1; Max-Age=63072000", "hi"),
			good: resp(plainHead+"\nSet-Cookie: pref=1; Max-Age=34560000", "hi")},
		{rule: "ck-partitioned",
			bad:  resp(plainHead+"\nSet-Cookie: embed=1; Partitioned; SameSite=None", "hi"),
			good: resp(plainHead+"\nSet-Cookie: embed=1; Partitioned; Secure; SameSite=None", "hi")},
		{rule: "ck-cacheable",
			bad:  resp(plainHead+"\nCache-Control: public, max-age=3600\nSet-Cookie: pref=1", "hi"),
			good: resp(plainHead+"\nCache-Control: private, max-age=3600\nSet-Cookie: pref=1", "hi")},
		{rule: "hsts-http",
			bad:  resp(plainHead+"\nStrict-Transport-Security: max-age=31536000", "hi"),
			good: resp(plainHead, "hi")},
		{rule: "hsts-invalid", tls: true,
			bad:  resp(plainHead+"\nStrict-Transport-Security: max-age=31536000; max-age=1", "hi"),
			good: resp(plainHead+"\nStrict-Transport-Security: max-age=\"31536000\"; includeSubDomains", "hi")},
		{rule: "hsts-multi", tls: true,
			bad:  resp(plainHead+"\nStrict-Transport-Security: max-age=31536000\nStrict-Transport-Security: max-age=0", "hi"),
			good: resp(plainHead+"\nStrict-Transport-Security: max-age=31536000", "hi")},
		{rule: "hsts-short", tls: true,
			bad:  resp(plainHead+"\nStrict-Transport-Security: max-age=86400", "hi"),
			good: resp(plainHead+"\nStrict-Transport-Security: max-age=15552000", "hi")},
		{rule: "hsts-six-months", tls: true,
			bad:  resp(plainHead+"\nStrict-Transport-Security: max-age=15552000", "hi"),
			good: resp(plainHead+"\nStrict-Transport-Security: max-age=15768000", "hi")},
		{rule: "hsts-missing", tls: true,
			bad:  resp(plainHead, "hi"),
			good: resp(plainHead+"\nStrict-Transport-Security: max-age=31536000", "hi")},
		{rule: "hsts-preload", tls: true,
			bad:  resp(plainHead+"\nStrict-Transport-Security: max-age=31536000; preload", "hi"),
			good: resp(plainHead+"\nStrict-Transport-Security: max-age=63072000; includeSubDomains; preload", "hi")},
		{rule: "https-missing", tlsGood: true,
			bad:  resp(plainHead, "hi"),
			good: resp(plainHead+"\nStrict-Transport-Security: max-age=31536000", "hi")},
		{rule: "redirect-https", tls: true,
			bad:  resp(plainHead+"\nStrict-Transport-Security: max-age=31536000", "hi"),
			good: resp(plainHead+"\nStrict-Transport-Security: max-age=31536000", "hi"),
			active: func(t *testing.T, bad bool) *lint.Active {
				answer := resp(plainHead, "plain http page")
				if !bad {
					answer = resp("HTTP/1.1 308 Permanent Redirect\nLocation: https://127.0.0.1/\n"+plainHead, "")
				}
				srv := linttest.Serve(t, []byte(answer))
				return &lint.Active{PlainHTTP: fetch(t, srv, "GET", "/", nil)}
			}},
		{rule: "xfo-missing",
			bad:  resp(plainHead+"\nX-Frame-Options: ALLOWALL", "hi"),
			good: resp(plainHead+"\nContent-Security-Policy: frame-ancestors 'none'", "hi")},
		{rule: "xfo-allow-from",
			bad:  resp(plainHead+"\nX-Frame-Options: ALLOW-FROM https://example.test", "hi"),
			good: resp(plainHead+"\nX-Frame-Options: DENY", "hi")},
		{rule: "xfo-conflict",
			bad:  resp(plainHead+"\nX-Frame-Options: DENY\nX-Frame-Options: SAMEORIGIN", "hi"),
			good: resp(plainHead+"\nX-Frame-Options: DENY\nX-Frame-Options: deny", "hi")},
		{rule: "csp-missing",
			bad:  resp(plainHead, "hi"),
			good: resp(plainHead+"\nContent-Security-Policy: default-src 'none'", "hi")},
		{rule: "csp-ro-only",
			bad:  resp(plainHead+"\nContent-Security-Policy-Report-Only: default-src 'self'", "hi"),
			good: resp(plainHead+"\nContent-Security-Policy-Report-Only: default-src 'self'\nContent-Security-Policy: default-src 'self'", "hi")},
		{rule: "csp-unsafe",
			bad:  resp(plainHead+"\nContent-Security-Policy: default-src 'self'; script-src 'self' 'unsafe-inline' https:", "hi"),
			good: resp(plainHead+"\nContent-Security-Policy: default-src 'self'; script-src 'nonce-abc' 'unsafe-inline' 'strict-dynamic' https:; object-src 'none'", "hi")},
		{rule: "csp-comma",
			bad:  resp(plainHead+"\nContent-Security-Policy: default-src 'self', img-src *", "hi"),
			good: resp(plainHead+"\nContent-Security-Policy: default-src 'self'; img-src *", "hi")},
		{rule: "csp-meta-ignored",
			bad:  resp("Content-Type: text/html; charset=utf-8\nX-Content-Type-Options: nosniff", `<!doctype html><meta http-equiv="Content-Security-Policy" content="default-src 'self'; frame-ancestors 'none'"><p>hi`),
			good: resp("Content-Type: text/html; charset=utf-8\nX-Content-Type-Options: nosniff", `<!doctype html><meta http-equiv="Content-Security-Policy" content="default-src 'self'"><p>hi`)},
		{rule: "rp-unsafe",
			bad:  resp(plainHead+"\nReferrer-Policy: no-referrer, unsafe-url", "hi"),
			good: resp(plainHead+"\nReferrer-Policy: unsafe-url, strict-origin-when-cross-origin", "hi")},
		{rule: "pp-legacy",
			bad:  resp(plainHead+"\nPermissions-Policy: camera 'none'; geolocation 'self'", "hi"),
			good: resp(plainHead+"\nPermissions-Policy: camera=(), geolocation=(self \"https://example.test\")", "hi")},
		{rule: "coop-invalid",
			bad:  resp(plainHead+"\nCross-Origin-Opener-Policy: same_origin", "hi"),
			good: resp(plainHead+"\nCross-Origin-Opener-Policy: same-origin; report-to=\"coop\"", "hi")},
		{rule: "coep-invalid",
			bad:  resp(plainHead+"\nCross-Origin-Embedder-Policy: require-corp-please", "hi"),
			good: resp(plainHead+"\nCross-Origin-Embedder-Policy: credentialless", "hi")},
		{rule: "corp-invalid",
			bad:  resp(plainHead+"\nCross-Origin-Resource-Policy: Same-Origin", "hi"),
			good: resp(plainHead+"\nCross-Origin-Resource-Policy: same-origin", "hi")},
		{rule: "sri-missing",
			bad:  resp("Content-Type: text/html; charset=utf-8\nX-Content-Type-Options: nosniff", `<!doctype html><script src="https://cdn.other.test/lib.js"></script>`),
			good: resp("Content-Type: text/html; charset=utf-8\nX-Content-Type-Options: nosniff", `<!doctype html><script src="https://cdn.other.test/lib.js" integrity="sha384-oqVuAfXRKap7fdgcCY5uykM6+R9GqQ8K/uxy9rx7HNQlGYl1kPzQho1wx4JwY8wC" crossorigin="anonymous"></script><script src="/app.js"></script>`)},
		{rule: "info-leak",
			bad:  resp(plainHead+"\nServer: nginx/1.25.3\nX-Powered-By: Express", "hi"),
			good: resp(plainHead+"\nServer: nginx", "hi")},
		{rule: "vary-conneg",
			bad:  resp(plainHead+"\nContent-Encoding: gzip", gzipped("hello")),
			good: resp(plainHead+"\nContent-Encoding: gzip\nVary: accept-encoding", gzipped("hello"))},
		{rule: "vary-star",
			bad:  resp(plainHead+"\nVary: *", "hi"),
			good: resp(plainHead+"\nVary: Accept", "hi")},
		{rule: "vary-ua",
			bad:  resp(plainHead+"\nVary: Accept-Encoding, user-agent", "hi"),
			good: resp(plainHead+"\nVary: Accept-Encoding", "hi")},
		{rule: "cc-conflict",
			bad:  resp(plainHead+"\nCache-Control: no-store, max-age=600", "hi"),
			good: resp(plainHead+"\nCache-Control: no-store", "hi")},
		{rule: "expires-bad",
			bad:  resp(plainHead+"\nExpires: 0", "hi"),
			good: resp(plainHead+"\nExpires: Thu, 01 Jan 1970 00:00:00 GMT", "hi")},
		{rule: "etag-unquoted",
			bad:  resp(plainHead+"\nETag: abc123", "hi"),
			good: resp(plainHead+"\nETag: W/\"abc123\"", "hi")},
		{rule: "date-skew",
			bad:  resp(plainHead+"\nDate: Mon, 02 Jan 2006 15:04:05 GMT", "hi"),
			good: resp(plainHead+"\nDate: "+time.Now().UTC().Format(http.TimeFormat), "hi")},
	}
}

// h2Rules need an HTTP/2 response; their wire cases use linttest.ServeH2.
var h2Rules = []string{"h2-uppercase", "h2-conn-specific"}

// TestEveryRuleHasCases checks that every rule of the registry (the
// catalog, docs/lint-rules.md is generated from it) has one wire case with
// a response that triggers it and one that does not.
func TestEveryRuleHasCases(t *testing.T) {
	var catalogIDs []string
	for _, r := range lint.Rules() {
		catalogIDs = append(catalogIDs, r.ID)
	}
	cases := map[string]ruleCase{}
	for _, c := range ruleCases() {
		if _, dup := cases[c.rule]; dup {
			t.Errorf("two cases for %s", c.rule)
		}
		cases[c.rule] = c
	}
	for _, id := range catalogIDs {
		c, ok := cases[id]
		switch {
		case !ok:
			t.Errorf("rule %s has no wire test case", id)
		case c.h2Bad != nil || c.h2Good != nil:
			if c.h2Bad == nil || c.h2Good == nil {
				t.Errorf("rule %s: HTTP/2 case lacks a triggering or a non-triggering response", id)
			}
		case c.bad == "" || c.good == "":
			t.Errorf("rule %s: case lacks a triggering or a non-triggering response", id)
		}
		delete(cases, id)
	}
	for id := range cases {
		t.Errorf("test case for a rule not in the catalog: %s", id)
	}
}

// fetchH2 serves fields over HTTP/2 from raw frames and fetches them with
// the probe, as `golocal probe` would.
func fetchH2(t *testing.T, fields []linttest.H2Field) *lint.Exchange {
	t.Helper()
	srv := linttest.ServeH2(t, linttest.H2Response{Fields: fields, Body: []byte("hi")})
	res := probe.Run(context.Background(), mustURL(t, srv.URL()+"/"), probe.Options{RootCAs: srv.Roots(), Timeout: 10 * time.Second})
	if res.Err != nil {
		t.Fatalf("probe of the HTTP/2 server failed: %s", res.Err.Message)
	}
	ex := res.Final().Exchange
	if ex.H2Fields == nil {
		t.Fatalf("no raw HTTP/2 view: %s", ex.H2Error)
	}
	return ex
}

func TestRulesOnTheWire(t *testing.T) {
	catalog := map[string]lint.Rule{}
	for _, r := range lint.Rules() {
		catalog[r.ID] = r
	}
	for _, tc := range ruleCases() {
		t.Run(tc.rule, func(t *testing.T) {
			t.Parallel()
			path := tc.path
			if path == "" {
				path = "/"
			}
			for _, bad := range []bool{true, false} {
				raw := tc.good
				if bad {
					raw = tc.bad
				}
				var ex *lint.Exchange
				if tc.h2Bad != nil {
					fields := tc.h2Good
					if bad {
						fields = tc.h2Bad
					}
					ex = fetchH2(t, fields)
				} else {
					ex = fetch(t, serve(t, raw, tc.tls || (tc.tlsGood && !bad)), "GET", path, tc.reqHeader)
				}
				if tc.active != nil {
					ex.Active = tc.active(t, bad)
				}
				rep := lint.Run(ex, lint.Options{})
				for _, s := range rep.Skipped {
					if s.Rule == tc.rule {
						t.Fatalf("rule skipped: %s", s.Reason)
					}
				}
				if got := rep.Has(tc.rule); got != bad {
					t.Errorf("bad=%v: rule fired = %v; findings:\n%s", bad, got, dump(rep))
					continue
				}
				if !bad {
					continue
				}
				if tc.goView != nil {
					tc.goView(t, ex)
				}
				for _, f := range rep.Findings {
					if f.Rule != tc.rule {
						continue
					}
					if f.Fix == "" || f.Message == "" || f.Reference != catalog[tc.rule].Reference {
						t.Errorf("incomplete finding %+v", f)
					}
					if !utf8.ValidString(f.Evidence) || strings.ContainsAny(f.Evidence, "\r\n\x00\x01\x7f") {
						t.Errorf("evidence not escaped: %q", f.Evidence)
					}
				}
			}
		})
	}
}

func dump(rep *lint.Report) string {
	var b strings.Builder
	for _, f := range rep.Findings {
		fmt.Fprintf(&b, "  %s %s: %s [%s]\n", f.Severity, f.Rule, f.Message, f.Evidence)
	}
	for _, s := range rep.Skipped {
		fmt.Fprintf(&b, "  skipped %s: %s\n", s.Rule, s.Reason)
	}
	return b.String()
}

func TestH2Rules(t *testing.T) {
	u := mustURL(t, "https://example.test/")
	cases := []struct {
		name   string
		fields []lint.Field
		want   []string
	}{
		{"clean", []lint.Field{{Name: ":status", Value: "200"}, {Name: "content-type", Value: "text/plain"}}, nil},
		{"upper-case name", []lint.Field{{Name: ":status", Value: "200"}, {Name: "Content-Type", Value: "text/plain"}}, []string{"h2-uppercase"}},
		{"connection-specific", []lint.Field{{Name: ":status", Value: "200"}, {Name: "connection", Value: "keep-alive"}, {Name: "transfer-encoding", Value: "chunked"}}, []string{"h2-conn-specific"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rep := lint.Run(&lint.Exchange{URL: u, Proto: "HTTP/2.0", H2Fields: tc.fields, Status: 200}, lint.Options{})
			for _, id := range h2Rules {
				if rep.Has(id) != slices.Contains(tc.want, id) {
					t.Errorf("%s fired = %v, want %v\n%s", id, rep.Has(id), slices.Contains(tc.want, id), dump(rep))
				}
			}
		})
	}
	// Over HTTP/1.1 the h2 rules are skipped, with the reason.
	raw, _ := lint.ParseRaw([]byte(resp(plainHead, "")))
	rep := lint.Run(&lint.Exchange{URL: u, Proto: "HTTP/1.1", Raw: raw}, lint.Options{})
	for _, id := range h2Rules {
		if !slices.ContainsFunc(rep.Skipped, func(s lint.Skipped) bool { return s.Rule == id && strings.Contains(s.Reason, "HTTP/2") }) {
			t.Errorf("%s not listed as skipped over HTTP/1.1: %+v", id, rep.Skipped)
		}
	}
}
