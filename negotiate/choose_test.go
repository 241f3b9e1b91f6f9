package negotiate

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestChoose(t *testing.T) {
	browser := "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
	tests := []struct {
		name   string
		accept []string
		offers []string
		want   string // "" means not acceptable
	}{
		{"no Accept: first offer", nil, []string{"application/json", "text/html"}, "application/json"},
		{"*/*: first offer", []string{"*/*"}, []string{"application/json", "text/html"}, "application/json"},
		{"browser gets HTML", []string{browser}, []string{"application/json", "text/html; charset=utf-8"}, "text/html; charset=utf-8"},
		{"curl gets JSON", []string{"*/*"}, []string{"application/json", "text/html; charset=utf-8"}, "application/json"},
		{"*/*;q=0 refuses everything", []string{"*/*;q=0"}, []string{"application/json", "text/html"}, ""},
		{"*/*;q=0 with an explicit type on another line", []string{"*/*;q=0", "text/html"}, []string{"application/json", "text/html"}, "text/html"},
		{"q=0 on the exact type beats */*", []string{"application/json;q=0, */*"}, []string{"application/json"}, ""},
		{"specificity: text/html beats text/*;q=0.1", []string{"text/*;q=0.1, text/html"}, []string{"text/plain", "text/html"}, "text/html"},
		{"specificity: text/* still admits text/plain", []string{"text/*;q=0.1, text/html"}, []string{"text/plain"}, "text/plain"},
		{"specificity does not depend on order", []string{"text/html;q=0, text/*"}, []string{"text/html", "text/plain"}, "text/plain"},
		{"higher q wins over offer order", []string{"application/json;q=0.5, text/html"}, []string{"application/json", "text/html"}, "text/html"},
		{"tie goes to offer order", []string{"application/json, text/html"}, []string{"text/html", "application/json"}, "text/html"},
		{"vendor +json", []string{"application/vnd.orders.v2+json"}, []string{"application/json", "application/vnd.orders.v2+json"}, "application/vnd.orders.v2+json"},
		{"vendor +json does not match plain json", []string{"application/vnd.orders.v2+json"}, []string{"application/json"}, ""},
		{"application/* matches vendor type", []string{"application/*"}, []string{"text/html", "application/vnd.orders.v2+json"}, "application/vnd.orders.v2+json"},
		{"q=1.0001 member skipped", []string{"text/html;q=1.0001, application/json;q=0.1"}, []string{"text/html", "application/json"}, "application/json"},
		{"only invalid members: treated as absent", []string{"text/html;q=1.0001"}, []string{"application/json"}, "application/json"},
		{"empty members", []string{",,, application/json ,,"}, []string{"text/html", "application/json"}, "application/json"},
		{"parameters must match", []string{"application/json;version=2"}, []string{"application/json; version=1", "application/json; version=2"}, "application/json; version=2"},
		{"parameter values case-insensitive", []string{"text/html;charset=UTF-8"}, []string{"text/html; charset=utf-8"}, "text/html; charset=utf-8"},
		{"range parameter missing from offer", []string{"text/html;charset=utf-8"}, []string{"text/html"}, ""},
		{"offer parameters do not need to be in the range", []string{"text/html"}, []string{"text/html; charset=utf-8"}, "text/html; charset=utf-8"},
		{"JSON is UTF-8 (RFC 8259)", []string{"application/json;charset=utf-8"}, []string{"application/json"}, "application/json"},
		{"JSON is not latin1", []string{"application/json;charset=latin1"}, []string{"application/json"}, ""},
		{"more parameters more specific", []string{"text/plain;format=flowed;q=0.2, text/plain;q=0.9"}, []string{"text/plain; format=flowed", "text/plain"}, "text/plain"},
		{"invalid offers never chosen", nil, []string{"*/*", "text/*", "nonsense", "text/html;q=1", "text/html"}, "text/html"},
		{"no offers", []string{"*/*"}, nil, ""},
		{"control bytes skipped", []string{"text/html\x00, application/json"}, []string{"text/html", "application/json"}, "application/json"},
		{"overlong header: defined, first 256 members", []string{strings.Repeat("image/png,", 300) + "application/json"}, []string{"application/json"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := Choose(tt.accept, tt.offers)
			if ok != (tt.want != "") || got != tt.want {
				t.Errorf("Choose(%q, %q) = %q, %v; want %q", tt.accept, tt.offers, got, ok, tt.want)
			}
		})
	}
}

// TestQualityRFC9110Example is the example of RFC 9110 §12.5.1, with
// erratum 7138 applied (text/html;level=3 is 0.3, not 0.7).
func TestQualityRFC9110Example(t *testing.T) {
	ranges := ParseAccept([]string{"text/*;q=0.3, text/plain;q=0.7, text/plain;format=flowed, text/plain;format=fixed;q=0.4, */*;q=0.5"})
	tests := []struct {
		offer string
		want  float64
	}{
		{"text/plain;format=flowed", 1},
		{"text/plain", 0.7},
		{"text/html", 0.3},
		{"image/jpeg", 0.5},
		{"text/plain;format=fixed", 0.4},
		{"text/html;level=3", 0.3},
		{"not a type", 0},
	}
	for _, tt := range tests {
		if got := Quality(ranges, tt.offer); got != tt.want {
			t.Errorf("Quality(%q) = %v, want %v", tt.offer, got, tt.want)
		}
	}
}

func TestAddVary(t *testing.T) {
	tests := []struct {
		name     string
		existing []string
		add      []string
		want     []string
	}{
		{"none", nil, []string{"Accept"}, []string{"Accept"}},
		{"merge", []string{"Origin"}, []string{"Accept"}, []string{"Origin, Accept"}},
		{"already present other case", []string{"Origin, accept"}, []string{"Accept"}, []string{"Origin, accept"}},
		{"star stays star", []string{"*"}, []string{"Accept"}, []string{"*"}},
		{"several lines merged", []string{"Origin", "Accept-Encoding"}, []string{"Accept"}, []string{"Origin, Accept-Encoding, Accept"}},
		{"several lines already containing it", []string{"Origin", "Accept"}, []string{"Accept"}, []string{"Origin, Accept"}},
		{"empty members dropped", []string{" , Origin,,"}, []string{"Accept", "accept"}, []string{"Origin, Accept"}},
		{"twice is idempotent", []string{"Accept"}, []string{"Accept", "Accept"}, []string{"Accept"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{}
			for _, v := range tt.existing {
				h.Add("Vary", v)
			}
			AddVary(h, tt.add...)
			if diff := cmp.Diff(tt.want, h.Values("Vary")); diff != "" {
				t.Errorf("Vary (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNegotiate(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ct, ok := Negotiate(w, r, "application/json", "text/csv")
		if !ok {
			return
		}
		w.Header().Set("Content-Type", ct)
		_, _ = w.Write([]byte("ok"))
	})
	tests := []struct {
		name       string
		accept     []string
		wantStatus int
		wantType   string
	}{
		{"json", []string{"application/json"}, 200, "application/json"},
		{"csv over two lines", []string{"application/json;q=0.5", "text/csv"}, 200, "text/csv"},
		{"nothing fits", []string{"image/png"}, 406, "application/problem+json"},
		{"hostile", []string{"\x00\x01\x02;;;,,,\"\\"}, 200, "application/json"},
		{"overlong refusing all", []string{strings.Repeat("x/y;q=0.5,", 10_000) + "*/*;q=0"}, 406, "application/problem+json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/report", nil)
			r.Header["Accept"] = tt.accept
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			if rec.Code != tt.wantStatus || rec.Header().Get("Content-Type") != tt.wantType {
				t.Errorf("got %d %q, want %d %q", rec.Code, rec.Header().Get("Content-Type"), tt.wantStatus, tt.wantType)
			}
			if rec.Header().Get("Vary") != "Accept" {
				t.Errorf("Vary = %q, want Accept", rec.Header().Get("Vary"))
			}
			if tt.wantStatus == 406 {
				var body struct {
					Status    int      `json:"status"`
					Available []string `json:"available"`
				}
				if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
					t.Fatal(err)
				}
				if body.Status != 406 || !cmp.Equal(body.Available, []string{"application/json", "text/csv"}) {
					t.Errorf("406 body = %s", rec.Body)
				}
			}
		})
	}
}

// TestRFC9110Acceptance runs the negotiation cases the issue lists as its
// acceptance criteria through an HTTP handler, checked from outside:
// status, chosen Content-Type and Vary.
func TestRFC9110Acceptance(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		offers := r.URL.Query()["offer"]
		ct, ok := Negotiate(w, r, offers...)
		if !ok {
			return
		}
		w.Header().Set("Content-Type", ct)
	})
	tests := []struct {
		name   string
		accept []string // nil: no Accept header
		offers []string
		want   string // chosen type; "" means 406
	}{
		// Several field lines are one list (RFC 9110 §5.3).
		{"several lines: later line wins on q", []string{"application/json;q=0.2", "text/html"}, []string{"application/json", "text/html"}, "text/html"},
		{"several lines: */*;q=0 on one, explicit on another", []string{"*/*;q=0", "application/json"}, []string{"text/html", "application/json"}, "application/json"},
		{"several lines: q=0 on a later line still refuses", []string{"text/html", "application/json;q=0"}, []string{"application/json"}, ""},
		// q=0 means "not acceptable" (§12.4.2).
		{"*/*;q=0 alone refuses everything", []string{"*/*;q=0"}, []string{"application/json", "text/html"}, ""},
		{"*/*;q=0 refuses what nothing else names", []string{"text/html, */*;q=0"}, []string{"application/json"}, ""},
		// The most specific range sets the q (§12.5.1).
		{"specificity: text/html beats text/*;q=0.1", []string{"text/*;q=0.1, text/html"}, []string{"text/plain", "text/html"}, "text/html"},
		{"specificity: text/*;q=0.1 still admits text/plain", []string{"text/*;q=0.1, text/html"}, []string{"text/plain"}, "text/plain"},
		{"specificity: text/html;q=0 refuses despite text/*", []string{"text/*, text/html;q=0"}, []string{"text/html"}, ""},
		{"specificity: parameters are more specific", []string{"text/html;level=1;q=0, text/html"}, []string{"text/html; level=1", "text/html"}, "text/html"},
		// Vendor types with a structured suffix (RFC 6839) are their own types.
		{"vendor +json chosen by name", []string{"application/vnd.orders.v2+json"}, []string{"application/json", "application/vnd.orders.v2+json"}, "application/vnd.orders.v2+json"},
		{"vendor +json is not plain JSON", []string{"application/vnd.orders.v2+json"}, []string{"application/json"}, ""},
		{"plain JSON is not the vendor type", []string{"application/json"}, []string{"application/vnd.orders.v2+json"}, ""},
		{"application/* covers the vendor type", []string{"application/*"}, []string{"application/vnd.orders.v2+json"}, "application/vnd.orders.v2+json"},
		// q has at most three decimals and is at most 1 (§12.4.2): others are invalid members, skipped.
		{"q=1.0001 member skipped", []string{"text/html;q=1.0001, application/json;q=0.5"}, []string{"text/html", "application/json"}, "application/json"},
		{"q=1.0001 only member: as if no Accept", []string{"text/html;q=1.0001"}, []string{"application/json"}, "application/json"},
		{"q=0.001 is still acceptable", []string{"text/html;q=0.001, application/json;q=0"}, []string{"application/json", "text/html"}, "text/html"},
		// Empty list members are allowed and ignored (§5.6.1).
		{"empty members", []string{" , ,text/html,, ,"}, []string{"application/json", "text/html"}, "text/html"},
		{"empty header: anything", []string{""}, []string{"application/json", "text/html"}, "application/json"},
		{"no Accept: anything", nil, []string{"application/json", "text/html"}, "application/json"},
		{"only commas: anything", []string{",,,"}, []string{"text/html"}, "text/html"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.URL.RawQuery = url.Values{"offer": tt.offers}.Encode()
			if tt.accept != nil {
				r.Header["Accept"] = tt.accept
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			if rec.Header().Get("Vary") != "Accept" {
				t.Errorf("Vary = %q, want Accept", rec.Header().Get("Vary"))
			}
			if tt.want == "" {
				if rec.Code != http.StatusNotAcceptable || rec.Header().Get("Content-Type") != "application/problem+json" {
					t.Errorf("got %d %q, want 406 problem", rec.Code, rec.Header().Get("Content-Type"))
				}
				return
			}
			if rec.Code != 200 || rec.Header().Get("Content-Type") != tt.want {
				t.Errorf("got %d %q, want 200 %q", rec.Code, rec.Header().Get("Content-Type"), tt.want)
			}
		})
	}
}
