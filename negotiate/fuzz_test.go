package negotiate

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/golocal/golocal/problem"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

var acceptSeeds = []string{
	"",
	"*/*",
	"*/*;q=0",
	"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
	"text/*;q=0.1, text/html",
	"text/*;q=0.3, text/plain;q=0.7, text/plain;format=flowed, text/plain;format=fixed;q=0.4, */*;q=0.5",
	"application/vnd.orders.v2+json",
	"application/json; version=2",
	"text/html;q=1.0001",
	"text/html;q=0.5000",
	",,, ,",
	`text/plain;x="a, b\"c";q=0.5, application/json`,
	`text/plain;x="unterminated, a/b`,
	"text/ht\x00ml, a/b\x7f, \r\n",
	"*/html;q=0.5",
	"a/b;;;q=0;ext=1",
	"text/html;q=0.5;q=0.9",
	"TEXT/HTML;CHARSET=\"UTF-8\"",
	"caf\xc3\xa9/x;y=\"\xff\"",
}

// FuzzParseAccept checks that any Accept value parses without panicking into
// ranges that are valid, round-trip through String, and that Choose only
// ever returns one of its offers.
func FuzzParseAccept(f *testing.F) {
	for _, s := range acceptSeeds {
		f.Add(s, "text/html")
	}
	offers := []string{"application/json", "text/html; charset=utf-8", "application/vnd.orders.v2+json", "text/plain; format=flowed"}
	f.Fuzz(func(t *testing.T, line1, line2 string) {
		ranges := ParseAccept([]string{line1, line2})
		if len(ranges) > MaxRanges {
			t.Fatalf("%d ranges, cap is %d", len(ranges), MaxRanges)
		}
		var members []string
		for _, m := range ranges {
			if m.Q < 0 || m.Q > 1 || m.Q*1000 != float64(int(m.Q*1000+0.5)) {
				t.Fatalf("range %q has invalid weight %v", m, m.Q)
			}
			if m.Type != strings.ToLower(m.Type) || m.Subtype != strings.ToLower(m.Subtype) {
				t.Fatalf("range %q not lower-cased", m)
			}
			if _, rest, ok := cutToken(m.Type); !ok || rest != "" {
				t.Fatalf("type %q is not a token", m.Type)
			}
			if _, rest, ok := cutToken(m.Subtype); !ok || rest != "" {
				t.Fatalf("subtype %q is not a token", m.Subtype)
			}
			if m.Type == "*" && m.Subtype != "*" {
				t.Fatalf("range %q: */subtype accepted", m)
			}
			members = append(members, m.String())
		}
		back := ParseAccept([]string{strings.Join(members, ", ")})
		if diff := cmp.Diff(ranges, back, cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("String round trip (-parsed +reparsed):\n%s", diff)
		}
		got, ok := Choose([]string{line1, line2}, offers)
		if ok && !slices.Contains(offers, got) {
			t.Fatalf("Choose returned %q, not an offer", got)
		}
		if !ok && len(ranges) == 0 {
			t.Fatal("no valid ranges must mean anything is acceptable")
		}
	})
}

// FuzzVersionsSelect checks that any path and Accept give a supported version
// or a 406 problem, never a panic or another outcome.
func FuzzVersionsSelect(f *testing.F) {
	for _, s := range acceptSeeds {
		f.Add("/api/orders", s)
	}
	for _, p := range []string{"/api/v1/orders", "/api/v3", "/api/v", "/api/v0", "/api/v01/x", "/api/v99999999999999999999", "/api/vendors", "", "/"} {
		f.Add(p, "application/json;version=2")
	}
	vs := Versions{Name: "orders", Supported: []int{1, 2, 5}, Default: 2}
	f.Fuzz(func(t *testing.T, path, accept string) {
		r := &http.Request{Method: "GET", URL: &url.URL{Path: path}, Header: http.Header{"Accept": {accept}}}
		v, err := vs.Select(r)
		if err != nil {
			if c := problem.CodeOf(err); c != problem.NotAcceptable {
				t.Fatalf("Select(%q, %q) error code %s: %v", path, accept, c, err)
			}
			return
		}
		if !slices.Contains(vs.Supported, v.Number) {
			t.Fatalf("Select(%q, %q) = unsupported version %d", path, accept, v.Number)
		}
		if m, ok := parseMediaRange(v.ContentType, false); !ok || !isJSON(m) {
			t.Fatalf("Select(%q, %q) content type %q is not a JSON media type", path, accept, v.ContentType)
		}
	})
}
