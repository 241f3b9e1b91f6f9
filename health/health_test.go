package health_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golocal/golocal/health"
)

func ok(context.Context) (health.Details, error) { return nil, nil }

func TestAddRejectsBadInput(t *testing.T) {
	tests := []struct {
		name  string
		check health.Check
		want  string
	}{
		{"space", health.Check{Name: "my db", Func: ok}, `invalid health check name "my db": it may contain only lowercase letters`},
		{"slash", health.Check{Name: "db/primary", Func: ok}, `invalid health check name "db/primary"`},
		{"upper", health.Check{Name: "DB", Func: ok}, `invalid health check name "DB"`},
		{"empty", health.Check{Name: "", Func: ok}, `invalid health check name "": it is empty`},
		{"leading dash", health.Check{Name: "-db", Func: ok}, `must start and end with a letter or digit`},
		{"too long", health.Check{Name: strings.Repeat("a", 64), Func: ok}, `it is 64 characters long; at most 63`},
		{"newline", health.Check{Name: "db\n[+]fake ok", Func: ok}, `invalid health check name`},
		{"bad group", health.Check{Name: "db", Func: ok, Groups: []string{"Core DB"}}, `Add "db": group: invalid health check name "Core DB"`},
		{"nil func", health.Check{Name: "db"}, `Add "db": Func is nil`},
		{"bad kind", health.Check{Name: "db", Func: ok, Kind: 7}, `unknown Kind 7; use health.Readiness or health.Liveness`},
		{"negative timeout", health.Check{Name: "db", Func: ok, Timeout: -time.Second}, `negative Timeout -1s`},
		{"duplicate builtin", health.Check{Name: "ping", Func: ok}, `a check named "ping" already exists`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := health.New(health.Options{})
			err := h.Add(tt.check)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Add(%+v) = %v, want error containing %q", tt.check.Name, err, tt.want)
			}
		})
	}
	if err := health.ValidateName("x y"); !errors.Is(err, health.ErrInvalidName) {
		t.Errorf("ValidateName error %v does not wrap ErrInvalidName", err)
	}
	for _, good := range []string{"db", "a", "payments-api", "9lives", strings.Repeat("a", 63)} {
		if err := health.ValidateName(good); err != nil {
			t.Errorf("ValidateName(%q) = %v, want nil", good, err)
		}
	}
}

// get performs a request against h and returns status and body.
func get(t *testing.T, h http.Handler, target string, header ...string) (int, string, http.Header) {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, target, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Add(header[i], header[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Code, rec.Body.String(), rec.Header()
}

// newFixture has a passing "cache" check, a failing "db" check (readiness)
// and a passing "deadlock" liveness check, with "db" in group "core".
func newFixture(t testing.TB) *health.Health {
	t.Helper()
	h := health.New(health.Options{})
	must(t, h.Add(health.Check{Name: "cache", Func: ok}))
	must(t, h.Add(health.Check{Name: "db", Groups: []string{"core"}, Func: func(context.Context) (health.Details, error) {
		return health.Details{"activeConnections": 9}, errors.New("dial tcp 10.0.0.5:5432: connection refused")
	}}))
	must(t, h.Add(health.Check{Name: "deadlock", Kind: health.Liveness, Func: ok}))
	return h
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestKubernetesTextFormat pins the text bodies to the Kubernetes API
// server's (staging/src/k8s.io/apiserver/pkg/server/healthz/healthz.go),
// apart from the status code (503 instead of 500).
func TestKubernetesTextFormat(t *testing.T) {
	h := newFixture(t)
	public, detailed := h.Handler(), h.DetailedHandler()
	tests := []struct {
		name       string
		handler    http.Handler
		target     string
		wantStatus int
		wantBody   string
	}{
		{"livez quiet", public, "/livez", 200, "ok"},
		{"livez verbose", public, "/livez?verbose", 200, "[+]ping ok\n[+]deadlock ok\nlivez check passed\n"},
		{"livez verbose=false still verbose", public, "/livez?verbose=false", 200, "[+]ping ok\n[+]deadlock ok\nlivez check passed\n"},
		{"readyz fails verbosely, reason withheld", public, "/readyz", 503,
			"[+]shutdown ok\n[+]cache ok\n[-]db failed: reason withheld\nreadyz check failed\n"},
		{"readyz detailed shows reason", detailed, "/readyz", 503,
			"[+]shutdown ok\n[+]cache ok\n[-]db failed: dial tcp 10.0.0.5:5432: connection refused\nreadyz check failed\n"},
		{"exclude failing check", public, "/readyz?exclude=db", 200, "ok"},
		{"exclude verbose", public, "/readyz?exclude=db&verbose", 200,
			"[+]shutdown ok\n[+]cache ok\n[+]db excluded: ok\nreadyz check passed\n"},
		{"exclude repeated and unknown", public, "/readyz?exclude=db&exclude=zzz&exclude=nope&verbose", 200,
			"[+]shutdown ok\n[+]cache ok\n[+]db excluded: ok\nwarn: some health checks cannot be excluded: no matches for \"nope\",\"zzz\"\nreadyz check passed\n"},
		{"exclude with comma is one name, as in Kubernetes", public, "/readyz?exclude=db,cache", 503,
			"[+]shutdown ok\n[+]cache ok\n[-]db failed: reason withheld\nwarn: some health checks cannot be excluded: no matches for \"db,cache\"\nreadyz check failed\n"},
		{"single ok", public, "/readyz/cache", 200, "ok"},
		{"single failing withheld", public, "/readyz/db", 503, "internal server error: reason withheld\n"},
		{"single failing detailed", detailed, "/readyz/db", 503, "internal server error: dial tcp 10.0.0.5:5432: connection refused\n"},
		{"single liveness", public, "/livez/deadlock", 200, "ok"},
		{"wrong kind", public, "/livez/db", 404, "no liveness check named \"db\"; \"db\" is a readiness check\n"},
		{"unknown check", public, "/readyz/nope", 404, "no readiness check named \"nope\"\n"},
		{"group", public, "/health/core?verbose", 503, "[-]db failed: reason withheld\ncore check failed\n"},
		{"all", public, "/health?exclude=db", 200, "ok"},
		{"unknown group", public, "/health/x", 404, "no health group named \"x\"; groups: core\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body, hdr := get(t, tt.handler, tt.target)
			if status != tt.wantStatus || body != tt.wantBody {
				t.Errorf("GET %s = %d %q, want %d %q", tt.target, status, body, tt.wantStatus, tt.wantBody)
			}
			if ct := hdr.Get("Content-Type"); ct != "text/plain; charset=utf-8" {
				t.Errorf("Content-Type = %q", ct)
			}
			if cc := hdr.Get("Cache-Control"); cc != "no-store" {
				t.Errorf("Cache-Control = %q, want no-store", cc)
			}
		})
	}
}

func TestMethodNotAllowed(t *testing.T) {
	h := newFixture(t)
	rec := httptest.NewRecorder()
	h.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/readyz", nil))
	if rec.Code != http.StatusMethodNotAllowed {
		t.Fatalf("POST /readyz = %d, want 405", rec.Code)
	}
	rec = httptest.NewRecorder()
	h.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodHead, "/livez", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("HEAD /livez = %d, want 200", rec.Code)
	}
}

type report struct {
	Status string `json:"status"`
	Checks []struct {
		Name       string         `json:"name"`
		Status     string         `json:"status"`
		Error      string         `json:"error"`
		DurationMs *float64       `json:"durationMs"`
		CheckedAt  string         `json:"checkedAt"`
		Details    map[string]any `json:"details"`
	} `json:"checks"`
	Warnings []string `json:"warnings"`
}

func TestJSON(t *testing.T) {
	h := newFixture(t)
	tests := []struct {
		name       string
		handler    http.Handler
		target     string
		accept     string
		wantStatus int
		wantTop    string
		wantDB     string // status of db, "" if absent
		wantError  string
		wantDetail bool
		wantWarn   int
	}{
		{"public readyz", h.Handler(), "/readyz", "application/json", 503, "down", "down", "", false, 0},
		{"detailed readyz", h.DetailedHandler(), "/readyz", "application/json", 503, "down", "down", "dial tcp 10.0.0.5:5432: connection refused", true, 0},
		{"excluded", h.Handler(), "/readyz?exclude=db&exclude=x", "text/html;q=0.9, application/json", 200, "up", "excluded", "", false, 1},
		{"single", h.DetailedHandler(), "/readyz/db", "application/json", 503, "down", "down", "dial tcp 10.0.0.5:5432: connection refused", true, 0},
		{"livez", h.Handler(), "/livez", "application/json;q=1, text/plain;q=0.5", 200, "up", "", "", false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body, hdr := get(t, tt.handler, tt.target, "Accept", tt.accept)
			if status != tt.wantStatus {
				t.Errorf("status = %d, want %d", status, tt.wantStatus)
			}
			if ct := hdr.Get("Content-Type"); ct != "application/json" {
				t.Fatalf("Content-Type = %q, body %q", ct, body)
			}
			var r report
			if err := json.Unmarshal([]byte(body), &r); err != nil {
				t.Fatalf("body %q: %v", body, err)
			}
			if r.Status != tt.wantTop {
				t.Errorf("status member = %q, want %q", r.Status, tt.wantTop)
			}
			if len(r.Warnings) != tt.wantWarn {
				t.Errorf("warnings = %q, want %d", r.Warnings, tt.wantWarn)
			}
			found := ""
			for _, c := range r.Checks {
				if c.DurationMs == nil {
					t.Errorf("check %s has no durationMs", c.Name)
				}
				if c.Status != "excluded" && c.CheckedAt == "" {
					t.Errorf("check %s has no checkedAt", c.Name)
				}
				if c.Name != "db" {
					continue
				}
				found = c.Status
				if c.Error != tt.wantError {
					t.Errorf("db error = %q, want %q", c.Error, tt.wantError)
				}
				if got := c.Details["activeConnections"] != nil; got != tt.wantDetail {
					t.Errorf("db details = %v, want present=%v", c.Details, tt.wantDetail)
				}
			}
			if found != tt.wantDB {
				t.Errorf("db status = %q, want %q (body %s)", found, tt.wantDB, body)
			}
		})
	}
}

func TestMarkStopping(t *testing.T) {
	h := health.New(health.Options{})
	if status, _, _ := get(t, h.Handler(), "/readyz"); status != 200 {
		t.Fatalf("before MarkStopping: /readyz = %d", status)
	}
	h.MarkStopping()
	if !h.Stopping() {
		t.Error("Stopping() = false after MarkStopping")
	}
	status, body, _ := get(t, h.DetailedHandler(), "/readyz")
	if status != 503 || body != "[-]shutdown failed: shutting down\nreadyz check failed\n" {
		t.Errorf("after MarkStopping: /readyz = %d %q", status, body)
	}
	if status, _, _ := get(t, h.Handler(), "/livez"); status != 200 {
		t.Errorf("liveness must not follow shutdown: /livez = %d", status)
	}
}

func TestPanickingCheckIsAFailure(t *testing.T) {
	for _, interval := range []time.Duration{0, -1} { // cached and inline
		h := health.New(health.Options{})
		must(t, h.Add(health.Check{Name: "boom", Interval: interval, Func: func(context.Context) (health.Details, error) {
			panic("nil map write in check")
		}}))
		status, body, _ := get(t, h.DetailedHandler(), "/readyz/boom")
		if status != 503 || body != "internal server error: panicked: nil map write in check\n" {
			t.Errorf("interval %v: /readyz/boom = %d %q", interval, status, body)
		}
		var pe *health.PanicError
		res := h.Results(context.Background(), health.Readiness)
		if !errors.As(res[1].Err, &pe) || len(pe.Stack) == 0 {
			t.Errorf("interval %v: result error %v is not a *PanicError with a stack", interval, res[1].Err)
		}
	}
}

func TestHungCheckFailsAfterTimeoutAndIsNotRestarted(t *testing.T) {
	release := make(chan struct{})
	var calls atomic.Int32
	h := health.New(health.Options{})
	must(t, h.Add(health.Check{Name: "hung", Timeout: 50 * time.Millisecond, Interval: time.Millisecond,
		Func: func(context.Context) (health.Details, error) {
			calls.Add(1)
			<-release // ignores ctx on purpose
			return nil, nil
		}}))
	srv := httptest.NewServer(h.DetailedHandler())
	defer srv.Close()
	for i := range 5 {
		resp, err := srv.Client().Get(srv.URL + "/readyz/hung")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		want := "internal server error: timed out after 50ms and did not return; it is not started again until it does\n"
		if resp.StatusCode != 503 || string(body) != want {
			t.Fatalf("probe %d: %d %q, want 503 %q", i, resp.StatusCode, body, want)
		}
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("hung check was started %d times, want 1 while still running", n)
	}
	close(release)
	// Once it returns it may run again; it returned late, so it failed.
	deadline := time.Now().Add(5 * time.Second)
	for calls.Load() < 2 && time.Now().Before(deadline) {
		get(t, h.Handler(), "/readyz/hung")
		time.Sleep(5 * time.Millisecond)
	}
	if calls.Load() < 2 {
		t.Error("check never ran again after the stuck call returned")
	}
}

func TestCheckHonouringContextTimesOut(t *testing.T) {
	h := health.New(health.Options{})
	must(t, h.Add(health.Check{Name: "slow", Timeout: 20 * time.Millisecond, Interval: -1,
		Func: func(ctx context.Context) (health.Details, error) {
			<-ctx.Done()
			return nil, ctx.Err()
		}}))
	status, body, _ := get(t, h.DetailedHandler(), "/readyz/slow")
	if status != 503 || !strings.Contains(body, "deadline exceeded") && !strings.Contains(body, "timed out after 20ms") {
		t.Errorf("/readyz/slow = %d %q", status, body)
	}
}

// TestLateSuccessIsAFailure: a check that ignores its deadline and then
// reports success was too slow to count as healthy, in both run modes.
func TestLateSuccessIsAFailure(t *testing.T) {
	for _, interval := range []time.Duration{-1, time.Hour} { // inline, cached
		h := health.New(health.Options{})
		must(t, h.Add(health.Check{Name: "late", Timeout: 20 * time.Millisecond, Interval: interval,
			Func: func(ctx context.Context) (health.Details, error) {
				<-ctx.Done()
				return nil, nil // "fine", but only after the deadline
			}}))
		status, body, _ := get(t, h.DetailedHandler(), "/readyz/late")
		if status != 503 || !strings.Contains(body, "passed, but only after its 20ms timeout") && !strings.Contains(body, "timed out after 20ms") {
			t.Errorf("interval %v: /readyz/late = %d %q, want 503", interval, status, body)
		}
	}
}

// TestProbesDoNotWaitForSlowRefresh: after the first result, a stale
// result is served while the refresh runs in the background.
func TestProbesDoNotWaitForSlowRefresh(t *testing.T) {
	var calls atomic.Int32
	gate := make(chan struct{}, 1)
	h := health.New(health.Options{})
	must(t, h.Add(health.Check{Name: "slow", Interval: time.Nanosecond, Timeout: time.Minute,
		Func: func(context.Context) (health.Details, error) {
			if calls.Add(1) == 1 {
				return nil, nil // first run is quick
			}
			<-gate // later runs block until the test lets them go
			return nil, errors.New("refreshed")
		}}))
	if status, _, _ := get(t, h.Handler(), "/readyz/slow"); status != 200 {
		t.Fatalf("first probe = %d", status)
	}
	// Every further probe finds the result stale and must answer at once
	// with the cached "ok" even though the refresh is blocked.
	for range 50 {
		if status, _, _ := get(t, h.Handler(), "/readyz/slow"); status != 200 {
			t.Fatalf("probe during blocked refresh = %d, want cached 200", status)
		}
	}
	if n := calls.Load(); n > 2 {
		t.Errorf("check started %d times; a running refresh must not be started again", n)
	}
	gate <- struct{}{}
	deadline := time.Now().Add(5 * time.Second)
	for {
		status, _, _ := get(t, h.Handler(), "/readyz/slow")
		if status == 503 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("refreshed result never served")
		}
		time.Sleep(2 * time.Millisecond)
	}
	close(gate)
}

func TestStartRefreshesInBackground(t *testing.T) {
	var calls atomic.Int32
	h := health.New(health.Options{})
	must(t, h.Add(health.Check{Name: "tick", Interval: 5 * time.Millisecond,
		Func: func(context.Context) (health.Details, error) { calls.Add(1); return nil, nil }}))
	ctx, cancel := context.WithCancel(context.Background())
	h.Start(ctx)
	h.Start(ctx) // no-op
	must(t, h.Add(health.Check{Name: "late", Interval: 5 * time.Millisecond, Func: ok}))
	deadline := time.Now().Add(5 * time.Second)
	for calls.Load() < 3 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	cancel()
	if calls.Load() < 3 {
		t.Fatalf("background runs = %d, want >= 3 without any probe", calls.Load())
	}
	if status, _, _ := get(t, h.Handler(), "/readyz/late"); status != 200 {
		t.Errorf("check added after Start: %d", status)
	}
}

func TestResultsReportsKinds(t *testing.T) {
	h := newFixture(t)
	var names []string
	for _, r := range h.Results(context.Background(), health.Liveness) {
		names = append(names, r.Name)
	}
	if strings.Join(names, ",") != "ping,deadlock" {
		t.Errorf("liveness results = %v", names)
	}
	if health.Readiness.String() != "readiness" || health.Liveness.String() != "liveness" || health.Kind(9).String() != "Kind(9)" {
		t.Error("Kind.String")
	}
}

func TestRegisterOnMux(t *testing.T) {
	h := newFixture(t)
	mux := http.NewServeMux()
	h.Register(mux)
	mux.HandleFunc("GET /", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "app") })
	if status, body, _ := get(t, mux, "/livez/deadlock"); status != 200 || body != "ok" {
		t.Errorf("/livez/deadlock via Register = %d %q", status, body)
	}
	if _, body, _ := get(t, mux, "/other"); body != "app" {
		t.Errorf("Register captured /other: %q", body)
	}
}

// TestBadChecksNeverHangProbes: a check that never returns (ignoring its
// context) or panics is a failed check after its timeout, cached or
// inline, over a real connection with a client deadline; a stuck check is
// not started again by later probes, so it costs one goroutine, not one
// per probe.
func TestBadChecksNeverHangProbes(t *testing.T) {
	const timeout = 50 * time.Millisecond
	tests := []struct {
		name     string
		interval time.Duration
		hang     bool
		want     string // body prefix of /readyz/bad
	}{
		{"cached, never returns", time.Millisecond, true, "internal server error: timed out after 50ms"},
		{"inline, never returns", -1, true, "internal server error: "},
		{"cached, panics", time.Millisecond, false, "internal server error: panicked: boom"},
		{"inline, panics", -1, false, "internal server error: panicked: boom"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			release := make(chan struct{})
			defer close(release)
			var calls atomic.Int32
			h := health.New(health.Options{})
			must(t, h.Add(health.Check{Name: "bad", Timeout: timeout, Interval: tt.interval,
				Func: func(context.Context) (health.Details, error) {
					calls.Add(1)
					if !tt.hang {
						panic("boom")
					}
					<-release // ignores ctx on purpose
					return nil, nil
				}}))
			srv := httptest.NewServer(h.DetailedHandler())
			defer srv.Close()
			client := &http.Client{Timeout: 5 * time.Second}
			for i := range 10 {
				for _, path := range []string{"/readyz/bad", "/readyz?verbose"} {
					began := time.Now()
					resp, err := client.Get(srv.URL + path)
					if err != nil {
						t.Fatalf("probe %d %s: %v (a hung probe)", i, path, err)
					}
					body, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					if took := time.Since(began); took > 2*time.Second {
						t.Errorf("probe %d %s took %v, want about the %v timeout at most", i, path, took, timeout)
					}
					if resp.StatusCode != 503 {
						t.Fatalf("probe %d %s: %d %q, want 503", i, path, resp.StatusCode, body)
					}
					if path == "/readyz/bad" && !strings.HasPrefix(string(body), tt.want) {
						t.Errorf("probe %d: body %q, want prefix %q", i, body, tt.want)
					}
					if path != "/readyz/bad" && !strings.Contains(string(body), "[-]bad failed: ") {
						t.Errorf("probe %d: verbose body %q lacks the failed check", i, body)
					}
				}
			}
			if n := calls.Load(); tt.hang && n != 1 {
				t.Errorf("a stuck check was started %d times by 20 probes, want 1", n)
			}
		})
	}
}
