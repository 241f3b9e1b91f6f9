package app

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// running is a service started by startApp.
type running struct {
	URL, Admin string
	DataDir    string
	stop       context.CancelFunc
	done       chan error
}

var urlLine = regexp.MustCompile(`listening on (http://\S+)/orders|admin on (http://\S+)/`)

// startApp runs the whole program in-process on a free loopback port with a
// fresh data folder, and stops it when the test ends.
func startApp(t *testing.T, env ...string) *running {
	t.Helper()
	return startAppLogging(t, io.Discard, env...)
}

// startAppLogging is startApp with the service's log (its standard error)
// written to stderr.
func startAppLogging(t *testing.T, stderr io.Writer, env ...string) *running {
	t.Helper()
	dir := t.TempDir()
	environ := append([]string{"ORDERS_ADDR=127.0.0.1:0", "ORDERS_PROFILE=dev", "ORDERS_LOG_LEVEL=warn", "ORDERS_DATA_DIR=" + filepath.Join(dir, "data")}, env...)
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	app := &running{DataDir: filepath.Join(dir, "data"), stop: cancel, done: make(chan error, 1)}
	go func() {
		err := Run(ctx, nil, environ, pw, stderr)
		pw.CloseWithError(io.EOF)
		app.done <- err
	}()
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			if m := urlLine.FindStringSubmatch(sc.Text()); m != nil {
				if m[1] != "" {
					app.URL = m[1]
				} else {
					app.Admin = m[2]
					close(ready)
				}
			}
		}
	}()
	select {
	case <-ready:
	case err := <-app.done:
		cancel()
		t.Fatalf("service did not start: %v", err)
	case <-time.After(20 * time.Second):
		cancel()
		t.Fatal("service did not print its URLs within 20s")
	}
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-app.done:
			if err != nil {
				t.Errorf("stop: %v", err)
			}
		case <-time.After(15 * time.Second):
			t.Error("service did not stop within 15s")
		}
	})
	return app
}

func get(t *testing.T, url string, header ...string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// TestRunFullStack checks what only the assembled service shows: the
// middleware's headers, CORS with exposed headers, health on both
// listeners, metrics by route, and the redacted config dump.
func TestRunFullStack(t *testing.T) {
	const origin = "http://127.0.0.1:1"
	app := startApp(t, "ORDERS_CORS_ORIGINS="+origin, "ORDERS_SESSION_KEYS=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")
	post, err := http.NewRequest("POST", app.URL+"/api/v2/orders", strings.NewReader(`{"customer":"Ada","currency":"EUR","items":[{"sku":"A","name":"Tea","quantity":1,"unit_price":{"amount":"1.00","currency":"EUR"}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	post.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(post)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 201 {
		t.Fatalf("create: %d", resp.StatusCode)
	}

	tests := []struct {
		name   string
		url    string
		header []string
		status int
		want   map[string]string // header → substring
		body   string
	}{
		{"list with CORS", app.URL + "/api/v2/orders", []string{"Origin", origin}, 200, map[string]string{
			"Access-Control-Allow-Origin":      origin,
			"Access-Control-Allow-Credentials": "true",
			"Access-Control-Expose-Headers":    "X-Total-Count",
			"X-Total-Count":                    "1",
			"Content-Security-Policy":          "'nonce-",
			"X-Content-Type-Options":           "nosniff",
		}, `"amount":"1.00"`},
		{"other origin gets no CORS", app.URL + "/api/v2/orders", []string{"Origin", "http://127.0.0.1:2"}, 200, map[string]string{"Access-Control-Allow-Origin": ""}, ""},
		{"page has the nonce on its script", app.URL + "/orders", []string{"Accept", "text/html"}, 200, map[string]string{"Content-Type": "text/html"}, `.js" nonce="`},
		{"public readiness", app.URL + "/readyz?verbose", nil, 200, nil, "[+]database ok"},
		{"admin readiness", app.Admin + "/readyz?verbose", nil, 200, nil, "[+]database ok"},
		{"admin metrics by route", app.Admin + "/metrics", nil, 200, nil, `route="/api/v2/orders"`},
		{"admin config is redacted", app.Admin + "/debug/config", nil, 200, nil, `"session_keys": "[redacted]"`},
		{"no pprof on the public port", app.URL + "/debug/pprof/", nil, 404, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := get(t, tt.url, tt.header...)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.status, body)
			}
			for k, v := range tt.want {
				got := strings.Join(resp.Header.Values(k), ", ")
				if (v == "" && got != "") || !strings.Contains(got, v) {
					t.Errorf("%s: %q, want %q", k, got, v)
				}
			}
			if !strings.Contains(body, tt.body) {
				t.Errorf("body lacks %q:\n%.600s", tt.body, body)
			}
			if strings.Contains(body, "AAAAAAAAAAAA") {
				t.Error("the session key leaked")
			}
		})
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		environ []string
		want    string
	}{
		{"prod needs session keys", nil, nil, "session_keys is required in the prod profile"},
		{"typo in a variable", nil, []string{"ORDERS_PROFILE=dev", "ORDERS_DATABSE_URL=x"}, "did you mean ORDERS_DATABASE_URL"},
		{"wildcard origin", nil, []string{"ORDERS_PROFILE=dev", "ORDERS_CORS_ORIGINS=*"}, `"*" is not allowed`},
		{"stray argument", []string{"serve"}, []string{"ORDERS_PROFILE=dev"}, `unexpected argument "serve"`},
		{"unknown flag", []string{"--prot=1"}, []string{"ORDERS_PROFILE=dev"}, "flag provided but not defined"},
		{"bad duration", nil, []string{"ORDERS_PROFILE=dev", "ORDERS_GRACE=5"}, "grace"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(tt.args, tt.environ)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want it to contain %q", err, tt.want)
			}
		})
	}
	cfg, err := Load(nil, []string{"ORDERS_PROFILE=dev", "DATABASE_URL=postgres://x@127.0.0.1/db"})
	if err != nil || cfg.DatabaseURL != "postgres://x@127.0.0.1/db" {
		t.Fatalf("DATABASE_URL not honoured: %v %+v", err, cfg)
	}
}

// TestHelpIsOutputNotFailure: -h prints every setting with its default to
// stdout and succeeds, as a command's help should.
func TestHelpIsOutputNotFailure(t *testing.T) {
	var out, errOut strings.Builder
	if err := Run(context.Background(), []string{"-h"}, nil, &out, &errOut); err != nil {
		t.Fatalf("-h: %v", err)
	}
	for _, want := range []string{"usage: orders", "--session-keys", "--grace\thow long a stop waits for in-flight requests (default 10s)"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("help lacks %q:\n%s", want, out.String())
		}
	}
	if errOut.Len() > 0 {
		t.Errorf("stderr: %s", errOut.String())
	}
}
