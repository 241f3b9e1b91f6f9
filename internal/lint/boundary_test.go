package lint_test

import (
	"testing"

	"github.com/golocal/golocal/internal/lint"
)

// TestRuleBoundaries covers what each rule's one bad and one good case
// leave open, at the edges where a careless edit ships a bug (issue 19:
// these mutants survived the rule table): every branch of the __Host-
// prefix rule, HSTS max-age one second either side of 180 days, and
// attribute values in another case.
func TestRuleBoundaries(t *testing.T) {
	tests := []struct {
		name, rule, head string
		tls, fires       bool
	}{
		{"__Host- without Path", "ck-prefix-host", "Set-Cookie: __Host-id=1; Secure", false, true},
		{"__Host- with Path=/app", "ck-prefix-host", "Set-Cookie: __Host-id=1; Secure; Path=/app", false, true},
		{"__Host- without Secure", "ck-prefix-host", "Set-Cookie: __Host-id=1; Path=/", false, true},
		{"__Host- with Secure and Path=/", "ck-prefix-host", "Set-Cookie: __Host-id=1; Secure; Path=/", false, false},
		{"HSTS max-age one second under 180 days", "hsts-short", "Strict-Transport-Security: max-age=15551999", true, true},
		{"HSTS max-age exactly 180 days", "hsts-short", "Strict-Transport-Security: max-age=15552000", true, false},
		// Attribute values are case-insensitive (RFC 6265bis §5.6.7).
		{"SameSite=NONE without Secure", "ck-none-insecure", "Set-Cookie: pref=1; SameSite=NONE", false, true},
		{"SameSite=none with Secure", "ck-none-insecure", "Set-Cookie: pref=1; SameSite=none; Secure", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ex := fetch(t, serve(t, resp(plainHead+"\n"+tt.head, "hi"), tt.tls), "GET", "/", nil)
			rep := lint.Run(ex, lint.Options{})
			if got := rep.Has(tt.rule); got != tt.fires {
				t.Errorf("%s fired = %v, want %v; findings:\n%s", tt.rule, got, tt.fires, dump(rep))
			}
		})
	}
}
