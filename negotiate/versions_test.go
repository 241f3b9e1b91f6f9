package negotiate

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/golocal/golocal/problem"
	"github.com/google/go-cmp/cmp"
)

func TestVersionsSelect(t *testing.T) {
	orders := Versions{Name: "orders", Supported: []int{1, 2}}
	tests := []struct {
		name     string
		vs       Versions
		path     string
		accept   []string
		want     Version
		wantCode problem.Code // "" means success
	}{
		{name: "nothing named: default is lowest", vs: orders, path: "/api/orders",
			want: Version{1, VersionDefault, "application/json; version=1"}},
		{name: "explicit default", vs: Versions{Name: "orders", Supported: []int{1, 2}, Default: 2}, path: "/api/orders", accept: []string{"application/json"},
			want: Version{2, VersionDefault, "application/json; version=2"}},
		{name: "path", vs: orders, path: "/api/v2/orders",
			want: Version{2, VersionFromPath, "application/json; version=2"}},
		{name: "path root", vs: orders, path: "/api/v1",
			want: Version{1, VersionFromPath, "application/json; version=1"}},
		{name: "path with plain Accept", vs: orders, path: "/api/v2/orders", accept: []string{"application/json"},
			want: Version{2, VersionFromPath, "application/json; version=2"}},
		{name: "path and matching vendor type", vs: orders, path: "/api/v2/orders", accept: []string{"application/vnd.orders.v2+json"},
			want: Version{2, VersionFromAccept, "application/vnd.orders.v2+json"}},
		{name: "unknown path version is 406", vs: orders, path: "/api/v3/orders", wantCode: problem.NotAcceptable},
		{name: "leading zero path version is 406", vs: orders, path: "/api/v01/orders", wantCode: problem.NotAcceptable},
		{name: "huge path version is 406", vs: orders, path: "/api/v99999999999999999999/orders", wantCode: problem.NotAcceptable},
		{name: "v0 is 406", vs: orders, path: "/api/v0/orders", wantCode: problem.NotAcceptable},
		{name: "not a version segment", vs: orders, path: "/api/vendors/1",
			want: Version{1, VersionDefault, "application/json; version=1"}},
		{name: "custom prefix", vs: Versions{Name: "orders", Supported: []int{1, 2}, PathPrefix: "/"}, path: "/v2/orders",
			want: Version{2, VersionFromPath, "application/json; version=2"}},
		{name: "vendor media type", vs: orders, path: "/api/orders", accept: []string{"application/vnd.orders.v2+json"},
			want: Version{2, VersionFromAccept, "application/vnd.orders.v2+json"}},
		{name: "vendor media type, any case", vs: orders, path: "/api/orders", accept: []string{"Application/VND.Orders.V2+JSON"},
			want: Version{2, VersionFromAccept, "application/vnd.orders.v2+json"}},
		{name: "version parameter", vs: orders, path: "/api/orders", accept: []string{"application/json; version=2"},
			want: Version{2, VersionFromAccept, "application/json; version=2"}},
		{name: "q picks among versions", vs: orders, path: "/api/orders", accept: []string{"application/vnd.orders.v1+json;q=0.5, application/vnd.orders.v2+json"},
			want: Version{2, VersionFromAccept, "application/vnd.orders.v2+json"}},
		{name: "versions across field lines", vs: orders, path: "/api/orders", accept: []string{"application/vnd.orders.v2+json;q=0.1", "application/vnd.orders.v1+json"},
			want: Version{1, VersionFromAccept, "application/vnd.orders.v1+json"}},
		{name: "unknown vendor version is 406", vs: orders, path: "/api/orders", accept: []string{"application/vnd.orders.v9+json"}, wantCode: problem.NotAcceptable},
		{name: "unknown version parameter is 406", vs: orders, path: "/api/orders", accept: []string{"application/json;version=9"}, wantCode: problem.NotAcceptable},
		{name: "garbage version parameter is 406", vs: orders, path: "/api/orders", accept: []string{"application/json;version=abc"}, wantCode: problem.NotAcceptable},
		{name: "unknown version with */* fallback", vs: orders, path: "/api/orders", accept: []string{"application/vnd.orders.v9+json, */*;q=0.1"},
			want: Version{1, VersionDefault, "application/json; version=1"}},
		{name: "path v1 but Accept asks v2 only", vs: orders, path: "/api/v1/orders", accept: []string{"application/vnd.orders.v2+json"}, wantCode: problem.NotAcceptable},
		{name: "HTML only: default, format left to Render", vs: orders, path: "/api/orders", accept: []string{"text/html"},
			want: Version{1, VersionDefault, "application/json; version=1"}},
		{name: "*/*;q=0 is 406", vs: orders, path: "/api/orders", accept: []string{"*/*;q=0"}, wantCode: problem.NotAcceptable},
		{name: "other vendor's type is not ours", vs: orders, path: "/api/orders", accept: []string{"application/vnd.billing.v9+json"},
			want: Version{1, VersionDefault, "application/json; version=1"}},
		{name: "no vendor name: parameter only", vs: Versions{Supported: []int{1, 2}}, path: "/api/orders", accept: []string{"application/json;version=2"},
			want: Version{2, VersionFromAccept, "application/json; version=2"}},
		{name: "hostile Accept", vs: orders, path: "/api/orders", accept: []string{"application/vnd.orders.v\x002+json, \xff\xfe"},
			want: Version{1, VersionDefault, "application/json; version=1"}},
		{name: "misconfigured: empty", vs: Versions{}, path: "/api/orders", wantCode: problem.Internal},
		{name: "misconfigured: default unsupported", vs: Versions{Supported: []int{1}, Default: 3}, path: "/api/orders", wantCode: problem.Internal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "http://example.test"+tt.path, nil)
			r.Header["Accept"] = tt.accept
			got, err := tt.vs.Select(r)
			if tt.wantCode != "" {
				if err == nil || problem.CodeOf(err) != tt.wantCode {
					t.Fatalf("Select = %+v, %v; want code %s", got, err, tt.wantCode)
				}
				return
			}
			if err != nil {
				t.Fatalf("Select: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestVersionsHandler runs Versions.Handler in front of Render through a
// ServeMux, the way a service wires it.
func TestVersionsHandler(t *testing.T) {
	vs := Versions{Name: "orders", Supported: []int{1, 2}}
	api := http.NewServeMux()
	api.HandleFunc("GET /api/{version}/orders", func(w http.ResponseWriter, r *http.Request) {
		v, _ := VersionFromContext(r.Context())
		Render(w, r, map[string]int{"served_version": v.Number}, Options{})
	})
	api.HandleFunc("GET /api/orders", func(w http.ResponseWriter, r *http.Request) {
		v, _ := VersionFromContext(r.Context())
		Render(w, r, map[string]int{"served_version": v.Number}, Options{})
	})
	h := vs.Handler(api)
	tests := []struct {
		name        string
		path        string
		accept      []string
		wantStatus  int
		wantType    string
		wantVersion int
		wantMember  string // for problems: member that must be present
	}{
		{"default", "/api/orders", nil, 200, "application/json; version=1", 1, ""},
		{"path", "/api/v2/orders", nil, 200, "application/json; version=2", 2, ""},
		{"vendor", "/api/orders", []string{"application/vnd.orders.v2+json"}, 200, "application/vnd.orders.v2+json", 2, ""},
		{"parameter", "/api/orders", []string{"application/json; version=2"}, 200, "application/json; version=2", 2, ""},
		{"unknown path version", "/api/v7/orders", nil, 406, "application/problem+json", 0, "supported_versions"},
		{"unknown media type version", "/api/orders", []string{"application/vnd.orders.v7+json"}, 406, "application/problem+json", 0, "supported_versions"},
		{"HTML only: Render refuses", "/api/orders", []string{"text/html"}, 406, "application/problem+json", 0, "available"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", tt.path, nil)
			r.Header["Accept"] = tt.accept
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			if rec.Code != tt.wantStatus || rec.Header().Get("Content-Type") != tt.wantType {
				t.Fatalf("got %d %q, want %d %q: %s", rec.Code, rec.Header().Get("Content-Type"), tt.wantStatus, tt.wantType, rec.Body)
			}
			if rec.Header().Get("Vary") != "Accept" {
				t.Errorf("Vary = %q, want Accept", rec.Header().Values("Vary"))
			}
			var body map[string]any
			if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
				t.Fatal(err)
			}
			if tt.wantMember != "" {
				if _, ok := body[tt.wantMember]; !ok {
					t.Errorf("problem lacks %q: %s", tt.wantMember, rec.Body)
				}
				return
			}
			if body["served_version"] != float64(tt.wantVersion) {
				t.Errorf("served_version = %v, want %d", body["served_version"], tt.wantVersion)
			}
		})
	}
	// An unknown version's message names what to send instead.
	r := httptest.NewRequest("GET", "/api/orders", nil)
	r.Header.Set("Accept", "application/vnd.orders.v7+json")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	if !strings.Contains(rec.Body.String(), "supported: 1, 2") {
		t.Errorf("406 detail does not list supported versions: %s", rec.Body)
	}
}

// TestUnknownPathVersionProblem checks the whole 406 answer to an unknown
// path version: status, media type, Vary, and a body listing what is
// served in both the detail and the supported_versions member.
func TestUnknownPathVersionProblem(t *testing.T) {
	vs := Versions{Name: "orders", Supported: []int{1, 2}}
	h := vs.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Error("handler reached for an unknown version")
	}))
	for _, path := range []string{"/api/v9/orders", "/api/v0", "/api/v01/orders", "/api/v99999999999999999999/x"} {
		t.Run(path, func(t *testing.T) {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
			if rec.Code != http.StatusNotAcceptable || rec.Header().Get("Content-Type") != problem.ContentType {
				t.Fatalf("got %d %q: %s", rec.Code, rec.Header().Get("Content-Type"), rec.Body)
			}
			if rec.Header().Get("Vary") != "Accept" {
				t.Errorf("Vary = %q", rec.Header().Get("Vary"))
			}
			var body struct {
				Status            int    `json:"status"`
				Detail            string `json:"detail"`
				SupportedVersions []int  `json:"supported_versions"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
				t.Fatal(err)
			}
			if body.Status != 406 || !cmp.Equal(body.SupportedVersions, []int{1, 2}) ||
				!strings.Contains(body.Detail, "supported versions: 1, 2") || !strings.Contains(body.Detail, "/api/v1/") {
				t.Errorf("body = %s", rec.Body)
			}
			if len(body.Detail) > 200 {
				t.Errorf("detail echoes too much of the path: %q", body.Detail)
			}
		})
	}
}
