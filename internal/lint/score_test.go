package lint_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/golocal/golocal/internal/lint"
	"github.com/golocal/golocal/internal/lint/linttest"
)

// strictHead is a page with every header the Observatory rewards.
const strictHead = `Content-Type: text/html; charset=utf-8
Content-Security-Policy: default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'
Strict-Transport-Security: max-age=63072000; includeSubDomains; preload
X-Content-Type-Options: nosniff
X-Frame-Options: DENY
Referrer-Policy: strict-origin-when-cross-origin
Cross-Origin-Resource-Policy: same-origin
Cross-Origin-Opener-Policy: same-origin
Permissions-Policy: camera=(), geolocation=()
Set-Cookie: __Host-session=abc; Secure; HttpOnly; SameSite=Strict; Path=/`

const strictBody = `<!doctype html><title>ok</title><script src="/app.js" integrity="sha384-oqVuAfXRKap7fdgcCY5uykM6+R9GqQ8K/uxy9rx7HNQlGYl1kPzQho1wx4JwY8wC"></script><h1>ok</h1>`

func scoreOf(t *testing.T, rep *lint.Report) string {
	var b strings.Builder
	for _, st := range rep.Tests {
		fmt.Fprintf(&b, "  %-32s %-62s %+d\n", st.Name, st.Result, st.Modifier)
	}
	return b.String()
}

func TestScoreStrictHeaders(t *testing.T) {
	srv := linttest.ServeTLS(t, []byte(resp(strictHead, strictBody)))
	// The http:// side redirects to https on the same host.
	plain := linttest.Serve(t, []byte(resp("HTTP/1.1 301 Moved Permanently\nLocation: "+srv.URL()+"/\nContent-Type: text/plain; charset=utf-8", "")))
	ex := fetch(t, srv, "GET", "/", nil)
	ex.Active = &lint.Active{PlainHTTP: fetch(t, plain, "GET", "/", nil)}
	rep := lint.Run(ex, lint.Options{})

	// By hand, with the Observatory's table (src/grader/charts.js):
	//   content-security-policy  default-src 'none', nothing unsafe       +10
	//   cookies                  Secure, HttpOnly session, SameSite        +5
	//   cors                     no Access-Control-Allow-Origin             0
	//   redirection              http:// → 301 → https on the same host     0
	//   referrer-policy          strict-origin-when-cross-origin           +5
	//   strict-transport-security max-age two years (preload list unknown)  0
	//   subresource-integrity    same-origin script with integrity         +5
	//   x-content-type-options   nosniff                                    0
	//   x-frame-options          frame-ancestors in CSP                    +5
	//   cross-origin-resource-policy same-origin                          +10
	// No penalty: 100 ≥ 90, so the bonuses count: 100+10+5+5+5+5+10 = 140, A+.
	// golocal's Score is clamped to 100.
	if rep.ObservatoryScore != 140 || rep.Score != 100 || rep.Grade != "A+" {
		t.Fatalf("score %d (clamped %d) grade %s, want 140/100 A+\n%s", rep.ObservatoryScore, rep.Score, rep.Grade, scoreOf(t, rep))
	}
	if n := rep.Count(lint.Error) + rep.Count(lint.Warn); n != 0 {
		t.Errorf("strict headers still have %d errors/warnings:\n%s", n, dump(rep))
	}
}

func TestScoreDefaultGoServer(t *testing.T) {
	// net/http with its defaults: Date, a sniffed Content-Type and
	// Content-Length, no security header, plain HTTP.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "<!doctype html><title>hello</title><h1>hello</h1>")
	}))
	defer srv.Close()
	ex := fetchURL(t, srv.URL+"/", nil, "GET", nil)
	rep := lint.Run(ex, lint.Options{})

	// By hand:
	//   content-security-policy   not implemented                         -25
	//   cookies                   none                                      0
	//   cors                      none                                      0
	//   redirection               plain HTTP, no redirect to HTTPS        -20
	//   referrer-policy           not implemented                           0
	//   strict-transport-security not available over HTTPS                -20
	//   subresource-integrity     HTML without scripts                      0
	//   x-content-type-options    missing                                  -5
	//   x-frame-options           missing                                 -20
	//   cross-origin-resource-policy missing                                0
	// 100-25-20-20-5-20 = 10 < 90, so no bonus: 10, F.
	if rep.ObservatoryScore != 10 || rep.Score != 10 || rep.Grade != "F" {
		t.Fatalf("score %d grade %s, want 10 F\n%s", rep.ObservatoryScore, rep.Grade, scoreOf(t, rep))
	}
	for _, id := range []string{"csp-missing", "xcto"} {
		if !rep.Has(id) {
			t.Errorf("missing finding %s:\n%s", id, dump(rep))
		}
	}
}

func TestScoreReflectedOriginCORS(t *testing.T) {
	// An API that echoes any Origin with credentials, otherwise well set up.
	srv := linttest.ServeFuncTLS(t, func(head []byte) []byte {
		origin := ""
		for _, l := range strings.Split(string(head), "\r\n") {
			if v, ok := strings.CutPrefix(l, "Origin: "); ok {
				origin = v
			}
		}
		h := `Content-Type: application/json
Content-Security-Policy: default-src 'none'; frame-ancestors 'none'
Strict-Transport-Security: max-age=31536000
X-Content-Type-Options: nosniff
Vary: Origin`
		if origin != "" {
			h += "\nAccess-Control-Allow-Origin: " + origin + "\nAccess-Control-Allow-Credentials: true"
		}
		return []byte(resp(h, `{"ok":true}`))
	})
	ex := fetch(t, srv, "GET", "/api", nil)
	ex.Active = &lint.Active{Origin: "https://example.test", Attacker: fetch(t, srv, "GET", "/api", http.Header{"Origin": {lint.AttackerOrigin}})}
	rep := lint.Run(ex, lint.Options{})

	// By hand:
	//   content-security-policy   default-src 'none'                      +10
	//   cookies                   none                                      0
	//   cors                      foreign Origin echoed with credentials  -50
	//   redirection               http:// not probed (not checked)          0
	//   referrer-policy           not implemented                           0
	//   strict-transport-security one year                                  0
	//   subresource-integrity     not HTML                                  0
	//   x-content-type-options    nosniff                                   0
	//   x-frame-options           frame-ancestors in CSP                   +5
	//   cross-origin-resource-policy missing                                0
	// Penalised score 100-50 = 50 < 90: the +15 of bonuses is dropped. 50, C.
	if rep.ObservatoryScore != 50 || rep.Grade != "C" {
		t.Fatalf("score %d grade %s, want 50 C\n%s", rep.ObservatoryScore, rep.Grade, scoreOf(t, rep))
	}
	if !rep.Has("cors-reflect") {
		t.Errorf("cors-reflect not reported:\n%s", dump(rep))
	}
}

func TestGrade(t *testing.T) {
	cases := map[int]string{140: "A+", 100: "A+", 99: "A", 90: "A", 89: "A-", 85: "A-", 84: "B+", 80: "B+", 79: "B", 70: "B", 69: "B-", 65: "B-", 64: "C+", 60: "C+", 59: "C", 50: "C", 49: "C-", 45: "C-", 44: "D+", 40: "D+", 39: "D", 30: "D", 29: "D-", 25: "D-", 24: "F", 0: "F"}
	for s, want := range cases {
		if got := lint.Grade(s); got != want {
			t.Errorf("Grade(%d) = %s, want %s", s, got, want)
		}
	}
}

func TestStricterThanObservatory(t *testing.T) {
	// A framing error the Observatory never sees: golocal says so.
	srv := linttest.Serve(t, []byte(resp(plainHead+"\nContent-Length: 2\nContent-Length: 3", "hi")))
	rep := lint.Run(fetch(t, srv, "GET", "/", nil), lint.Options{})
	found := false
	for _, s := range rep.Stricter {
		found = found || strings.Contains(s, "cl-conflict")
	}
	if !found {
		t.Errorf("Stricter = %q, want a line about cl-conflict", rep.Stricter)
	}
}
