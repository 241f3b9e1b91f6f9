package middleware

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestNewFaultProfiles(t *testing.T) {
	tests := []struct {
		profile string
		want    string // "" means allowed
	}{
		{"local", ""}, {"dev", ""}, {"Development", ""}, {"test", ""}, {"staging", ""},
		{"prod", "refused under profile"}, {"PRODUCTION", "refused under profile"},
		{"", "needs FaultOptions.Profile"}, {"prdo", "unknown profile"},
	}
	for _, tt := range tests {
		t.Run(tt.profile, func(t *testing.T) {
			_, err := NewFault(FaultOptions{Profile: tt.profile})
			if tt.want == "" {
				if err != nil {
					t.Errorf("NewFault(%q): %v", tt.profile, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("NewFault(%q) error %v, want %q", tt.profile, err, tt.want)
			}
		})
	}
	if _, err := NewFault(FaultOptions{Profile: "dev", MaxLatency: -1}); err == nil {
		t.Error("negative MaxLatency accepted")
	}
}

func TestParseFault(t *testing.T) {
	tests := []struct {
		in   string
		want FaultSpec
		err  string
	}{
		{"status=503", FaultSpec{Status: 503}, ""},
		{"latency=250ms", FaultSpec{Latency: 250 * time.Millisecond}, ""},
		{" latency=2s , status=504 ", FaultSpec{Status: 504, Latency: 2 * time.Second}, ""},
		{"panic", FaultSpec{Panic: true}, ""},
		{"abort,latency=1ms", FaultSpec{Abort: true, Latency: time.Millisecond}, ""},
		{"", FaultSpec{}, "empty"},
		{"   ", FaultSpec{}, "empty"},
		{"status=200", FaultSpec{}, "400 to 599"},
		{"status=600", FaultSpec{}, "400 to 599"},
		{"status=0503", FaultSpec{}, "400 to 599"},
		{"status=+503", FaultSpec{}, "400 to 599"},
		{"status=", FaultSpec{}, "400 to 599"},
		{"status", FaultSpec{}, "400 to 599"},
		{"status=99999999999999999999", FaultSpec{}, "400 to 599"},
		{"latency=-1s", FaultSpec{}, "positive"},
		{"latency=0", FaultSpec{}, "positive"},
		{"latency=1y", FaultSpec{}, "positive"},
		{"latency=31s", FaultSpec{}, "over the limit"},
		{"latency=9223372036854775807ns", FaultSpec{}, "over the limit"},
		{"panic=1", FaultSpec{}, "takes no value"},
		{"status=500,status=503", FaultSpec{}, "repeated"},
		{"panic,abort", FaultSpec{}, "exclude"},
		{"status=500,panic", FaultSpec{}, "exclude"},
		{"status=500,", FaultSpec{}, "stray comma"},
		{"explode", FaultSpec{}, "unknown directive"},
		{"STATUS=500", FaultSpec{}, "unknown directive"},
		{"status=500\x00", FaultSpec{}, "400 to 599"},
		{"status=5\n00", FaultSpec{}, "400 to 599"},
		{strings.Repeat("panic,", 100), FaultSpec{}, "at most 256"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseFault(tt.in, DefaultMaxFaultLatency)
			if tt.err == "" {
				if err != nil || got != tt.want {
					t.Errorf("ParseFault(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.err) || !errors.Is(err, ErrInvalidFault) {
				t.Errorf("ParseFault(%q) error %v, want %q", tt.in, err, tt.err)
			}
		})
	}
}

func FuzzParseFault(f *testing.F) {
	for _, s := range []string{"status=503", "latency=1ms,status=500", "panic", "abort", "status=5x", ",,"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		spec, err := ParseFault(s, time.Second)
		if err != nil {
			if !errors.Is(err, ErrInvalidFault) {
				t.Fatalf("error does not wrap ErrInvalidFault: %v", err)
			}
			if len(err.Error()) > 400 {
				t.Fatalf("error message of %d bytes echoes too much input", len(err.Error()))
			}
			return
		}
		if spec.Status != 0 && (spec.Status < 400 || spec.Status > 599) || spec.Latency < 0 || spec.Latency > time.Second {
			t.Fatalf("accepted out-of-range spec %+v from %q", spec, s)
		}
	})
}

func TestFaultHandler(t *testing.T) {
	var sink logSink
	f, err := NewFault(FaultOptions{Profile: "dev", MaxLatency: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	h := Recover{Logger: sink.logger()}.Handler(f.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "handler")
	})))
	srv := httptest.NewServer(h)
	defer srv.Close()

	tests := []struct {
		name       string
		headers    []string
		wantStatus int
		wantBody   string // substring
		wantErr    bool   // transport error (abort)
		minLatency time.Duration
	}{
		{"no header", nil, 200, "handler", false, 0},
		{"status", []string{"status=503"}, 503, "fault injected", false, 0},
		{"latency then handler", []string{"latency=30ms"}, 200, "handler", false, 30 * time.Millisecond},
		{"panic", []string{"panic"}, 500, "failure has been logged", false, 0},
		{"abort", []string{"abort"}, 0, "", true, 0},
		{"bad header", []string{"status=200"}, 400, "400 to 599", false, 0},
		{"two headers", []string{"status=503", "panic"}, 400, "more than once", false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", srv.URL, nil)
			for _, v := range tt.headers {
				req.Header.Add(FaultHeader, v)
			}
			start := time.Now()
			resp, err := srv.Client().Do(req)
			if tt.wantErr {
				if err == nil {
					resp.Body.Close()
					t.Fatalf("got %d, want the connection aborted", resp.StatusCode)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.wantStatus || !strings.Contains(string(body), tt.wantBody) {
				t.Errorf("got %d %q, want %d containing %q", resp.StatusCode, body, tt.wantStatus, tt.wantBody)
			}
			if tt.wantStatus >= 400 {
				var p map[string]any
				if json.Unmarshal(body, &p) != nil || resp.Header.Get("Content-Type") != "application/problem+json" {
					t.Errorf("error is not problem+json: %q", body)
				}
			}
			if elapsed := time.Since(start); elapsed < tt.minLatency {
				t.Errorf("answered after %v, want at least %v", elapsed, tt.minLatency)
			}
		})
	}
}
