package lint

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// exchangeOf builds an exchange from readable head lines ("\n" becomes
// CRLF) and a body, as the probe would capture it from url.
func exchangeOf(t *testing.T, rawURL, head, body string) *Exchange {
	t.Helper()
	if !strings.HasPrefix(head, "HTTP/") {
		head = "HTTP/1.1 200 OK\n" + head
	}
	msg := strings.ReplaceAll(strings.TrimSuffix(head, "\n")+"\n\n", "\n", "\r\n") + body
	raw, _ := ParseRaw([]byte(msg))
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	return &Exchange{URL: u, Method: "GET", Proto: "HTTP/1.1", Raw: raw, Status: raw.StatusCode, RequestHeader: http.Header{}}
}

// TestEveryDeductionHasAFinding is issue 18's check: for every result of
// the Observatory's table that costs points, a response that earns it
// also gets a finding that says what to fix (the −20 for a missing
// X-Frame-Options had none), and the score names that finding's rule.
func TestEveryDeductionHasAFinding(t *testing.T) {
	const (
		https = "https://example.test/"
		plain = "http://example.test/"
		local = "http://127.0.0.1:8080/"
		// good is a head the Observatory has nothing against except
		// what a case adds or removes.
		good = "Content-Type: text/html; charset=utf-8\nX-Content-Type-Options: nosniff\nX-Frame-Options: DENY\n" +
			"Content-Security-Policy: default-src 'self'; object-src 'none'\nStrict-Transport-Security: max-age=31536000\n"
		hsts    = "Strict-Transport-Security: max-age=31536000\n"
		noHSTS  = "Content-Type: text/html; charset=utf-8\nX-Content-Type-Options: nosniff\nX-Frame-Options: DENY\nContent-Security-Policy: default-src 'self'; object-src 'none'\n"
		noCSP   = "Content-Type: text/html; charset=utf-8\nX-Content-Type-Options: nosniff\nX-Frame-Options: DENY\n" + hsts
		noXCTO  = "Content-Type: text/html; charset=utf-8\nX-Frame-Options: DENY\nContent-Security-Policy: default-src 'self'\n" + hsts
		noXFO   = "Content-Type: text/html; charset=utf-8\nX-Content-Type-Options: nosniff\nContent-Security-Policy: default-src 'self'\n" + hsts
		extHTTP = `<script src="http://cdn.other.test/lib.js"></script>`
	)
	cases := []struct {
		name, url, head, body string
		attacker              string // head of the answer to the attacker Origin
		want                  string // the Observatory result
	}{
		{"no CSP", https, noCSP, "", "", "csp-not-implemented"},
		{"report-only CSP", https, noCSP + "Content-Security-Policy-Report-Only: default-src 'self'\n", "", "", "csp-not-implemented-but-reporting-enabled"},
		{"strict-dynamic without nonce", https, noCSP + "Content-Security-Policy: script-src 'strict-dynamic'; object-src 'none'\n", "", "", "csp-header-invalid"},
		{"unsafe-inline", https, noCSP + "Content-Security-Policy: default-src 'self' 'unsafe-inline'\n", "", "", "csp-implemented-with-unsafe-inline"},
		{"unsafe-inline in a meta policy", https, noCSP, `<meta http-equiv="Content-Security-Policy" content="default-src 'self' 'unsafe-inline'">`, "", "csp-implemented-with-unsafe-inline"},
		{"http source", https, noCSP + "Content-Security-Policy: default-src 'self' http://cdn.test\n", "", "", "csp-implemented-with-insecure-scheme"},
		{"unsafe-eval", https, noCSP + "Content-Security-Policy: default-src 'self' 'unsafe-eval'\n", "", "", "csp-implemented-with-unsafe-eval"},
		{"http images", https, noCSP + "Content-Security-Policy: default-src 'self'; img-src http://img.test\n", "", "", "csp-implemented-with-insecure-scheme-in-passive-content-only"},

		{"cookie without Secure, HSTS", https, good + "Set-Cookie: pref=1; SameSite=Lax\n", "", "", "cookies-without-secure-flag-but-protected-by-hsts"},
		{"session cookie without Secure, HSTS", https, good + "Set-Cookie: sessionid=1; HttpOnly; SameSite=Lax\n", "", "", "cookies-session-without-secure-flag-but-protected-by-hsts"},
		{"cookie without Secure", https, noHSTS + "Set-Cookie: pref=1; SameSite=Lax\n", "", "", "cookies-without-secure-flag"},
		{"cookie without Secure over plain HTTP", local, noHSTS + "Set-Cookie: pref=1; SameSite=Lax\n", "", "", "cookies-without-secure-flag"},
		{"bad SameSite", https, good + "Set-Cookie: pref=1; Secure; SameSite=Bogus\n", "", "", "cookies-samesite-flag-invalid"},
		{"SameSite=None without Secure", https, good + "Set-Cookie: pref=1; SameSite=None\n", "", "", "cookies-samesite-flag-invalid"},
		{"anti-CSRF cookie without SameSite", https, good + "Set-Cookie: csrftoken=1; Secure\n", "", "", "cookies-anticsrf-without-samesite-flag"},
		{"session cookie without HttpOnly", https, good + "Set-Cookie: sessionid=1; Secure; SameSite=Lax\n", "", "", "cookies-session-without-httponly-flag"},
		{"session cookie without Secure", https, noHSTS + "Set-Cookie: sessionid=1; HttpOnly; SameSite=Lax\n", "", "", "cookies-session-without-secure-flag"},
		{"session cookie without Secure over plain HTTP", local, noHSTS + "Set-Cookie: sessionid=1; HttpOnly; SameSite=Lax\n", "", "", "cookies-session-without-secure-flag"},

		{"CORS reflects any origin", https, good, "", good + "Access-Control-Allow-Origin: " + AttackerOrigin + "\nAccess-Control-Allow-Credentials: true\nVary: Origin\n",
			"cross-origin-resource-sharing-implemented-with-universal-access"},

		{"HTTP redirects off host", plain, "HTTP/1.1 301 Moved Permanently\nLocation: https://www.other.test/\n", "", "", "redirection-off-host-from-http"},
		{"HTTP does not redirect", plain, noHSTS, "", "", "redirection-missing"},
		{"loopback HTTP does not redirect", local, noHSTS, "", "", "redirection-missing"},
		{"HTTP redirects to HTTP", plain, "HTTP/1.1 301 Moved Permanently\nLocation: http://example.test/a\n", "", "", "redirection-not-to-https"},

		{"unsafe Referrer-Policy", https, good + "Referrer-Policy: unsafe-url\n", "", "", "referrer-policy-unsafe"},
		{"unknown Referrer-Policy", https, good + "Referrer-Policy: bogus\n", "", "", "referrer-policy-header-invalid"},

		{"HSTS 100 s", https, noHSTS + "Strict-Transport-Security: max-age=100\n", "", "", "hsts-implemented-max-age-less-than-six-months"},
		{"HSTS 180 days", https, noHSTS + "Strict-Transport-Security: max-age=15552000\n", "", "", "hsts-implemented-max-age-less-than-six-months"},
		{"no HSTS", https, noHSTS, "", "", "hsts-not-implemented"},
		{"invalid HSTS", https, noHSTS + "Strict-Transport-Security: includeSubDomains\n", "", "", "hsts-header-invalid"},
		{"plain HTTP", local, noHSTS, "", "", "hsts-not-implemented-no-https"},

		{"external script without integrity", https, good, `<script src="https://cdn.other.test/lib.js"></script>`, "", "sri-not-implemented-but-external-scripts-loaded-securely"},
		{"external script with integrity over HTTP", https, good, `<script src="http://cdn.other.test/lib.js" integrity="sha384-x"></script>`, "", "sri-implemented-but-external-scripts-not-loaded-securely"},
		{"external script over HTTP", https, good, extHTTP, "", "sri-not-implemented-and-external-scripts-not-loaded-securely"},

		{"no X-Content-Type-Options", https, noXCTO, "", "", "x-content-type-options-not-implemented"},
		{"bad X-Content-Type-Options", https, noXCTO + "X-Content-Type-Options: yes\n", "", "", "x-content-type-options-header-invalid"},

		{"no X-Frame-Options", https, noXFO, "", "", "x-frame-options-not-implemented"},
		{"bad X-Frame-Options", https, noXFO + "X-Frame-Options: ALLOWALL\n", "", "", "x-frame-options-header-invalid"},

		{"bad CORP", https, good + "Cross-Origin-Resource-Policy: bogus\n", "", "", "corp-header-invalid"},
	}
	// Results golocal never produces, with why.
	unreachable := map[string]string{
		// golocal sees one hop of the http:// answer and scores an http
		// first redirect as redirection-not-to-https.
		"redirection-not-to-https-on-initial-redirection": "scored as redirection-not-to-https",
	}
	covered := map[string]bool{}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ex := exchangeOf(t, tc.url, tc.head, tc.body)
			if tc.attacker != "" {
				att := exchangeOf(t, tc.url, tc.attacker, "")
				att.RequestHeader.Set("Origin", AttackerOrigin)
				ex.Active = &Active{Origin: "https://app.example.test", Attacker: att}
			}
			rep := Run(ex, Options{})
			var test *ScoreTest
			for i := range rep.Tests {
				if rep.Tests[i].Result == tc.want {
					test = &rep.Tests[i]
				}
			}
			if test == nil {
				t.Fatalf("no test scored %s; tests %+v", tc.want, rep.Tests)
			}
			covered[tc.want] = true
			if test.Modifier >= 0 {
				t.Fatalf("%s costs nothing (%d): not a deduction", tc.want, test.Modifier)
			}
			if len(test.Rules) == 0 {
				t.Fatalf("the %d for %s has no finding that says what to fix (rules %v); findings:\n%v", test.Modifier, tc.want, deductionRules[tc.want], rep.Findings)
			}
			for _, f := range rep.Findings {
				if slices.Contains(test.Rules, f.Rule) && (f.Fix == "" || f.Message == "") {
					t.Errorf("finding %s has no fix or message: %+v", f.Rule, f)
				}
			}
			// A rule that explains a deduction is not one where golocal is
			// stricter than the Observatory.
			for _, line := range rep.Stricter {
				for _, id := range test.Rules {
					if strings.Contains(line, "reports "+id+" ") {
						t.Errorf("stricter lists %s, which explains an Observatory deduction: %q", id, line)
					}
				}
			}
		})
	}
	for result, mod := range observatoryModifiers {
		if mod >= 0 || covered[result] {
			continue
		}
		if why, ok := unreachable[result]; ok {
			t.Logf("%s: not produced by golocal (%s)", result, why)
			continue
		}
		t.Errorf("deduction %s (%d) has no case here: add a response that earns it", result, mod)
	}
	for result := range deductionRules {
		if observatoryModifiers[result] >= 0 {
			t.Errorf("deductionRules lists %s, which costs nothing", result)
		}
	}
}

func TestMaskNonces(t *testing.T) {
	tests := []struct {
		a, b  string
		equal bool // equal once per-request tokens are masked
	}{
		{`<script nonce="kq3T0bX2Zr8vQw1LmN4pYA">`, `<script nonce="Zz9yXw8Vu7Ts6Rq5Po4NmA">`, true},
		{`value="6f1c2a9e0b7d4c3f8a5e1d2c9b0a7f6e"`, `value="0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d"`, true},
		{`id=AbCdEfGhIjKlMnOpQr`, `id=QrPoNmLkJiHgFeDcBa`, true}, // mixed case, no digit
		{"<h1>Hello</h1>", "<h1>Bonjour</h1>", false},
		{"internationalization", "internationalisation", false}, // long words are not tokens
		{"/static/app-3f9c2a1b7e4d5c6f.js", "/static/app-3f9c2a1b7e4d5c6f.css", false},
		{`{"items":[1,2]}`, `<ul><li>1<li>2</ul>`, false},
	}
	for _, tt := range tests {
		if got := string(maskNonces([]byte(tt.a))) == string(maskNonces([]byte(tt.b))); got != tt.equal {
			t.Errorf("%q vs %q: equal after masking = %v, want %v", tt.a, tt.b, got, tt.equal)
		}
	}
}

// FuzzMaskNonces: any body masks without panicking, masking is idempotent,
// and equal bodies stay equal.
func FuzzMaskNonces(f *testing.F) {
	f.Add([]byte(`<script nonce="kq3T0bX2Zr8vQw1LmN4pYA">x</script>`))
	f.Add([]byte("\x00\xff" + strings.Repeat("A1", 5000)))
	f.Fuzz(func(t *testing.T, b []byte) {
		m := maskNonces(b)
		if string(maskNonces(m)) != string(m) {
			t.Errorf("masking is not idempotent on %q", b)
		}
		if len(m) > len(b)+len("\x00nonce\x00")*(len(b)/16+1) {
			t.Errorf("masked output grew from %d to %d bytes", len(b), len(m))
		}
	})
}
