package lint_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golocal/golocal/internal/lint"
)

func TestParseSetCookie(t *testing.T) {
	cases := []struct {
		in   string
		want lint.SetCookie
	}{
		{"id=1; Secure; HttpOnly; SameSite=Lax; Path=/; Domain=example.test; Max-Age=60",
			lint.SetCookie{Name: "id", Value: "1", Secure: true, HTTPOnly: true, SameSite: "Lax", HasSameSite: true, Path: "/", HasPath: true, Domain: "example.test", HasDomain: true, MaxAge: 60, HasMaxAge: true}},
		{"  id = 1 ;secure", lint.SetCookie{Name: "id", Value: "1", Secure: true}},
		{"novalue", lint.SetCookie{Name: "", Value: "novalue"}},
		{"=", lint.SetCookie{Ignored: "empty name and value"}},
		{"", lint.SetCookie{Ignored: "empty name and value"}},
		{"a=b; Max-Age=abc; Path=relative", lint.SetCookie{Name: "a", Value: "b"}},
		{"a=b; Max-Age=-5", lint.SetCookie{Name: "a", Value: "b", MaxAge: -5, HasMaxAge: true}},
		{"a=b; Max-Age=99999999999999999999999", lint.SetCookie{Name: "a", Value: "b", MaxAge: 1e15, HasMaxAge: true}},
		{"a=b;;;;SameSite", lint.SetCookie{Name: "a", Value: "b", HasSameSite: true}},
		{"a=\x00b", lint.SetCookie{Name: "a", Value: "\x00b", Ignored: "control characters in the name or value"}},
		{"a=b; Expires=Wed, 21 Oct 2015 07:28:00 GMT", lint.SetCookie{Name: "a", Value: "b", HasExpires: true, Expires: time.Date(2015, 10, 21, 7, 28, 0, 0, time.UTC)}},
		{"a=b; Expires=not a date", lint.SetCookie{Name: "a", Value: "b"}},
	}
	for _, tc := range cases {
		got := lint.ParseSetCookie(tc.in)
		if !got.Expires.Equal(tc.want.Expires) {
			t.Errorf("ParseSetCookie(%q).Expires = %v, want %v", tc.in, got.Expires, tc.want.Expires)
		}
		got.Expires, tc.want.Expires = time.Time{}, time.Time{}
		if got != tc.want {
			t.Errorf("ParseSetCookie(%q)\n got %+v\nwant %+v", tc.in, got, tc.want)
		}
	}
}

func TestParseHSTS(t *testing.T) {
	cases := []struct {
		in      string
		maxAge  int64
		sub     bool
		preload bool
		err     string // substring; "" for valid
	}{
		{"max-age=31536000", 31536000, false, false, ""},
		{`max-age="600"; includeSubDomains; PRELOAD`, 600, true, true, ""},
		{"  ; max-age=1 ;; unknown=x", 1, false, false, ""},
		{"includeSubDomains", 0, true, false, "max-age is missing"},
		{"max-age=1; max-age=2", 1, false, false, "twice"},
		{"max-age=-1", 0, false, false, "not a number"},
		{"max-age=1e6", 0, false, false, "not a number"},
		{"max-age=", 0, false, false, "not a number"},
		{`max-age="1`, 0, false, false, "unterminated"},
		{"max-age=99999999999999999999999999", 1e15, false, false, ""},
		{"max age=1", 0, false, false, "not a token"},
		{"", 0, false, false, "max-age is missing"},
	}
	for _, tc := range cases {
		h := lint.ParseHSTS(tc.in)
		if tc.err == "" && h.Err != "" || tc.err != "" && !strings.Contains(h.Err, tc.err) {
			t.Errorf("ParseHSTS(%q).Err = %q, want %q", tc.in, h.Err, tc.err)
			continue
		}
		if tc.err == "" && (h.MaxAge != tc.maxAge || h.IncludeSubDomains != tc.sub || h.Preload != tc.preload) {
			t.Errorf("ParseHSTS(%q) = %+v", tc.in, h)
		}
	}
}

func TestParseCSP(t *testing.T) {
	ps := lint.ParseCSP("default-src 'self'; SCRIPT-SRC 'nonce-x'  https://cdn.example.test;script-src 'none'; bad_name x; ;, img-src *")
	if len(ps) != 2 {
		t.Fatalf("got %d policies", len(ps))
	}
	p := ps[0]
	if src, ok := p.Get("script-src"); !ok || !slices.Equal(src, []string{"'nonce-x'", "https://cdn.example.test"}) {
		t.Errorf("script-src = %q", src)
	}
	if !slices.Equal(p.Duplicates, []string{"script-src"}) {
		t.Errorf("duplicates = %q", p.Duplicates)
	}
	if _, ok := p.Get("bad_name"); ok {
		t.Error("invalid directive name kept")
	}
	if src, _ := ps[1].Get("img-src"); !slices.Equal(src, []string{"*"}) {
		t.Errorf("second policy = %+v", ps[1])
	}
	for _, in := range []string{"", ";;;", ",,,", "\xff\xfe", strings.Repeat("a ", 1e5)} {
		_ = lint.ParseCSP(in)
	}
	many := lint.ParseCSP(strings.Repeat("d-x a;", 5000))
	if len(many[0].Directives) != 1 || len(many[0].Duplicates) != 4999 {
		t.Errorf("duplicates of one directive: %d kept, %d dups", len(many[0].Directives), len(many[0].Duplicates))
	}
}

func TestParseCacheControl(t *testing.T) {
	cc := lint.ParseCacheControl(`max-age=60, no-cache="set-cookie, x-a", Private, max-age=10,,`)
	if v, _ := cc.Get("max-age"); v != "60" {
		t.Errorf("max-age = %q", v)
	}
	if v, _ := cc.Get("no-cache"); v != "set-cookie, x-a" {
		t.Errorf("no-cache = %q", v)
	}
	if !cc.Has("private") || !slices.Equal(cc.Duplicates, []string{"max-age"}) {
		t.Errorf("%+v", cc)
	}
	for _, in := range []string{"", "=", `"`, `a="unterminated`, "\x00,\xff"} {
		_ = lint.ParseCacheControl(in)
	}
}

func TestParseMediaType(t *testing.T) {
	cases := []struct {
		in        string
		essence   string
		charset   string
		dropped   int
		semiSpace bool
	}{
		{"text/html; charset=utf-8", "text/html", "utf-8", 0, false},
		{"Text/HTML ; Charset=\"UTF-8\"", "text/html", "UTF-8", 0, true},
		{"text/html; charset =utf-8", "text/html", "", 1, false},
		{"text/html; charset= utf-8", "text/html", "", 1, false},
		{"text/html;charset=a;charset=b", "text/html", "a", 0, false},
		{"text", "", "", 0, false},
		{"", "", "", 0, false},
		{"te xt/html", "", "", 0, false},
		{`text/plain; x="a;b"; charset=utf-8`, "text/plain", "utf-8", 0, false},
	}
	for _, tc := range cases {
		mt := lint.ParseMediaType(tc.in)
		if mt.Essence != tc.essence || mt.Params["charset"] != tc.charset || len(mt.Dropped) != tc.dropped || mt.SpaceBeforeSemi != tc.semiSpace {
			t.Errorf("ParseMediaType(%q) = %+v", tc.in, mt)
		}
	}
}

func TestParseSFDictionary(t *testing.T) {
	valid := []string{
		"camera=(), geolocation=(self \"https://example.test\")",
		"a, b;x=1, c=?0, d=:aGk=:, e=1.5, f=-3, g=\"s\\\"q\"",
		"fullscreen=*",
		"",
		"  a  ",
	}
	for _, in := range valid {
		if _, err := lint.ParseSFDictionary(in); err != nil {
			t.Errorf("ParseSFDictionary(%q): %v", in, err)
		}
	}
	invalid := []string{
		"camera 'none'; geolocation 'self'",
		"Camera=()",
		"a=(",
		"a=\"unterminated",
		"a,",
		"a=(1 2",
		"a=?2",
		"a=:bad!:",
		"a=\"\xff\"",
		"a=",
		"a=1;B=2",
	}
	for _, in := range invalid {
		if _, err := lint.ParseSFDictionary(in); err == nil {
			t.Errorf("ParseSFDictionary(%q) accepted", in)
		}
	}
	if v, err := lint.ParseSFItem("same-origin; report-to=\"x\""); err != nil || v != "same-origin" {
		t.Errorf("ParseSFItem = %q, %v", v, err)
	}
	if _, err := lint.ParseSFItem("same-origin junk"); err == nil {
		t.Error("ParseSFItem accepted trailing junk")
	}
}

func FuzzParseCSP(f *testing.F) {
	for _, s := range []string{"default-src 'self'", "script-src 'nonce-a' 'strict-dynamic', img-src *", ";;", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, p := range lint.ParseCSP(s) {
			for _, d := range p.Directives {
				if d.Name == "" || strings.ToLower(d.Name) != d.Name {
					t.Fatalf("bad directive name %q", d.Name)
				}
			}
		}
	})
}

func FuzzParseSetCookie(f *testing.F) {
	for _, s := range []string{"a=b; Secure; SameSite=None", "__Host-x=1; Path=/; Domain=x", "x", "=;;=", "a=b; Max-Age=-0; Expires=Wed, 21 Oct 2015 07:28:00 GMT"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ck := lint.ParseSetCookie(s)
		if len(ck.Name)+len(ck.Value) > len(s) {
			t.Fatalf("name+value longer than input")
		}
	})
}

func FuzzParseHSTS(f *testing.F) {
	for _, s := range []string{"max-age=1; includeSubDomains", `max-age="2"`, "max-age=1;max-age=1", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		h := lint.ParseHSTS(s)
		if h.Err == "" && !h.HasMaxAge {
			t.Fatalf("valid without max-age: %q", s)
		}
	})
}

func FuzzParseSFDictionary(f *testing.F) {
	for _, s := range []string{"camera=()", "a=(1 \"x\" ?1);p=:aGk=:", "a, b", "camera 'none'"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		_, _ = lint.ParseSFDictionary(s)
		_, _ = lint.ParseSFItem(s)
	})
}

func FuzzParseCacheControl(f *testing.F) {
	for _, s := range []string{"no-store, max-age=0", `no-cache="set-cookie"`, `"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		cc := lint.ParseCacheControl(s)
		if len(cc.Directives) > 1000 {
			t.Fatal("unbounded")
		}
	})
}
