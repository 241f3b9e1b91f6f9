package browsertest_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/golocal/golocal/internal/browsertest"
)

func TestExecPathHonoursEnv(t *testing.T) {
	tests := []struct {
		name   string
		env    string
		wantOK bool
	}{
		{"missing file", "/nonexistent/chromium", false},
		{"directory", t.TempDir(), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			getenv := func(k string) string {
				if k == browsertest.EnvPath {
					return tt.env
				}
				return ""
			}
			p, ok := browsertest.ExecPath(getenv)
			if ok != tt.wantOK || p != tt.env {
				t.Fatalf("ExecPath = %q, %v; want %q, %v", p, ok, tt.env, tt.wantOK)
			}
		})
	}
}

// TestRecordsViolationsAndConsole checks the recorder against a page that
// breaks its own CSP: if nothing were recorded here, a test asserting "no
// violations" elsewhere would prove nothing.
func TestRecordsViolationsAndConsole(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/clean":
			w.Header().Set("Content-Security-Policy", "script-src 'nonce-abc'")
			w.Header().Set("Content-Type", "text/html")
			_, _ = w.Write([]byte(`<!doctype html><title>t</title><script nonce="abc">console.log("clean page ran")</script><p>clean</p>`))
		case "/dirty":
			w.Header().Set("Content-Security-Policy", "script-src 'nonce-abc'")
			w.Header().Set("Content-Type", "text/html")
			_, _ = w.Write([]byte(`<!doctype html><title>t</title><script>console.log("must not run")</script><p>dirty</p>`))
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()

	b := browsertest.New(t)
	if err := b.Navigate(srv.URL + "/clean"); err != nil {
		t.Fatal(err)
	}
	if err := b.WaitFor(`document.body && document.body.innerText.includes("clean")`, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if v := b.Violations(); len(v) != 0 {
		t.Fatalf("clean page: violations %v", v)
	}
	if err := b.Navigate(srv.URL + "/dirty"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for len(b.Violations()) == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond) // polling a recorder, not synchronising goroutines
	}
	v := b.Violations()
	if len(v) == 0 {
		t.Fatal("dirty page: no violation recorded")
	}
	if v[0].Directive != "script-src-elem" && v[0].Directive != "script-src" {
		t.Errorf("violation directive = %q, want script-src(-elem)", v[0].Directive)
	}
	var ran, blocked bool
	for _, m := range b.Console() {
		ran = ran || strings.Contains(m.Text, "clean page ran")
		blocked = blocked || strings.Contains(m.Text, "must not run")
	}
	if !ran {
		t.Errorf("console of the clean page not recorded: %v", b.Console())
	}
	if blocked {
		t.Errorf("the blocked script ran")
	}
	if len(b.CSPMessages()) == 0 {
		t.Errorf("no console message about the Content Security Policy: %v", b.Console())
	}
}
