package lint_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/golocal/golocal/internal/lint"
	"github.com/golocal/golocal/internal/lint/linttest"
)

// languageServer answers in French when asked, with or without Vary.
func languageServer(t *testing.T, vary bool) *linttest.Server {
	return linttest.ServeFunc(t, func(head []byte) []byte {
		h := "Content-Type: text/html; charset=utf-8\nX-Content-Type-Options: nosniff\nContent-Language: en"
		body := "<p>hello"
		if strings.Contains(string(head), "Accept-Language: fr") {
			h, body = strings.Replace(h, "Content-Language: en", "Content-Language: fr", 1), "<p>bonjour"
		}
		if vary {
			h += "\nVary: Accept-Language"
		}
		return []byte(resp(h, body))
	})
}

func TestVaryConnegActive(t *testing.T) {
	for _, vary := range []bool{false, true} {
		srv := languageServer(t, vary)
		ex := fetch(t, srv, "GET", "/", nil)
		ex.Active = &lint.Active{Variants: []lint.Variant{
			{Header: "Accept-Language", Value: "fr", Exchange: fetch(t, srv, "GET", "/", http.Header{"Accept-Language": {"fr"}})},
		}}
		rep := lint.Run(ex, lint.Options{})
		if rep.Has("vary-conneg") == vary {
			t.Errorf("vary=%v: vary-conneg fired = %v\n%s", vary, rep.Has("vary-conneg"), dump(rep))
		}
	}
}

func TestCORSVaryOriginActive(t *testing.T) {
	// The plain response has no ACAO; with an Origin the server answers
	// with it. Without Vary: Origin, a cache mixes the two.
	srv := linttest.ServeFunc(t, func(head []byte) []byte {
		h := plainHead
		if strings.Contains(string(head), "Origin: https://example.test") {
			h += "\nAccess-Control-Allow-Origin: https://example.test"
		}
		return []byte(resp(h, "{}"))
	})
	ex := fetch(t, srv, "GET", "/", nil)
	ex.Active = &lint.Active{Origin: "https://example.test",
		Credentialed: fetch(t, srv, "GET", "/", http.Header{"Origin": {"https://example.test"}})}
	rep := lint.Run(ex, lint.Options{})
	if !rep.Has("cors-vary-origin") {
		t.Errorf("cors-vary-origin not reported:\n%s", dump(rep))
	}
}

func TestSkippedRulesSayWhy(t *testing.T) {
	srv := linttest.Serve(t, []byte(resp(plainHead, "hi")))
	rep := lint.Run(fetch(t, srv, "GET", "/", nil), lint.Options{Disable: []string{"info-leak"}})
	want := map[string]string{
		"cors-preflight": "--origin",
		"cors-reflect":   "--origin",
		"hsts-missing":   "HTTPS",
		"h2-uppercase":   "HTTP/2",
		"redirect-https": "loopback",
		"info-leak":      "disabled",
	}
	for id, why := range want {
		i := slices.IndexFunc(rep.Skipped, func(s lint.Skipped) bool { return s.Rule == id })
		if i < 0 || !strings.Contains(rep.Skipped[i].Reason, why) {
			t.Errorf("%s: skipped entry missing or without %q: %+v", id, why, rep.Skipped)
		}
	}
	// Over HTTP/2 (no raw bytes) the framing rules are skipped, not guessed.
	rep = lint.Run(&lint.Exchange{URL: mustURL(t, "https://example.test/"), Proto: "HTTP/2.0", Status: 200, Header: http.Header{"Content-Type": {"text/plain"}}}, lint.Options{})
	if !slices.ContainsFunc(rep.Skipped, func(s lint.Skipped) bool { return s.Rule == "hdr-obs-fold" && strings.Contains(s.Reason, "HTTP/2") }) {
		t.Errorf("hdr-obs-fold not skipped over HTTP/2: %+v", rep.Skipped)
	}
}

func TestRefusedResponseStillLinted(t *testing.T) {
	// Go's client refuses this response outright; the raw view still
	// yields findings and the report is complete.
	srv := linttest.Serve(t, []byte("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\nX-A: \x00\r\n\r\nhi"))
	ex := fetch(t, srv, "GET", "/", nil)
	if ex.ClientError == "" || ex.Status != 0 {
		t.Fatalf("expected Go's client to refuse; got %d %q", ex.Status, ex.ClientError)
	}
	rep := lint.Run(ex, lint.Options{})
	for _, id := range []string{"cl-conflict", "hdr-ctl-value"} {
		if !rep.Has(id) {
			t.Errorf("%s not reported:\n%s", id, dump(rep))
		}
	}
	if rep.Grade == "" {
		t.Error("no grade")
	}
}

func TestFindingsSorted(t *testing.T) {
	srv := linttest.Serve(t, []byte(resp("Server: Apache/2.4.1\nSet-Cookie: sid=1\nX-Frame-Options: ALLOW-FROM https://example.test\nVary: User-Agent", "x")))
	rep := lint.Run(fetch(t, srv, "GET", "/", nil), lint.Options{})
	sorted := slices.IsSortedFunc(rep.Findings, func(a, b lint.Finding) int {
		if a.Severity != b.Severity {
			return int(a.Severity) - int(b.Severity)
		}
		return strings.Compare(a.Rule, b.Rule)
	})
	if !sorted || len(rep.Findings) < 4 {
		t.Errorf("findings not sorted by severity then id:\n%s", dump(rep))
	}
}

func TestRunNil(t *testing.T) {
	rep := lint.Run(nil, lint.Options{})
	if rep == nil || rep.Grade == "" {
		t.Fatal("Run(nil) gave no report")
	}
}
