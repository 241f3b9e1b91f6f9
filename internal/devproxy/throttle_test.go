package devproxy

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestParseThrottle(t *testing.T) {
	tests := []struct {
		in      string
		want    Throttle
		wantErr string
	}{
		{in: "", want: Throttle{}},
		{in: "off", want: Throttle{}},
		{in: "Slow 3G", want: Throttle{Name: "Slow 3G", Latency: 2 * time.Second, Download: 50000, Upload: 50000}},
		{in: "3g", want: Throttle{Name: "Slow 3G", Latency: 2 * time.Second, Download: 50000, Upload: 50000}},
		{in: "fast-3g", want: Throttle{Name: "Fast 3G", Latency: 562500 * time.Microsecond, Download: 180000, Upload: 84375}},
		{in: "SLOW_4G", want: Throttle{Name: "Fast 3G", Latency: 562500 * time.Microsecond, Download: 180000, Upload: 84375}},
		{in: "fast 4g", want: Throttle{Name: "Fast 4G", Latency: 165 * time.Millisecond, Download: 1012500, Upload: 168750}},
		{in: "latency=400ms,down=500kbps,up=500kbps", want: Throttle{Name: "custom", Latency: 400 * time.Millisecond, Download: 62500, Upload: 62500}},
		{in: " latency = 250 , down = 2Mbps ", want: Throttle{Name: "custom", Latency: 250 * time.Millisecond, Download: 250000}},
		{in: "down=100kB/s", want: Throttle{Name: "custom", Download: 100000}},
		{in: "up=1MiB/s,rtt=1.5s", want: Throttle{Name: "custom", Upload: 1 << 20, Latency: 1500 * time.Millisecond}},
		{in: "download=800", want: Throttle{Name: "custom", Download: 100000}},
		{in: "slow-5g", wantErr: "not a preset"},
		{in: "latency=400ms,,down=1kbps", wantErr: "is not key=value"},
		{in: "latency=", wantErr: "is not key=value"},
		{in: "=5", wantErr: "is not key=value"},
		{in: "latency=fast", wantErr: "not a duration"},
		{in: "latency=-5ms", wantErr: "out of range"},
		{in: "latency=-5", wantErr: "out of range"},
		{in: "latency=2h", wantErr: "out of range"},
		{in: "latency=NaN", wantErr: "not a duration"},
		{in: "latency=1e400", wantErr: "not a duration"},
		{in: "down=0", wantErr: "out of range"},
		{in: "down=1bps", wantErr: "out of range"},
		{in: "down=500parsecs", wantErr: "unknown unit"},
		{in: "down=kbps", wantErr: "not a rate"},
		{in: "down=1.2.3kbps", wantErr: "not a rate"},
		{in: "down=999Tbps", wantErr: "unknown unit"},
		{in: "down=1000000Gbps", wantErr: "out of range"},
		{in: "down=1kbps,down=2kbps", wantErr: "given twice"},
		{in: "speed=1", wantErr: "unknown key"},
		{in: "latency=1ms\x00", wantErr: "not a duration"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseThrottle(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), "--throttle") {
					t.Fatalf("ParseThrottle(%q) = %+v, %v; want error containing %q and naming --throttle", tt.in, got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ParseThrottle(%q) = %+v, %v; want %+v", tt.in, got, err, tt.want)
			}
		})
	}
}

func FuzzParseThrottle(f *testing.F) {
	for _, s := range []string{"slow-3g", "latency=400ms,down=500kbps,up=500kbps", "down=1.5MB/s", "latency=1e9", "up=", ",=,"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		th, err := ParseThrottle(s)
		if err != nil {
			return
		}
		if th.Latency < 0 || th.Latency > maxLatency || th.Download < 0 || th.Upload < 0 {
			t.Fatalf("ParseThrottle(%q) = %+v: out of bounds", s, th)
		}
		if !th.Enabled() {
			return
		}
		back, err := ParseThrottle(th.String())
		if err != nil {
			t.Fatalf("String() %q of %q does not parse: %v", th.String(), s, err)
		}
		if back.Latency != th.Latency || absDiff(back.Download, th.Download) > 1 || absDiff(back.Upload, th.Upload) > 1 {
			t.Fatalf("round trip %q -> %+v -> %q -> %+v", s, th, th.String(), back)
		}
	})
}

func absDiff(a, b int64) int64 {
	if a > b {
		return a - b
	}
	return b - a
}

// TestThrottleShapesTraffic checks the lower bounds an emulated network
// imposes: an intentional delay cannot be shorter than configured, however
// loaded the machine is. Upper bounds would be speed assertions and are not
// made.
func TestThrottleShapesTraffic(t *testing.T) {
	body := bytes.Repeat([]byte("x"), 20000)
	var gotUpload int
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n, _ := io.Copy(io.Discard, r.Body)
		gotUpload = int(n)
		_, _ = w.Write(body)
	}))
	defer app.Close()

	th := Throttle{Latency: 100 * time.Millisecond, Download: 100000, Upload: 100000}
	front := New(Options{Throttle: th})
	defer front.Close()
	front.SetUpstream(mustURL(t, app.URL))
	srv := httptest.NewServer(front)
	defer srv.Close()

	start := time.Now()
	res, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(res.Body)
	res.Body.Close()
	took := time.Since(start)
	if !bytes.Equal(got, body) {
		t.Fatalf("body changed: %d bytes", len(got))
	}
	// 100 ms latency + 20 kB at 100 kB/s.
	if min := 100*time.Millisecond + 200*time.Millisecond; took < min {
		t.Errorf("throttled GET took %s, want at least %s", took, min)
	}

	start = time.Now()
	res, err = http.Post(srv.URL, "application/octet-stream", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if gotUpload != len(body) {
		t.Fatalf("app received %d of %d uploaded bytes", gotUpload, len(body))
	}
	if min := 400 * time.Millisecond; time.Since(start) < min {
		t.Errorf("throttled POST took %s, want at least %s (upload, then download; latency overlaps the upload)", time.Since(start), min)
	}
}

func TestThrottledWriterStopsWhenClientLeaves(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	rec := httptest.NewRecorder()
	w := Throttle{Download: 1000}.wrapResponse(ctx, rec, time.Now())
	cancel()
	n, err := w.Write(bytes.Repeat([]byte("y"), 10000))
	if err == nil || n == 10000 {
		t.Fatalf("Write after the client left = %d, %v; want an error before everything was paced out", n, err)
	}
}
