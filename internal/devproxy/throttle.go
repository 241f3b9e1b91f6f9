package devproxy

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Throttle emulates a slow network the way Chrome DevTools' network
// throttling does: Latency is added before the first byte of each response,
// Download and Upload cap response and request-body bytes per second.
// The zero value does not throttle. WebSocket traffic, once upgraded, is
// not shaped.
type Throttle struct {
	Name     string        // preset name, or "custom"
	Latency  time.Duration // added before each response's first byte
	Download int64         // response bytes per second; 0 = unlimited
	Upload   int64         // request body bytes per second; 0 = unlimited
	// Offline fails every request for the app with no response at all,
	// as a browser without network sees it (see abortOffline).
	Offline bool
}

// Enabled reports whether t changes anything.
func (t Throttle) Enabled() bool {
	return t.Offline || t.Latency > 0 || t.Download > 0 || t.Upload > 0
}

// String formats t so that ParseThrottle reads it back.
func (t Throttle) String() string {
	if !t.Enabled() {
		return "off"
	}
	if t.Offline {
		return "offline"
	}
	var parts []string
	if t.Latency > 0 {
		parts = append(parts, "latency="+t.Latency.String())
	}
	if t.Download > 0 {
		parts = append(parts, "down="+formatRate(t.Download))
	}
	if t.Upload > 0 {
		parts = append(parts, "up="+formatRate(t.Upload))
	}
	return strings.Join(parts, ",")
}

func formatRate(bytesPerSecond int64) string {
	bits := float64(bytesPerSecond) * 8 / 1000
	return strconv.FormatFloat(bits, 'f', -1, 64) + "kbps"
}

// Presets are Chrome DevTools' throttling presets, with DevTools' own
// figures (front_end/core/sdk/NetworkManager.ts): the nominal rate scaled
// down and the round trip scaled up to model a real link's overhead. DevTools
// renamed "Slow 3G" to "3G" and "Fast 3G" to "Slow 4G" in 2024; both names
// are accepted.
var presets = map[string]Throttle{
	"slow3g":  {Name: "Slow 3G", Latency: 2000 * time.Millisecond, Download: 500 * 1000 / 8 * 8 / 10, Upload: 500 * 1000 / 8 * 8 / 10},
	"fast3g":  {Name: "Fast 3G", Latency: 562500 * time.Microsecond, Download: 1600 * 1000 / 8 * 9 / 10, Upload: 750 * 1000 / 8 * 9 / 10},
	"offline": {Name: "Offline", Offline: true},
	"fast4g":  {Name: "Fast 4G", Latency: 165 * time.Millisecond, Download: 9000 * 1000 / 8 * 9 / 10, Upload: 1500 * 1000 / 8 * 9 / 10},
}

var presetAliases = map[string]string{"3g": "slow3g", "slow4g": "fast3g"}

// ThrottlePresetNames lists the names ParseThrottle accepts as presets.
func ThrottlePresetNames() []string {
	names := []string{"slow-3g", "3g", "fast-3g", "slow-4g", "fast-4g", "offline"}
	sort.Strings(names)
	return names
}

// Bounds on custom settings: beyond them a typo is more likely than intent.
const (
	maxLatency = time.Minute
	minRate    = 1000 / 8     // 1 kbps
	maxRate    = 100e9 / 8    // 100 Gbps
	throttleIn = "--throttle" // where the value comes from, for messages
)

// ParseThrottle reads a --throttle value: "off", a DevTools preset
// ("slow-3g", "3g", "fast-3g", "slow-4g", "fast-4g"; case, spaces, '-' and
// '_' do not matter), or custom settings such as
// "latency=400ms,down=500kbps,up=500kbps". Latency takes a Go duration (a
// bare number is milliseconds); rates take bps, kbps, Mbps, Gbps (bits, as
// DevTools), or B/s, kB/s, MB/s, KiB/s, MiB/s (bytes); a bare number is kbps.
// Any key may be left out.
func ParseThrottle(s string) (Throttle, error) {
	s = strings.TrimSpace(s)
	if s == "" || strings.EqualFold(s, "off") || strings.EqualFold(s, "none") {
		return Throttle{}, nil
	}
	if !strings.Contains(s, "=") {
		if p, ok := lookupPreset(presetKey(s)); ok {
			return p, nil
		}
		return Throttle{}, fmt.Errorf("%s %q: not a preset; use one of %s, or custom settings like latency=400ms,down=500kbps,up=500kbps", throttleIn, s, strings.Join(ThrottlePresetNames(), ", "))
	}
	t := Throttle{Name: "custom"}
	seen := map[string]bool{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		key, value, ok := strings.Cut(part, "=")
		key, value = strings.ToLower(strings.TrimSpace(key)), strings.TrimSpace(value)
		if !ok || key == "" || value == "" {
			return Throttle{}, fmt.Errorf("%s %q: %q is not key=value; use latency=…, down=…, up=…", throttleIn, s, part)
		}
		switch key {
		case "download":
			key = "down"
		case "upload":
			key = "up"
		case "rtt":
			key = "latency"
		}
		if seen[key] {
			return Throttle{}, fmt.Errorf("%s %q: %s is given twice", throttleIn, s, key)
		}
		seen[key] = true
		var err error
		switch key {
		case "latency":
			t.Latency, err = parseLatency(value)
		case "down":
			t.Download, err = parseRate(value)
		case "up":
			t.Upload, err = parseRate(value)
		default:
			return Throttle{}, fmt.Errorf("%s %q: unknown key %q; the keys are latency, down and up", throttleIn, s, key)
		}
		if err != nil {
			return Throttle{}, fmt.Errorf("%s %q: %s: %w", throttleIn, s, key, err)
		}
	}
	return t, nil
}

// presetKey is a preset name as looked up: lower case, without spaces,
// '-' and '_'.
func presetKey(s string) string {
	return strings.NewReplacer(" ", "", "-", "", "_", "").Replace(strings.ToLower(strings.TrimSpace(s)))
}

// lookupPreset finds a built-in preset by key (aliases included).
func lookupPreset(key string) (Throttle, bool) {
	if a, ok := presetAliases[key]; ok {
		key = a
	}
	p, ok := presets[key]
	return p, ok
}

func sortedStrings(s []string) []string {
	sort.Strings(s)
	return s
}

func parseLatency(v string) (time.Duration, error) {
	var d time.Duration
	if n, err := strconv.ParseFloat(v, 64); err == nil && !math.IsNaN(n) && !math.IsInf(n, 0) {
		if n < 0 || n > float64(maxLatency/time.Millisecond) {
			return 0, fmt.Errorf("%q is out of range; use 0 to %s", v, maxLatency)
		}
		d = time.Duration(n * float64(time.Millisecond))
	} else {
		var perr error
		d, perr = time.ParseDuration(v)
		if perr != nil {
			return 0, fmt.Errorf("%q is not a duration; write it like 400ms or 1.5s", v)
		}
	}
	if d < 0 || d > maxLatency {
		return 0, fmt.Errorf("%q is out of range; use 0 to %s", v, maxLatency)
	}
	return d, nil
}

// rateUnits maps a lower-cased unit to bytes per second per unit.
var rateUnits = map[string]float64{
	"bps": 1.0 / 8, "kbps": 1000.0 / 8, "mbps": 1e6 / 8, "gbps": 1e9 / 8,
	"b/s": 1, "kb/s": 1000, "mb/s": 1e6, "gb/s": 1e9, "kib/s": 1024, "mib/s": 1 << 20, "gib/s": 1 << 30,
}

func parseRate(v string) (int64, error) {
	i := 0
	for i < len(v) && (v[i] >= '0' && v[i] <= '9' || v[i] == '.') {
		i++
	}
	num, unit := v[:i], strings.ToLower(strings.TrimSpace(v[i:]))
	n, err := strconv.ParseFloat(num, 64)
	if num == "" || err != nil {
		return 0, fmt.Errorf("%q is not a rate; write it like 500kbps, 1.6Mbps or 200kB/s", v)
	}
	if unit == "" {
		unit = "kbps"
	}
	per, ok := rateUnits[unit]
	if !ok {
		return 0, fmt.Errorf("%q has an unknown unit %q; use bps, kbps, Mbps, Gbps, B/s, kB/s, MB/s, KiB/s or MiB/s", v, unit)
	}
	bytes := n * per
	if bytes < minRate || bytes > maxRate {
		return 0, fmt.Errorf("%q is out of range; use 1kbps to 100Gbps", v)
	}
	return int64(math.Round(bytes)), nil
}

// sleepUntil waits until t or until ctx ends.
func sleepUntil(ctx context.Context, t time.Time) error {
	d := time.Until(t)
	if d <= 0 {
		return ctx.Err()
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// pacer spreads bytes over time at rate bytes per second from start.
type pacer struct {
	rate  int64
	start time.Time
	sent  int64
}

// chunk is how many bytes may go in one write: about 20 ms worth, so that
// a fast rate does not degrade into many tiny writes.
func (p *pacer) chunk() int { return int(max(512, p.rate/50)) }

// wait blocks until n more bytes may be sent.
func (p *pacer) wait(ctx context.Context, n int) error {
	if p.start.IsZero() {
		p.start = time.Now()
	}
	p.sent += int64(n)
	due := p.start.Add(time.Duration(float64(p.sent) / float64(p.rate) * float64(time.Second)))
	return sleepUntil(ctx, due)
}

// wrapResponse returns w shaped by t for a request that arrived at start.
func (t Throttle) wrapResponse(ctx context.Context, w http.ResponseWriter, start time.Time) http.ResponseWriter {
	if !t.Enabled() {
		return w
	}
	tw := &throttledWriter{ResponseWriter: w, ctx: ctx, firstByte: start.Add(t.Latency)}
	if t.Download > 0 {
		tw.pace = &pacer{rate: t.Download}
	}
	return tw
}

// throttledWriter delays the response head by the latency and paces the
// body. Flush and Hijack reach the real writer through Unwrap
// (http.ResponseController), which net/http/httputil.ReverseProxy uses.
type throttledWriter struct {
	http.ResponseWriter
	ctx       context.Context
	firstByte time.Time
	started   bool
	pace      *pacer
}

func (tw *throttledWriter) delay() {
	if !tw.started {
		tw.started = true
		_ = sleepUntil(tw.ctx, tw.firstByte) // a gone client fails the next write
	}
}

func (tw *throttledWriter) WriteHeader(code int) {
	if code >= 200 || code == http.StatusSwitchingProtocols {
		tw.delay()
	}
	tw.ResponseWriter.WriteHeader(code)
}

func (tw *throttledWriter) Write(p []byte) (int, error) {
	tw.delay()
	if tw.pace == nil {
		return tw.ResponseWriter.Write(p)
	}
	written := 0
	for len(p) > 0 {
		n := min(len(p), tw.pace.chunk())
		if err := tw.pace.wait(tw.ctx, n); err != nil {
			return written, err
		}
		m, err := tw.ResponseWriter.Write(p[:n])
		written += m
		if err != nil {
			return written, err
		}
		if f, ok := tw.ResponseWriter.(http.Flusher); ok {
			f.Flush() // pacing means nothing if bytes sit in a buffer
		}
		p = p[n:]
	}
	return written, nil
}

func (tw *throttledWriter) Unwrap() http.ResponseWriter { return tw.ResponseWriter }

// wrapRequestBody paces reads of a request body at t.Upload.
func (t Throttle) wrapRequestBody(ctx context.Context, body io.ReadCloser) io.ReadCloser {
	return &throttledBody{ReadCloser: body, ctx: ctx, pace: &pacer{rate: t.Upload}}
}

type throttledBody struct {
	io.ReadCloser
	ctx  context.Context
	pace *pacer
}

func (b *throttledBody) Read(p []byte) (int, error) {
	if len(p) > b.pace.chunk() {
		p = p[:b.pace.chunk()]
	}
	n, err := b.ReadCloser.Read(p)
	if n > 0 {
		if werr := b.pace.wait(b.ctx, n); werr != nil {
			return n, werr
		}
	}
	return n, err
}
