package devproxy

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestParsePresets(t *testing.T) {
	good := "\uFEFF# presets for the office\n\nhotel-wifi = latency=300ms,down=2Mbps,up=1Mbps\n  Tunnel = offline\nedge=slow-3g\n"
	presets, err := ParsePresets([]byte(good), "presets.txt")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]Throttle{
		"hotelwifi": {Name: "hotel-wifi", Latency: 300 * time.Millisecond, Download: 250000, Upload: 125000},
		"tunnel":    {Name: "Tunnel", Offline: true},
		"edge":      {Name: "edge", Latency: 2 * time.Second, Download: 50000, Upload: 50000},
	}
	if len(presets) != len(want) {
		t.Fatalf("got %v", presets)
	}
	for k, w := range want {
		if presets[k] != w {
			t.Errorf("%s: got %+v, want %+v", k, presets[k], w)
		}
	}
	for in, wantName := range map[string]string{"hotel-wifi": "hotel-wifi", "HOTEL_WIFI": "hotel-wifi", "tunnel": "Tunnel", "fast-4g": "Fast 4G"} {
		got, err := ParseThrottleWith(in, presets)
		if err != nil || got.Name != wantName {
			t.Errorf("ParseThrottleWith(%q) = %+v, %v; want %s", in, got, err, wantName)
		}
	}
	if _, err := ParseThrottleWith("airport", presets); err == nil || !strings.Contains(err.Error(), "hotel-wifi") {
		t.Errorf("unknown name: %v; want the file's presets listed", err)
	}

	bad := []struct{ name, in, want string }{
		{"no equals", "hotel-wifi slow-3g", ":1: \"hotel-wifi slow-3g\" is not name = settings"},
		{"empty name", "= latency=3ms", "preset name \"\""},
		{"bad name", "hotel wifi! = latency=3ms", "preset name"},
		{"long name", strings.Repeat("a", 65) + " = latency=3ms", "preset name"},
		{"twice", "a = latency=1ms\nA = latency=2ms", ":2: preset \"a\" is defined twice"},
		{"built-in", "slow-3g = latency=1ms", "redefine a built-in"},
		{"built-in alias", "Slow_4G = latency=1ms", "redefine a built-in"},
		{"off name", "off = latency=1ms", "redefine a built-in"},
		{"bad settings", "# c\nx = latency=fast", ":2: preset \"x\": --throttle \"latency=fast\""},
		{"changes nothing", "x = off", "changes nothing"},
		{"empty settings", "x =", "changes nothing"},
		{"too large", strings.Repeat("#", maxPresetFile+1), "at most"},
		{"too many", manyPresets(maxPresets + 1), "more than 100 presets"},
		{"NUL", "x\x00 = latency=1ms", "preset name"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParsePresets([]byte(tc.in), "p.txt")
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "--throttle-file p.txt") {
				t.Errorf("error %v, want %q naming the file", err, tc.want)
			}
		})
	}
}

func manyPresets(n int) string {
	var b strings.Builder
	for i := range n {
		b.WriteString("p")
		b.WriteString(strings.Repeat("x", i%60))
		b.WriteString(string(rune('a' + i/60)))
		b.WriteString(" = latency=1ms\n")
	}
	return b.String()
}

func FuzzParsePresets(f *testing.F) {
	f.Add([]byte("hotel = latency=300ms,down=2Mbps\ntunnel = offline\n"))
	f.Add([]byte("# only a comment"))
	f.Add([]byte("a=b=c"))
	f.Add([]byte("\uFEFFx = fast-3g\r\ny = up=1kbps"))
	f.Fuzz(func(t *testing.T, data []byte) {
		presets, err := ParsePresets(data, "fuzz")
		if err != nil {
			return
		}
		for key, p := range presets {
			if !p.Enabled() || presetKey(p.Name) != key {
				t.Fatalf("preset %q = %+v", key, p)
			}
			if got, err := ParseThrottleWith(p.Name, presets); err != nil || got != p {
				t.Fatalf("preset %q not found by its name: %v", p.Name, err)
			}
		}
	})
}

// TestOffline: with the Offline preset, requests for the app get no
// response at all (a connection-level failure, as a browser offline sees),
// while golocal's own endpoints still answer so live reload keeps working.
func TestOffline(t *testing.T) {
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Error("the app got a request while offline")
	}))
	defer app.Close()
	th, err := ParseThrottle("offline")
	if err != nil || !th.Offline || !th.Enabled() || th.String() != "offline" {
		t.Fatalf("ParseThrottle(offline) = %+v, %v", th, err)
	}
	front := New(Options{Throttle: th})
	defer front.Close()
	front.SetUpstream(mustURL(t, app.URL))
	for _, tls := range []bool{false, true} {
		srv := httptest.NewUnstartedServer(front)
		srv.EnableHTTP2 = true
		client := http.DefaultClient
		if tls {
			srv.StartTLS()
			client = srv.Client()
		} else {
			srv.Start()
		}
		res, err := client.Get(srv.URL + "/page")
		if err == nil {
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			t.Errorf("tls=%v: got %s %q, want no response", tls, res.Status, body)
		} else if errors.Is(err, http.ErrHandlerTimeout) {
			t.Errorf("tls=%v: %v", tls, err)
		}
		res, err = client.Get(srv.URL + PathPrefix + "client.js")
		if err != nil || res.StatusCode != http.StatusOK {
			t.Errorf("tls=%v: golocal's own endpoint while offline: %v", tls, err)
		} else {
			res.Body.Close()
		}
		srv.Close()
	}
}
