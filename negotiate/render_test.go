package negotiate

import (
	"context"
	"html/template"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/golocal/golocal/problem"
)

type order struct {
	ID   int    `json:"id"`
	Item string `json:"item"`
}

type nonceKey struct{}

// nonceFromContext stands in for middleware.Nonce: same signature.
func nonceFromContext(ctx context.Context) string {
	s, _ := ctx.Value(nonceKey{}).(string)
	return s
}

func TestRender(t *testing.T) {
	page := template.Must(template.New("order").Parse(
		`<p>{{.Value.Item}}</p><script nonce="{{.Nonce}}">x()</script>`))
	broken := template.Must(template.New("broken").Parse(`{{.Value.Missing}}`))
	quiet := problem.Responder{Logger: slog.New(slog.DiscardHandler)}
	withPage := Options{Template: page, Nonce: nonceFromContext, Errors: quiet}
	tests := []struct {
		name       string
		method     string
		accept     []string
		value      any
		opts       Options
		version    *Version
		wantStatus int
		wantType   string
		wantBody   string // exact unless wantContains
		contains   bool
	}{
		{name: "no Accept: JSON", accept: nil, value: order{7, "<tea>"}, opts: withPage,
			wantStatus: 200, wantType: "application/json", wantBody: `{"id":7,"item":"\u003ctea\u003e"}` + "\n"},
		{name: "browser: HTML with nonce, escaped", accept: []string{"text/html,application/xhtml+xml,*/*;q=0.8"}, value: order{7, "<tea>"}, opts: withPage,
			wantStatus: 200, wantType: "text/html; charset=utf-8", wantBody: `<p>&lt;tea&gt;</p><script nonce="n0nce">x()</script>`},
		{name: "JSON preferred by q", accept: []string{"text/html;q=0.5, application/json"}, value: order{1, "a"}, opts: withPage,
			wantStatus: 200, wantType: "application/json", wantBody: `{"id":1,"item":"a"}` + "\n"},
		{name: "no template: HTML not acceptable", accept: []string{"text/html"}, value: order{1, "a"}, opts: Options{Errors: quiet},
			wantStatus: 406, wantType: "application/problem+json", wantBody: `"available":["application/json"]`, contains: true},
		{name: "named template", accept: []string{"text/html"}, value: order{2, "b"},
			opts:       Options{Template: template.Must(template.New("set").Parse(`{{define "row"}}[{{.Value.ID}}]{{end}}`)), TemplateName: "row"},
			wantStatus: 200, wantType: "text/html; charset=utf-8", wantBody: "[2]"},
		{name: "nil Nonce func: empty nonce", accept: []string{"text/html"}, value: order{3, "c"}, opts: Options{Template: page},
			wantStatus: 200, wantType: "text/html; charset=utf-8", wantBody: `<p>c</p><script nonce="">x()</script>`},
		{name: "status", accept: nil, value: order{4, "d"}, opts: Options{Status: 201},
			wantStatus: 201, wantType: "application/json", wantBody: `{"id":4,"item":"d"}` + "\n"},
		{name: "HEAD has no body", method: "HEAD", value: order{4, "d"}, opts: withPage,
			wantStatus: 200, wantType: "application/json", wantBody: ""},
		{name: "template error is a clean 500", accept: []string{"text/html"}, value: order{5, "e"}, opts: Options{Template: broken, Errors: quiet},
			wantStatus: 500, wantType: "application/problem+json", wantBody: "The server failed to complete the request", contains: true},
		{name: "unencodable value is a clean 500", value: map[string]any{"f": func() {}}, opts: Options{Errors: quiet},
			wantStatus: 500, wantType: "application/problem+json", wantBody: "The server failed to complete the request", contains: true},
		{name: "version in context names the JSON type", accept: []string{"application/vnd.orders.v2+json"}, value: order{6, "f"}, opts: withPage,
			version:    &Version{Number: 2, Source: VersionFromAccept, ContentType: "application/vnd.orders.v2+json"},
			wantStatus: 200, wantType: "application/vnd.orders.v2+json", wantBody: `{"id":6,"item":"f"}` + "\n"},
		{name: "default version with plain Accept", accept: []string{"application/json"}, value: order{6, "f"}, opts: withPage,
			version:    &Version{Number: 1, Source: VersionDefault, ContentType: "application/json; version=1"},
			wantStatus: 200, wantType: "application/json; version=1", wantBody: `{"id":6,"item":"f"}` + "\n"},
		{name: "hostile Accept", accept: []string{strings.Repeat("\x00\xff\"", 1000)}, value: order{8, "g"}, opts: withPage,
			wantStatus: 200, wantType: "application/json", wantBody: `{"id":8,"item":"g"}` + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			method := tt.method
			if method == "" {
				method = "GET"
			}
			r := httptest.NewRequest(method, "/orders/7", nil)
			r.Header["Accept"] = tt.accept
			ctx := context.WithValue(r.Context(), nonceKey{}, "n0nce")
			if tt.version != nil {
				ctx = WithVersion(ctx, *tt.version)
			}
			r = r.WithContext(ctx)
			rec := httptest.NewRecorder()
			Render(rec, r, tt.value, tt.opts)
			if rec.Code != tt.wantStatus {
				t.Errorf("status = %d, want %d (%s)", rec.Code, tt.wantStatus, rec.Body)
			}
			if got := rec.Header().Get("Content-Type"); got != tt.wantType {
				t.Errorf("Content-Type = %q, want %q", got, tt.wantType)
			}
			if got := rec.Header().Get("Vary"); got != "Accept" {
				t.Errorf("Vary = %q, want Accept", got)
			}
			body := rec.Body.String()
			if tt.contains && !strings.Contains(body, tt.wantBody) || !tt.contains && body != tt.wantBody {
				t.Errorf("body = %q, want %q (contains=%v)", body, tt.wantBody, tt.contains)
			}
			if strings.Contains(body, "Missing") || strings.Contains(body, "func()") {
				t.Errorf("internal error text leaked: %s", body)
			}
		})
	}
}

// TestRenderOverRealServer sends Accept as two real field lines and checks
// the headers after a real round trip.
func TestRenderOverRealServer(t *testing.T) {
	page := template.Must(template.New("p").Parse(`<b>{{.Value.Item}}</b>`))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Vary", "Origin")
		Render(w, r, order{1, "tea"}, Options{Template: page})
	}))
	defer srv.Close()
	req, _ := http.NewRequest("GET", srv.URL, nil)
	req.Header["Accept"] = []string{"application/json;q=0.2", "text/html"}
	res, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.Header.Get("Content-Type") != HTML || string(b) != "<b>tea</b>" || res.Header.Get("Vary") != "Origin, Accept" {
		t.Errorf("got %q %q vary=%q", res.Header.Get("Content-Type"), b, res.Header.Values("Vary"))
	}
}
