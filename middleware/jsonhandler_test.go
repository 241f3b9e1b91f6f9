package middleware

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"testing/slogtest"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/golocal/golocal/trace"
)

func TestJSONHandlerSlogtest(t *testing.T) {
	var buf bytes.Buffer
	h := NewJSONHandler(&buf, nil)
	results := func() []map[string]any {
		var ms []map[string]any
		for line := range bytes.SplitSeq(bytes.TrimSpace(buf.Bytes()), []byte{'\n'}) {
			if len(line) == 0 {
				continue
			}
			var m map[string]any
			if err := json.Unmarshal(line, &m); err != nil {
				t.Fatalf("line is not JSON: %q: %v", line, err)
			}
			ms = append(ms, m)
		}
		return ms
	}
	if err := slogtest.TestHandler(h, results); err != nil {
		t.Fatal(err)
	}
}

// Types exercising slog's special cases.
type (
	valuer        struct{ v slog.Value }
	panicValuer   struct{}
	marshaler     struct{ s string }
	errMarshaler  struct{}
	textOnly      struct{ s string }
	nilErrPointer struct{}
)

func (v valuer) LogValue() slog.Value             { return v.v }
func (panicValuer) LogValue() slog.Value          { panic("boom") }
func (m marshaler) MarshalJSON() ([]byte, error)  { return json.Marshal("m:" + m.s) }
func (errMarshaler) MarshalJSON() ([]byte, error) { return nil, errors.New("cannot") }
func (errMarshaler) Error() string                { return "errMarshaler as error" }
func (t textOnly) MarshalText() ([]byte, error)   { return []byte("t:" + t.s), nil }
func (p *nilErrPointer) Error() string            { _ = *p; return "unreachable" }

var (
	zoneEast = time.FixedZone("east", 5*3600+30*60)
	zoneWest = time.FixedZone("west", -(3*3600 + 30*60))
	zoneSecs = time.FixedZone("lmt", -(0*3600 + 17*60 + 30)) // an offset with seconds
)

// jsonCase is one record given to both handlers.
type jsonCase struct {
	name  string
	opts  *slog.HandlerOptions
	setup func(slog.Handler) slog.Handler // WithAttrs/WithGroup before the record
	t     time.Time
	level slog.Level
	msg   string
	attrs []slog.Attr
	// invalidInSlog: slog.JSONHandler writes invalid JSON for this record
	// (a group emptied by ReplaceAttr or holding only empty attributes
	// leaves a missing comma), so only our output is checked for validity.
	invalidInSlog bool
	// stackInOutput: the output holds a stack trace, which differs between
	// the handlers below the point of the panic; only the part before it
	// is compared.
	stackInOutput bool
}

var fixedTime = time.Date(2026, 3, 14, 15, 9, 26, 535897932, time.UTC)

func jsonCases() []jsonCase {
	dropKey := func(key string) func([]string, slog.Attr) slog.Attr {
		return func(_ []string, a slog.Attr) slog.Attr {
			if a.Key == key {
				return slog.Attr{}
			}
			return a
		}
	}
	return []jsonCase{
		{name: "access log record", t: fixedTime, msg: "request", attrs: []slog.Attr{
			slog.String("method", "GET"), slog.String("route", "GET /hello/{name}"), slog.String("path", "/hello/world"),
			slog.Int("status", 200), slog.Int64("bytes", 13), slog.Duration("duration", 1234567),
			slog.String("trace_id", "4bf92f3577b34da6a3ce929d0e0e4736"), slog.String("remote", "192.0.2.1:1234")}},
		{name: "no attrs", t: fixedTime, msg: "hello"},
		{name: "zero time omitted", msg: "no time", attrs: []slog.Attr{slog.Int("a", 1)}},
		{name: "levels", t: fixedTime, level: slog.LevelWarn + 2, msg: "w", attrs: []slog.Attr{slog.Any("lvl", slog.LevelError)}},
		{name: "debug filtered", t: fixedTime, level: slog.LevelDebug - 1, msg: "x", opts: &slog.HandlerOptions{Level: slog.LevelDebug - 4}},
		{name: "escaping", t: fixedTime, msg: "quote\" backslash\\ nl\n cr\r tab\t nul\x00 bell\x07 del\x7f <html>&amp;",
			attrs: []slog.Attr{
				slog.String("bad utf8", "a\xffb\xc3(c\xed\xa0\x80"),
				slog.String("separators", "x\u2028y\u2029z"),
				slog.String("unicode", "héllo wörld ✓ 日本 😀"),
				slog.String("key \"quoted\"\n", "v"),
			}},
		{name: "all kinds", t: fixedTime, msg: "kinds", attrs: []slog.Attr{
			slog.Int64("i", math.MinInt64), slog.Uint64("u", math.MaxUint64), slog.Bool("t", true), slog.Bool("f", false),
			slog.Float64("f1", 1.5), slog.Float64("f2", 1e21), slog.Float64("f3", 1e-7), slog.Float64("f4", -0.000001),
			slog.Float64("f5", 123456789.125), slog.Float64("f6", 0), slog.Float64("f7", math.Copysign(0, -1)),
			slog.Float64("f8", 5e-324), slog.Float64("f9", math.MaxFloat64), slog.Float64("f10", 1e20),
			slog.Float64("nan", math.NaN()), slog.Float64("inf", math.Inf(-1)),
			slog.Duration("d", -90*time.Minute), slog.Duration("dmax", math.MaxInt64),
			slog.Time("t1", time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)),
			slog.Time("t2", time.Date(9999, 12, 31, 23, 59, 59, 999999999, zoneEast)),
			slog.Time("t3", time.Date(2000, 2, 29, 12, 0, 0, 100, zoneWest)),
			slog.Time("t4", time.Date(1969, 12, 31, 23, 59, 59, 10, zoneSecs)),
			slog.Time("t5", time.Date(1600, 3, 1, 0, 0, 0, 0, time.UTC)),
			slog.Time("t6", time.Now()), // with a monotonic reading
			slog.Any("err", errors.New("it failed: <bad>")),
			slog.Any("wrapped", fmt.Errorf("outer: %w", io.EOF)),
			slog.Any("marshaler", marshaler{"x"}),
			slog.Any("err marshaler", errMarshaler{}),
			slog.Any("text", textOnly{"y"}),
			slog.Any("addr", netip.MustParseAddr("2001:db8::1")),
			slog.Any("map", map[string]any{"b": 1, "a": []int{1, 2}, "h": "<&>"}),
			slog.Any("bytes", []byte("bin\x00")),
			slog.Any("nil", nil),
			slog.Any("nil ptr error", (*nilErrPointer)(nil)),
			slog.Any("chan", make(chan int)),
			slog.Any("struct", struct {
				A int
				B string `json:"b,omitempty"`
			}{A: 1}),
			slog.Any("valuer", valuer{slog.IntValue(7)}),
			slog.Any("valuer group", valuer{slog.GroupValue(slog.String("in", "side"))}),
		}},
		{name: "panicking LogValuer", t: fixedTime, msg: "m", stackInOutput: true,
			attrs: []slog.Attr{slog.Any("panic valuer", panicValuer{}), slog.Int("after", 1)}},
		{name: "empty attrs", t: fixedTime, msg: "m", attrs: []slog.Attr{
			{}, slog.Int("", 1), slog.String("", ""), slog.Any("", nil), slog.Group("empty"),
			slog.Group("", slog.Int("inlined", 2)), slog.Group("g", slog.Group("h")), slog.Int("last", 3)}},
		{name: "nested groups", t: fixedTime, msg: "m", attrs: []slog.Attr{
			slog.Group("a", slog.Int("x", 1), slog.Group("b", slog.String("y", "z"), slog.Group("c", slog.Bool("deep", true)))),
			slog.Int("after", 2)}},
		{name: "WithAttrs", t: fixedTime, msg: "m", attrs: []slog.Attr{slog.Int("rec", 1)},
			setup: func(h slog.Handler) slog.Handler {
				return h.WithAttrs([]slog.Attr{slog.String("svc", "orders"), slog.Group("build", slog.String("v", "1.2"))}).
					WithAttrs([]slog.Attr{slog.Int("n", 2)})
			}},
		{name: "WithGroup then attrs", t: fixedTime, msg: "m", attrs: []slog.Attr{slog.Int("rec", 1)},
			setup: func(h slog.Handler) slog.Handler {
				return h.WithAttrs([]slog.Attr{slog.Int("top", 0)}).WithGroup("g1").WithAttrs([]slog.Attr{slog.Int("in1", 1)}).
					WithGroup("g2").WithAttrs([]slog.Attr{slog.Int("in2", 2)}).WithGroup("g3")
			}},
		{name: "WithGroup, record without attrs", t: fixedTime, msg: "m",
			setup: func(h slog.Handler) slog.Handler {
				return h.WithAttrs([]slog.Attr{slog.Int("a", 1)}).WithGroup("g").WithAttrs([]slog.Attr{slog.Int("b", 2)}).WithGroup("h")
			}},
		{name: "WithGroup, only empty attrs", t: fixedTime, msg: "m", attrs: []slog.Attr{{}},
			setup: func(h slog.Handler) slog.Handler { return h.WithGroup("g") }},
		{name: "WithAttrs of empty groups only", t: fixedTime, msg: "m", attrs: []slog.Attr{slog.Int("a", 1)},
			setup: func(h slog.Handler) slog.Handler {
				return h.WithGroup("g").WithAttrs([]slog.Attr{slog.Group("e")}).WithAttrs([]slog.Attr{{}})
			}},
		{name: "ReplaceAttr drops time and renames", t: fixedTime, msg: "m", attrs: []slog.Attr{
			slog.Int("a", 1), slog.Group("g", slog.String("secret", "x"), slog.Int("b", 2))},
			opts: &slog.HandlerOptions{ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
				switch {
				case len(groups) == 0 && a.Key == slog.TimeKey:
					return slog.Attr{}
				case a.Key == "secret":
					return slog.String("secret", "REDACTED in "+strings.Join(groups, "."))
				case a.Key == slog.LevelKey:
					return slog.String("severity", a.Value.String())
				case a.Key == slog.MessageKey:
					return slog.Any("message", valuer{slog.StringValue("resolved " + a.Value.String())})
				}
				a.Key = strings.Join(append(groups, a.Key), "/")
				return a
			}},
			setup: func(h slog.Handler) slog.Handler {
				return h.WithGroup("outer").WithAttrs([]slog.Attr{slog.Int("pre", 0)}).WithGroup("inner")
			}},
		{name: "ReplaceAttr keeps time, changes it", t: fixedTime, msg: "m",
			opts: &slog.HandlerOptions{ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
				if a.Key == slog.TimeKey {
					return slog.Time("ts", a.Value.Time().In(zoneWest))
				}
				return a
			}}},
		{name: "ReplaceAttr empties a group", t: fixedTime, msg: "m", invalidInSlog: true,
			attrs: []slog.Attr{slog.Int("a", 1), slog.Group("g", slog.Int("drop", 1)), slog.Int("b", 2)},
			opts:  &slog.HandlerOptions{ReplaceAttr: dropKey("drop")}},
		{name: "group of empty attrs", t: fixedTime, msg: "m", invalidInSlog: true,
			attrs: []slog.Attr{slog.Int("a", 1), slog.Group("g", slog.Attr{}), slog.Int("b", 2)}},
		{name: "AddSource without PC", t: fixedTime, msg: "m", opts: &slog.HandlerOptions{AddSource: true}},
		{name: "source attr", t: fixedTime, msg: "m", attrs: []slog.Attr{
			slog.Any("src", &slog.Source{Function: "f", File: "x.go", Line: 3}), slog.Any("empty src", &slog.Source{})}},
	}
}

// TestJSONHandlerMatchesSlog runs every case through slog.JSONHandler and
// JSONHandler: same bytes (same JSON after unmarshalling, where slog's
// output is invalid), and always valid JSON from ours.
func TestJSONHandlerMatchesSlog(t *testing.T) {
	for _, tc := range jsonCases() {
		t.Run(tc.name, func(t *testing.T) {
			var want, got bytes.Buffer
			var hw, hg slog.Handler = slog.NewJSONHandler(&want, tc.opts), NewJSONHandler(&got, tc.opts)
			if tc.setup != nil {
				hw, hg = tc.setup(hw), tc.setup(hg)
			}
			ctx := context.Background()
			if hw.Enabled(ctx, tc.level) != hg.Enabled(ctx, tc.level) {
				t.Fatalf("Enabled(%v): slog %v, ours %v", tc.level, hw.Enabled(ctx, tc.level), hg.Enabled(ctx, tc.level))
			}
			rec := slog.NewRecord(tc.t, tc.level, tc.msg, 0)
			rec.AddAttrs(tc.attrs...)
			if err := hw.Handle(ctx, rec.Clone()); err != nil {
				t.Fatal(err)
			}
			if err := hg.Handle(ctx, rec.Clone()); err != nil {
				t.Fatal(err)
			}
			if !json.Valid(got.Bytes()) || bytes.Count(got.Bytes(), []byte{'\n'}) != 1 {
				t.Fatalf("not one line of valid JSON: %s", got.Bytes())
			}
			if tc.invalidInSlog {
				if json.Valid(want.Bytes()) {
					t.Logf("slog now writes valid JSON here; compare bytes again: %s", want.Bytes())
				}
				return
			}
			if tc.stackInOutput {
				const cut = "panicked\\ncalled from "
				w, _, _ := strings.Cut(want.String(), cut)
				g, _, _ := strings.Cut(got.String(), cut)
				if w != g || !strings.Contains(got.String(), cut) {
					t.Errorf("output differs from slog.JSONHandler\nslog: %s ours: %s", want.Bytes(), got.Bytes())
				}
				return
			}
			if got.String() != want.String() {
				t.Errorf("output differs from slog.JSONHandler\nslog: %s ours: %s", want.Bytes(), got.Bytes())
			}
			var mw, mg any
			if err := json.Unmarshal(want.Bytes(), &mw); err != nil {
				t.Fatalf("slog's output is not JSON: %v", err)
			}
			if err := json.Unmarshal(got.Bytes(), &mg); err != nil {
				t.Fatal(err)
			}
			if d := cmp.Diff(mw, mg); d != "" {
				t.Errorf("unmarshalled output differs (-slog +ours):\n%s", d)
			}
		})
	}
}

// testSpan is a span with the trace id of the hex string id.
func testSpan(t testing.TB, id string) *trace.Span {
	t.Helper()
	tp, err := trace.ParseTraceparent("00-" + id + "-00f067aa0ba902b7-01")
	if err != nil {
		t.Fatal(err)
	}
	return &trace.Span{TraceID: tp.TraceID}
}

// TestJSONHandlerAccessRecord checks that handleAccess (the access log's
// path: no slog.Record, constant keys) writes exactly what slog.JSONHandler
// writes for the same attributes, under every handler configuration.
func TestJSONHandlerAccessRecord(t *testing.T) {
	recs := []accessRecord{
		{method: "GET", route: "GET /hello/{name}", path: "/hello/world", status: 200, bytes: 13,
			duration: 1234567, span: testSpan(t, "4bf92f3577b34da6a3ce929d0e0e4736"), remote: "192.0.2.1:1234"},
		{method: "PØST\x00", route: "", path: "/\"quoted\"\n\xff/\u2028", status: 499, bytes: -1,
			duration: -5, span: &trace.Span{}, remote: "[::1]:80", requestID: "client-id", panicked: true},
	}
	setups := []struct {
		name  string
		opts  *slog.HandlerOptions
		setup func(slog.Handler) slog.Handler
	}{
		{name: "plain"},
		{name: "AddSource", opts: &slog.HandlerOptions{AddSource: true, Level: slog.LevelDebug}},
		{name: "WithAttrs", setup: func(h slog.Handler) slog.Handler { return h.WithAttrs([]slog.Attr{slog.String("svc", "x")}) }},
		{name: "WithGroup", setup: func(h slog.Handler) slog.Handler { return h.WithGroup("http") }},
		{name: "WithGroup WithAttrs WithGroup", setup: func(h slog.Handler) slog.Handler {
			return h.WithGroup("a").WithAttrs([]slog.Attr{slog.Int("n", 1)}).WithGroup("b")
		}},
		{name: "ReplaceAttr", opts: &slog.HandlerOptions{ReplaceAttr: func(g []string, a slog.Attr) slog.Attr {
			if a.Key == "remote" {
				return slog.Attr{}
			}
			return a
		}}},
	}
	for _, su := range setups {
		for i, ar := range recs {
			t.Run(fmt.Sprintf("%s/%d", su.name, i), func(t *testing.T) {
				var want, got bytes.Buffer
				var hw, hg slog.Handler = slog.NewJSONHandler(&want, su.opts), NewJSONHandler(&got, su.opts)
				if su.setup != nil {
					hw, hg = su.setup(hw), su.setup(hg)
				}
				var buf [11]slog.Attr
				rec := slog.NewRecord(fixedTime, slog.LevelInfo, "request", 0)
				rec.AddAttrs(ar.attrs(&buf)...)
				if err := hw.Handle(context.Background(), rec); err != nil {
					t.Fatal(err)
				}
				if err := hg.(*JSONHandler).handleAccess(fixedTime, slog.LevelInfo, "request", &ar); err != nil {
					t.Fatal(err)
				}
				if got.String() != want.String() {
					t.Errorf("handleAccess differs from slog.JSONHandler\nslog: %s ours: %s", want.Bytes(), got.Bytes())
				}
			})
		}
	}
}

// TestJSONHandlerWithGroupEmpty: the slog.Handler contract says
// WithGroup("") returns the receiver (slog.JSONHandler instead opens a group
// named ""; slog.Logger.WithGroup never passes "" on).
func TestJSONHandlerWithGroupEmpty(t *testing.T) {
	h := NewJSONHandler(io.Discard, nil)
	if h.WithGroup("") != slog.Handler(h) {
		t.Error(`WithGroup("") did not return the receiver`)
	}
	if h.WithAttrs(nil) != slog.Handler(h) || h.WithAttrs([]slog.Attr{slog.Group("empty")}) != slog.Handler(h) {
		t.Error("WithAttrs with nothing to add did not return the receiver")
	}
}

func TestJSONHandlerAddSource(t *testing.T) {
	var buf bytes.Buffer
	slog.New(NewJSONHandler(&buf, &slog.HandlerOptions{AddSource: true})).Info("here")
	var m struct {
		Source struct {
			Function, File string
			Line           int
		}
	}
	if err := json.Unmarshal(buf.Bytes(), &m); err != nil {
		t.Fatalf("%v: %s", err, buf.Bytes())
	}
	if !strings.HasSuffix(m.Source.Function, "TestJSONHandlerAddSource") || !strings.HasSuffix(m.Source.File, "jsonhandler_test.go") || m.Source.Line == 0 {
		t.Errorf("source = %+v", m.Source)
	}
}

// TestRFC3339Nano compares the formatter with time.Time.AppendFormat on
// random instants across the whole representable range of years and in
// several zones, plus the edges.
func TestRFC3339Nano(t *testing.T) {
	zones := []*time.Location{time.UTC, time.Local, zoneEast, zoneWest, zoneSecs, time.FixedZone("z0", 0)}
	if ny, err := time.LoadLocation("America/New_York"); err == nil {
		zones = append(zones, ny)
	}
	times := []time.Time{
		{}, time.Unix(0, 0), time.Unix(-1, 999999999), time.Unix(951782400, 0), // 2000-02-29
		time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC),
		time.Date(-1, 12, 31, 0, 0, 0, 0, time.UTC), time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2100, 2, 28, 1, 2, 3, 4, time.UTC), time.Date(1900, 3, 1, 0, 0, 0, 1000, time.UTC),
	}
	rnd := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		sec := rnd.Int64N(400*365*86400*30) - 400*365*86400*15 // about ±6000 years around 1970
		times = append(times, time.Unix(sec, rnd.Int64N(1e9)))
	}
	// Runs within one second, to exercise the cache of the last second.
	base := time.Date(2026, 12, 1, 23, 59, 58, 0, time.UTC)
	for i := range 3000 {
		times = append(times, base.Add(time.Duration(i)*time.Millisecond+time.Duration(rnd.IntN(1000))))
	}
	var cache clockCache
	for _, tm := range times {
		for _, z := range zones {
			tz := tm.In(z)
			want := tz.AppendFormat(nil, time.RFC3339Nano)
			if got := appendRFC3339Nano(nil, tz, nil); string(got) != string(want) {
				t.Fatalf("%v: got %s, want %s", tz, got, want)
			}
			if got := appendRFC3339Nano([]byte("x"), tz, &cache); string(got[1:]) != string(want) {
				t.Fatalf("%v with the cache: got %s, want %s", tz, got[1:], want)
			}
		}
	}
}

// TestJSONHandlerConcurrent writes from many goroutines, through derived
// handlers sharing the writer: every line must be whole, valid JSON.
func TestJSONHandlerConcurrent(t *testing.T) {
	var out bytes.Buffer // not safe on its own: the handler's mutex protects it
	root := NewJSONHandler(&out, nil)
	const goroutines, records = 8, 200
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l := slog.New(root.WithAttrs([]slog.Attr{slog.Int("g", g)}).WithGroup("req"))
			for i := range records {
				l.Info(strings.Repeat("x", i), "i", i, "s", strings.Repeat("é\n", g*50))
			}
		}()
	}
	wg.Wait()
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != goroutines*records {
		t.Fatalf("%d lines, want %d", len(lines), goroutines*records)
	}
	for _, line := range lines {
		if !json.Valid([]byte(line)) {
			t.Fatalf("invalid line: %q", line)
		}
	}
}

// failWriter reports an error on every write.
type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestJSONHandlerWriteError(t *testing.T) {
	tests := []struct {
		name string
		w    io.Writer
		want string
	}{
		{"writer fails", failWriter{}, "disk full"},
		{"nil writer", nil, "JSONHandler has no writer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := NewJSONHandler(tt.w, nil)
			err := h.Handle(context.Background(), slog.NewRecord(fixedTime, slog.LevelInfo, "m", 0))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Handle: err = %v, want one containing %q", err, tt.want)
			}
			ar := accessRecord{method: "GET"}
			if err := h.handleAccess(fixedTime, slog.LevelInfo, "request", &ar); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("handleAccess: err = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

// FuzzJSONHandler feeds arbitrary strings as message, key and values: the
// output must be one line of valid JSON that decodes to what slog.JSONHandler's
// output decodes to.
func FuzzJSONHandler(f *testing.F) {
	f.Add("msg", "key", "value", "group")
	f.Add("\x00\x1f\"\\", "\xff\xfe", "\u2028\u2029", "")
	f.Add("<script>&", "é", "\xed\xa0\x80", "g\n")
	f.Fuzz(func(t *testing.T, msg, key, val, group string) {
		var want, got bytes.Buffer
		var hw, hg slog.Handler = slog.NewJSONHandler(&want, nil), NewJSONHandler(&got, nil)
		hw, hg = hw.WithAttrs([]slog.Attr{slog.String(key, val)}), hg.WithAttrs([]slog.Attr{slog.String(key, val)})
		if group != "" { // slog.JSONHandler.WithGroup("") opens a group named "", against the Handler contract
			hw, hg = hw.WithGroup(group), hg.WithGroup(group)
		}
		rec := slog.NewRecord(fixedTime, slog.LevelInfo, msg, 0)
		rec.AddAttrs(slog.String(val, key), slog.Group(group, slog.String(key, msg)), slog.Any(key, errors.New(val)))
		_ = hw.Handle(context.Background(), rec.Clone())
		_ = hg.Handle(context.Background(), rec.Clone())
		if !json.Valid(got.Bytes()) || bytes.IndexByte(got.Bytes(), '\n') != got.Len()-1 {
			t.Fatalf("not one line of valid JSON: %q", got.Bytes())
		}
		if got.String() != want.String() {
			t.Fatalf("differs from slog.JSONHandler:\nslog: %q\nours: %q", want.Bytes(), got.Bytes())
		}

		// The access log's path, with the same strings as request fields
		// (and the group's bytes as a trace id, zero included).
		want.Reset()
		var sp trace.Span
		copy(sp.TraceID[:], group)
		got.Reset()
		ar := accessRecord{method: msg, route: key, path: val, status: len(msg), bytes: int64(len(val)),
			duration: time.Duration(len(key)), span: &sp, remote: val + key, requestID: key}
		var buf [11]slog.Attr
		rec = slog.NewRecord(fixedTime, slog.LevelInfo, msg, 0)
		rec.AddAttrs(ar.attrs(&buf)...)
		_ = slog.NewJSONHandler(&want, nil).Handle(context.Background(), rec)
		_ = NewJSONHandler(&got, nil).handleAccess(fixedTime, slog.LevelInfo, msg, &ar)
		if !json.Valid(got.Bytes()) || got.String() != want.String() {
			t.Fatalf("access record differs from slog.JSONHandler or is invalid:\nslog: %q\nours: %q", want.Bytes(), got.Bytes())
		}
	})
}

// BenchmarkJSONHandler compares JSONHandler with slog.JSONHandler on the
// access log's record, side by side, and prints the ratio.
func BenchmarkJSONHandler(b *testing.B) {
	attrs := []slog.Attr{
		slog.String("method", "GET"), slog.String("route", "GET /hello/{name}"), slog.String("path", "/hello/world"),
		slog.Int("status", 200), slog.Int64("bytes", 13), slog.Duration("duration", 1234567),
		slog.String("trace_id", "4bf92f3577b34da6a3ce929d0e0e4736"), slog.String("remote", "192.0.2.1:1234"),
	}
	now := time.Now()
	ns := map[string]float64{}
	for _, c := range []struct {
		name string
		h    slog.Handler
	}{
		{"slog.JSONHandler", slog.NewJSONHandler(io.Discard, nil)},
		{"middleware.JSONHandler", NewJSONHandler(io.Discard, nil)},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			ctx := context.Background()
			for b.Loop() {
				rec := slog.NewRecord(now, slog.LevelInfo, "request", 0)
				rec.AddAttrs(attrs...)
				_ = c.h.Handle(ctx, rec)
			}
			ns[c.name] = float64(b.Elapsed().Nanoseconds()) / float64(b.N)
		})
	}
	b.Run("middleware.JSONHandler-access", func(b *testing.B) {
		b.ReportAllocs()
		h := NewJSONHandler(io.Discard, nil)
		rec := accessRecord{method: "GET", route: "GET /hello/{name}", path: "/hello/world", status: 200, bytes: 13,
			duration: 1234567, span: testSpan(b, "4bf92f3577b34da6a3ce929d0e0e4736"), remote: "192.0.2.1:1234"}
		for b.Loop() {
			_ = h.handleAccess(now, slog.LevelInfo, "request", &rec)
		}
		ns["access"] = float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	})
	if s, m := ns["slog.JSONHandler"], ns["middleware.JSONHandler"]; s > 0 && m > 0 {
		fmt.Printf("slog.JSONHandler %.0f ns, JSONHandler %.0f ns (%.2fx faster), AccessLog's path %.0f ns (%.2fx)\n", s, m, s/m, ns["access"], s/ns["access"])
	}
}
