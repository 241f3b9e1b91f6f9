package static

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golocal/golocal/internal/lint"
)

// TestLintClean fetches assets over a real socket and runs golocal's own
// HTTP linter on the raw bytes: the content-type, sniffing and caching
// rules must find nothing. (Security-header rules are the middleware's
// job, not this package's, and are not checked here.)
func TestLintClean(t *testing.T) {
	s := newServer(t, siteFS(t), Options{Prefix: "/static/"})
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	alias, err := s.URL("app.css")
	if err != nil {
		t.Fatal(err)
	}
	families := []string{"ct-", "xcto", "nosniff-block", "cc-", "etag-", "expires-", "vary-", "framing", "cl-", "te-"}
	for _, target := range []string{"/static/", "/static/app.css", alias, "/static/js/app.js", "/static/img/logo.png", "/static/data.json"} {
		t.Run(target, func(t *testing.T) {
			raw := fetchRaw(t, srv.Listener.Addr().String(), target)
			parsed, err := lint.ParseRaw(raw)
			if err != nil {
				t.Fatal(err)
			}
			u, _ := url.Parse(srv.URL + target)
			resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(raw)), nil)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			rep := lint.Run(&lint.Exchange{
				URL: u, Proto: "HTTP/1.1", Raw: parsed, Status: resp.StatusCode, Header: resp.Header,
				Body: body, Received: time.Now(),
			}, lint.Options{})
			for _, f := range rep.Findings {
				for _, fam := range families {
					if strings.HasPrefix(f.Rule, fam) {
						t.Errorf("%s %s: %s (%s)", f.Severity, f.Rule, f.Message, f.Evidence)
					}
				}
			}
		})
	}
}

func fetchRaw(t *testing.T, addr, target string) []byte {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(conn, "GET "+target+" HTTP/1.1\r\nHost: "+addr+"\r\nConnection: close\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	raw, err := io.ReadAll(conn)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}
