package devproxy

import (
	"net/http"
	"strings"
	"testing"
)

const testOrigin = "http://127.0.0.1:8080"

func TestAmendCSP(t *testing.T) {
	const ev = testOrigin + EventsPath
	const js = testOrigin + ClientScriptPath
	tests := []struct {
		name, in, want string
		wantNonce      bool
	}{
		{"nonce strict-dynamic", "script-src 'nonce-abc' 'strict-dynamic'; default-src 'self'",
			"script-src 'nonce-abc' 'strict-dynamic' 'nonce-N'; default-src 'self'", true},
		{"default-src none", "default-src 'none'",
			"default-src 'none'; script-src 'nonce-N'; connect-src " + ev, true},
		{"hash based", "script-src 'sha256-abc='; object-src 'none'",
			"script-src 'sha256-abc=' 'nonce-N'; object-src 'none'", true},
		{"self allows", "default-src 'self'", "default-src 'self'", false},
		{"self with unsafe-inline", "script-src 'self' 'unsafe-inline'", "script-src 'self' 'unsafe-inline'", false},
		{"unsafe-inline keeps working", "script-src 'unsafe-inline' https://cdn.example.com",
			"script-src 'unsafe-inline' https://cdn.example.com " + js, false},
		{"two policies in one field", "default-src 'self', script-src 'nonce-x'",
			"default-src 'self', script-src 'nonce-x' 'nonce-N'", true},
		{"script-src-elem governs elements", "script-src-elem 'nonce-a'; script-src 'self'",
			"script-src-elem 'nonce-a' 'nonce-N'; script-src 'self'", true},
		{"connect-src none", "connect-src 'none'; script-src 'self'",
			"connect-src " + ev + "; script-src 'self'", false},
		{"first duplicate governs", "script-src 'none'; script-src 'self'",
			"script-src 'nonce-N'; script-src 'self'", true},
		{"upper case", "SCRIPT-SRC 'NONE'", "script-src 'nonce-N'", true},
		{"sandbox only", "sandbox", "sandbox", false},
		{"empty", "", "", false},
		{"strict-dynamic ignores self", "script-src 'strict-dynamic' 'self' 'nonce-q'",
			"script-src 'strict-dynamic' 'self' 'nonce-q' 'nonce-N'", true},
		{"default-src with unsafe-inline stays for styles", "default-src 'self' 'unsafe-inline'; script-src 'nonce-x'",
			"default-src 'self' 'unsafe-inline'; script-src 'nonce-x' 'nonce-N'", true},
		{"wildcard", "script-src *", "script-src *", false},
		{"scheme source", "script-src http:", "script-src http:", false},
		{"origin source", "script-src " + testOrigin, "script-src " + testOrigin, false},
		{"stray semicolons", "  script-src 'none' ;; ", "script-src 'nonce-N'", true},
		{"host list default", "default-src https://cdn.example.com; img-src *",
			"default-src https://cdn.example.com; img-src *; script-src https://cdn.example.com 'nonce-N'; connect-src https://cdn.example.com " + ev, true},
		{"report-uri kept", "script-src 'nonce-a'; report-uri /csp", "script-src 'nonce-a' 'nonce-N'; report-uri /csp", true},
		{"no script restriction", "img-src 'self'; frame-ancestors 'none'", "img-src 'self'; frame-ancestors 'none'", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, nonce := AmendCSP(tt.in, testOrigin, "N")
			if got != tt.want {
				t.Errorf("AmendCSP(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
			if (nonce != "") != tt.wantNonce {
				t.Errorf("nonce = %q, want one: %v", nonce, tt.wantNonce)
			}
		})
	}
}

func TestAmendCSPHeadersFreshNonceSharedAcrossFields(t *testing.T) {
	h := http.Header{}
	h.Add("Content-Security-Policy", "script-src 'nonce-page'")
	h.Add("Content-Security-Policy", "default-src 'none'")
	h.Set("Content-Security-Policy-Report-Only", "script-src 'sha256-x='")
	nonce := amendCSPHeaders(h, testOrigin)
	if len(nonce) < 22 {
		t.Fatalf("nonce %q: want at least 128 bits of base64", nonce)
	}
	for _, name := range []string{"Content-Security-Policy", "Content-Security-Policy-Report-Only"} {
		for _, v := range h.Values(name) {
			if !strings.Contains(v, "'nonce-"+nonce+"'") {
				t.Errorf("%s: %q lacks the shared nonce %q", name, v, nonce)
			}
		}
	}
	if got := amendCSPHeaders(http.Header{"Content-Security-Policy": {"script-src 'nonce-a'"}}, testOrigin); got == nonce {
		t.Errorf("two responses got the same nonce %q", got)
	}
}

func FuzzAmendCSP(f *testing.F) {
	for _, s := range []string{"default-src 'none'", "script-src 'nonce-a' 'strict-dynamic', default-src 'self'", ";;,", "script-src 'unsafe-inline'", "\x00script-src\t'none'"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, policy string) {
		got, _ := AmendCSP(policy, testOrigin, "N")
		// Never weaken: every source the policy had is still there.
		for _, tok := range strings.FieldsFunc(policy, func(r rune) bool {
			return r == ';' || r == ',' || r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\f'
		}) {
			if strings.EqualFold(tok, "'none'") || strings.Contains(tok, "\v") {
				continue // 'none' is replaced when we add the only source
			}
			if !strings.Contains(strings.ToLower(got), strings.ToLower(tok)) {
				t.Fatalf("AmendCSP(%q) = %q lost %q", policy, got, tok)
			}
		}
		// Amending the result changes nothing more: what we add suffices.
		again, _ := AmendCSP(got, testOrigin, "N")
		if again != got {
			t.Fatalf("not stable: %q -> %q -> %q", policy, got, again)
		}
	})
}
