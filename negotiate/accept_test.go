package negotiate

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func mr(typ, sub string, q float64, params ...string) MediaRange {
	m := MediaRange{Type: typ, Subtype: sub, Q: q}
	for i := 0; i+1 < len(params); i += 2 {
		m.Params = append(m.Params, Param{Name: params[i], Value: params[i+1]})
	}
	return m
}

func TestParseAccept(t *testing.T) {
	tests := []struct {
		name  string
		lines []string
		want  []MediaRange
	}{
		{"absent", nil, nil},
		{"empty line", []string{""}, nil},
		{"single", []string{"text/html"}, []MediaRange{mr("text", "html", 1)}},
		{"several field lines", []string{"text/html", "application/json;q=0.5"},
			[]MediaRange{mr("text", "html", 1), mr("application", "json", 0.5)}},
		{"case folded", []string{"TEXT/HTML;Level=1;Q=0.5"}, []MediaRange{mr("text", "html", 0.5, "level", "1")}},
		{"empty members", []string{" , ,text/html,, ,"}, []MediaRange{mr("text", "html", 1)}},
		{"OWS around ; and ,", []string{"text/html ;\tlevel=1 ; q=0.2 ,  text/plain"},
			[]MediaRange{mr("text", "html", 0.2, "level", "1"), mr("text", "plain", 1)}},
		{"empty parameters", []string{"text/html;;level=1;"}, []MediaRange{mr("text", "html", 1, "level", "1")}},
		{"wildcards", []string{"*/*;q=0.1, text/*;q=0.2"}, []MediaRange{mr("*", "*", 0.1), mr("text", "*", 0.2)}},
		{"*/subtype is invalid", []string{"*/html, text/plain"}, []MediaRange{mr("text", "plain", 1)}},
		{"q=0 kept: it means not acceptable", []string{"*/*;q=0"}, []MediaRange{mr("*", "*", 0)}},
		{"q three decimals", []string{"a/b;q=0.001, c/d;q=0.999, e/f;q=1.000, g/h;q=0., i/j;q=1."},
			[]MediaRange{mr("a", "b", 0.001), mr("c", "d", 0.999), mr("e", "f", 1), mr("g", "h", 0), mr("i", "j", 1)}},
		{"q=1.0001 invalid", []string{"text/html;q=1.0001, text/plain"}, []MediaRange{mr("text", "plain", 1)}},
		{"q four decimals invalid", []string{"text/html;q=0.5000"}, nil},
		{"q above 1 invalid", []string{"text/html;q=1.001, a/b;q=2, a/c;q=1.5"}, nil},
		{"q negative invalid", []string{"text/html;q=-1"}, nil},
		{"q without leading digit invalid", []string{"text/html;q=.5"}, nil},
		{"q empty invalid", []string{"text/html;q="}, nil},
		{"q quoted invalid", []string{`text/html;q="0.5"`}, nil},
		{"q exponent invalid", []string{"text/html;q=1e0, a/b;q=0x1"}, nil},
		{"accept-ext after q ignored", []string{"text/html;q=0.5;ext=1;q=0.1"}, []MediaRange{mr("text", "html", 0.5)}},
		{"quoted string with comma and semicolon", []string{`text/plain;x="a, b; c";q=0.5, application/json`},
			[]MediaRange{mr("text", "plain", 0.5, "x", "a, b; c"), mr("application", "json", 1)}},
		{"quoted-pair", []string{`text/plain;x="a\"b\\c"`}, []MediaRange{mr("text", "plain", 1, "x", `a"b\c`)}},
		{"obs-text in quoted string", []string{"text/plain;x=\"caf\xc3\xa9\""}, []MediaRange{mr("text", "plain", 1, "x", "caf\xc3\xa9")}},
		{"empty quoted value", []string{`text/plain;x=""`}, []MediaRange{mr("text", "plain", 1, "x", "")}},
		{"unterminated quote swallows its line only", []string{`text/plain;x="abc, application/json`, "image/png"},
			[]MediaRange{mr("image", "png", 1)}},
		{"duplicate parameter invalid", []string{"text/html;a=1;A=2, text/plain"}, []MediaRange{mr("text", "plain", 1)}},
		{"BWS around = invalid", []string{"text/html;level = 1, text/plain"}, []MediaRange{mr("text", "plain", 1)}},
		{"missing subtype", []string{"text, text/, /html, text/html"}, []MediaRange{mr("text", "html", 1)}},
		{"garbage after subtype", []string{"text/html garbage, text/plain"}, []MediaRange{mr("text", "plain", 1)}},
		{"parameter without value", []string{"text/html;level, text/plain;level=, a/b"}, []MediaRange{mr("a", "b", 1)}},
		{"NUL byte", []string{"text/ht\x00ml, application/json"}, []MediaRange{mr("application", "json", 1)}},
		{"control bytes", []string{"text/html\x01, \x1b[31mtext/plain, application/json\x7f, a/b"}, []MediaRange{mr("a", "b", 1)}},
		{"control byte in quoted string", []string{"text/plain;x=\"a\x01\", a/b"}, []MediaRange{mr("a", "b", 1)}},
		{"CR LF", []string{"text/html\r\nX-Injected: 1, a/b"}, []MediaRange{mr("a", "b", 1)}},
		{"non-ASCII token", []string{"text/h\xc3\xa9ml, a/b"}, []MediaRange{mr("a", "b", 1)}},
		{"vendor +json", []string{"application/vnd.orders.v2+json"}, []MediaRange{mr("application", "vnd.orders.v2+json", 1)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ParseAccept(tt.lines)
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("ParseAccept(%q) (-want +got):\n%s", tt.lines, diff)
			}
		})
	}
}

func TestParseAcceptHostileSizes(t *testing.T) {
	tests := []struct {
		name    string
		lines   []string
		wantLen int
	}{
		{"many members capped", []string{strings.Repeat("a/b,", 100_000)}, MaxRanges},
		{"cap spans lines", []string{strings.Repeat("a/b,", MaxRanges-1), "c/d, e/f"}, MaxRanges},
		{"many invalid members", []string{strings.Repeat("garbage,", 100_000) + "a/b"}, 1},
		{"one long token", []string{"text/" + strings.Repeat("a", 1<<20)}, 1},
		{"too many parameters", []string{"text/html" + strings.Repeat(";p=1", 1) + ", a/b" + params(maxParams+1)}, 1},
		{"max parameters", []string{"a/b" + params(maxParams)}, 1},
		{"long quoted", []string{`a/b;x="` + strings.Repeat("\\\"", 1<<18) + `"`}, 1},
		{"many lines", func() []string {
			l := make([]string, 10_000)
			for i := range l {
				l[i] = "text/html;q=0.5"
			}
			return l
		}(), MaxRanges},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := len(ParseAccept(tt.lines)); got != tt.wantLen {
				t.Errorf("len = %d, want %d", got, tt.wantLen)
			}
		})
	}
}

func params(n int) string {
	var b strings.Builder
	for i := range n {
		b.WriteString(";p")
		b.WriteString(strings.Repeat("x", i+1))
		b.WriteString("=1")
	}
	return b.String()
}

func TestMediaRangeString(t *testing.T) {
	tests := []struct {
		in   MediaRange
		want string
	}{
		{mr("text", "html", 1), "text/html"},
		{mr("text", "html", 0.5, "level", "1"), "text/html;level=1;q=0.5"},
		{mr("a", "b", 0.001, "x", `a "b"`), `a/b;x="a \"b\"";q=0.001`},
		{mr("a", "b", 0, "x", ""), `a/b;x="";q=0`},
	}
	for _, tt := range tests {
		if got := tt.in.String(); got != tt.want {
			t.Errorf("String() = %q, want %q", got, tt.want)
		}
		if back := ParseAccept([]string{tt.in.String()}); len(back) != 1 || !cmp.Equal(back[0], tt.in, cmpopts.EquateEmpty()) {
			t.Errorf("round trip of %q = %v", tt.want, back)
		}
	}
}
