package problem

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCodeStatus(t *testing.T) {
	tests := []struct {
		code Code
		want int
	}{
		{Invalid, 400}, {BadRequest, 400}, {Unauthorized, 401}, {Forbidden, 403},
		{NotFound, 404}, {MethodNotAllowed, 405}, {NotAcceptable, 406}, {Conflict, 409},
		{PreconditionFailed, 412}, {TooLarge, 413}, {UnsupportedMediaType, 415},
		{TooManyRequests, 429}, {ClientClosed, 499}, {Internal, 500}, {NotImplemented, 501},
		{Unavailable, 503}, {Timeout, 504},
		{Code("typo"), 500}, {Code(""), 500},
	}
	for _, tt := range tests {
		if got := tt.code.Status(); got != tt.want {
			t.Errorf("Code(%q).Status() = %d, want %d", tt.code, got, tt.want)
		}
	}
	if len(statusByCode) != len(tests)-2 {
		t.Errorf("statusByCode has %d codes but the test covers %d: add the new code here", len(statusByCode), len(tests)-2)
	}
}

// decode reads a recorded problem response.
func decode(t *testing.T, rec *httptest.ResponseRecorder) map[string]any {
	t.Helper()
	if ct := rec.Header().Get("Content-Type"); ct != ContentType {
		t.Fatalf("Content-Type = %q, want %q", ct, ContentType)
	}
	var m map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil {
		t.Fatalf("body is not JSON: %v\n%s", err, rec.Body)
	}
	return m
}

func TestWrite(t *testing.T) {
	tests := []struct {
		name       string
		method     string
		in         *Details
		wantStatus int
		wantBody   map[string]any // nil: no body expected
	}{
		{
			name: "about:blank defaults", method: "GET",
			in:         &Details{Status: 404},
			wantStatus: 404,
			wantBody:   map[string]any{"type": "about:blank", "title": "Not Found", "status": 404.0},
		},
		{
			name: "zero status is 500", method: "GET",
			in:         &Details{},
			wantStatus: 500,
			wantBody:   map[string]any{"type": "about:blank", "title": "Internal Server Error", "status": 500.0},
		},
		{
			name: "nil details is 500", method: "GET",
			in:         nil,
			wantStatus: 500,
			wantBody:   map[string]any{"type": "about:blank", "title": "Internal Server Error", "status": 500.0},
		},
		{
			name: "status over 999 is 500 (net/http panics on it)", method: "GET",
			in:         &Details{Status: 1000},
			wantStatus: 500,
			wantBody:   map[string]any{"type": "about:blank", "title": "Internal Server Error", "status": 500.0},
		},
		{
			name: "out of range status is 500", method: "GET",
			in:         &Details{Status: 42},
			wantStatus: 500,
			wantBody:   map[string]any{"type": "about:blank", "title": "Internal Server Error", "status": 500.0},
		},
		{
			name: "custom type keeps no default title", method: "GET",
			in: &Details{Type: "https://example.com/probs/out-of-credit", Status: 403,
				Detail: "Your balance is 30, but that costs 50.", Instance: "/account/12345/msgs/abc",
				Extensions: map[string]any{"balance": 30, "accounts": []string{"/account/12345"}}},
			wantStatus: 403,
			wantBody: map[string]any{"type": "https://example.com/probs/out-of-credit", "status": 403.0,
				"detail": "Your balance is 30, but that costs 50.", "instance": "/account/12345/msgs/abc",
				"balance": 30.0, "accounts": []any{"/account/12345"}},
		},
		{
			name: "extensions cannot override standard members", method: "GET",
			in:         &Details{Status: 409, Extensions: map[string]any{"status": 200, "title": "OK", "type": "x", "detail": "d", "instance": "i", "ok": true}},
			wantStatus: 409,
			wantBody:   map[string]any{"type": "about:blank", "title": "Conflict", "status": 409.0, "ok": true},
		},
		{
			name: "unmarshalable extension is dropped, problem still sent", method: "GET",
			in:         &Details{Status: 400, Detail: "bad", Extensions: map[string]any{"ch": make(chan int)}},
			wantStatus: 400,
			wantBody:   map[string]any{"type": "about:blank", "title": "Bad Request", "status": 400.0, "detail": "bad"},
		},
		{
			name: "HEAD has no body", method: "HEAD",
			in:         &Details{Status: 404},
			wantStatus: 404,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			rec.Header().Set("ETag", `"stale"`)
			rec.Header().Set("Content-Encoding", "gzip")
			r := httptest.NewRequest(tt.method, "/x", nil)
			Responder{Logger: slog.New(slog.DiscardHandler)}.Write(rec, r, tt.in)
			if rec.Code != tt.wantStatus {
				t.Errorf("status = %d, want %d", rec.Code, tt.wantStatus)
			}
			h := rec.Header()
			for k, want := range map[string]string{"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff", "ETag": "", "Content-Encoding": ""} {
				if got := h.Get(k); got != want {
					t.Errorf("%s = %q, want %q", k, got, want)
				}
			}
			if tt.wantBody == nil {
				if rec.Body.Len() != 0 {
					t.Errorf("HEAD response has a body: %q", rec.Body)
				}
				if h.Get("Content-Length") == "0" || h.Get("Content-Length") == "" {
					t.Errorf("HEAD Content-Length = %q, want the GET body length", h.Get("Content-Length"))
				}
				return
			}
			if got := h.Get("Content-Length"); got != fmt.Sprint(rec.Body.Len()) {
				t.Errorf("Content-Length = %s, body has %d bytes", got, rec.Body.Len())
			}
			if diff := cmp.Diff(tt.wantBody, decode(t, rec)); diff != "" {
				t.Errorf("body (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDetailsJSONRoundTrip(t *testing.T) {
	in := Details{Type: "https://example.com/p", Title: "T", Status: 422, Detail: "D", Instance: "/i",
		Extensions: map[string]any{"b": "2", "a": 1.0}}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	const want = `{"type":"https://example.com/p","title":"T","status":422,"detail":"D","instance":"/i","a":1,"b":"2"}`
	if string(b) != want {
		t.Errorf("Marshal = %s\nwant      %s", b, want)
	}
	var out Details
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(in, out); diff != "" {
		t.Errorf("round trip (-in +out):\n%s", diff)
	}
}

func TestDetailsUnmarshalHostile(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    Details
		wantErr bool
	}{
		{name: "wrong member types ignored (RFC 9457 §3.1)", in: `{"status":"404","title":7,"type":null,"detail":[],"x":1}`,
			want: Details{Extensions: map[string]any{"x": 1.0}}},
		{name: "not an object", in: `[1,2]`, wantErr: true},
		{name: "truncated", in: `{"status":4`, wantErr: true},
		{name: "empty", in: ``, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got Details
			err := json.Unmarshal([]byte(tt.in), &got)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if err == nil {
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("(-want +got):\n%s", diff)
				}
			}
		})
	}
}

type secretError struct{}

func (secretError) Error() string {
	return "pq: password authentication failed for user \"admin\" at /srv/db.go:42"
}

func TestError(t *testing.T) {
	secret := secretError{}
	canceledCtx, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name       string
		ctx        context.Context
		err        error
		wantStatus int
		wantBody   map[string]any // compared on these keys only
		wantLog    string         // substring of the log output; "" means no log record
		wantLevel  string
	}{
		{
			name: "coded error", err: Errorf(NotFound, "order %q does not exist", "42"),
			wantStatus: 404, wantBody: map[string]any{"title": "Not Found", "detail": `order "42" does not exist`},
		},
		{
			name: "coded error wrapped by caller", err: fmt.Errorf("loading: %w", Errorf(Conflict, "version mismatch")),
			wantStatus: 409, wantBody: map[string]any{"detail": "version mismatch"},
		},
		{
			name: "private cause is logged not sent", err: Wrap(secret, Unavailable, "the database is unavailable; retry in a minute"),
			wantStatus: 503, wantBody: map[string]any{"detail": "the database is unavailable; retry in a minute"},
			wantLog: "password authentication failed", wantLevel: "WARN",
		},
		{
			name: "plain error never leaks", err: secret,
			wantStatus: 500, wantBody: map[string]any{"title": "Internal Server Error", "detail": genericDetail + "."},
			wantLog: "password authentication failed", wantLevel: "ERROR",
		},
		{
			name: "Internal code never leaks its message", err: Errorf(Internal, "cache key %s missing in /srv/x", "k"),
			wantStatus: 500, wantBody: map[string]any{"detail": genericDetail + "."},
			wantLog: "cache key k missing", wantLevel: "ERROR",
		},
		{
			name: "unknown code is internal", err: Errorf(Code("nope"), "secret detail"),
			wantStatus: 500, wantBody: map[string]any{"detail": genericDetail + "."},
			wantLog: "secret detail", wantLevel: "ERROR",
		},
		{
			name: "nil error is a 500", err: nil,
			wantStatus: 500, wantBody: map[string]any{"detail": genericDetail + "."},
			wantLog: "nil error", wantLevel: "ERROR",
		},
		{
			name: "validation lists fields", err: InvalidFields(FieldError{"quantity", "must be at least 1"}, FieldError{"sku", "is required"}),
			wantStatus: 400, wantBody: map[string]any{
				"detail": "the request has invalid fields: quantity, sku",
				"errors": []any{map[string]any{"field": "quantity", "message": "must be at least 1"}, map[string]any{"field": "sku", "message": "is required"}},
			},
		},
		{
			name: "406 lists what is available", err: Unacceptable("application/json", "text/html"),
			wantStatus: 406, wantBody: map[string]any{"available": []any{"application/json", "text/html"}},
		},
		{
			name: "extension via With", err: Errorf(TooManyRequests, "slow down").With("retry_after_seconds", 3),
			wantStatus: 429, wantBody: map[string]any{"retry_after_seconds": 3.0},
		},
		{
			name: "deadline is 504", err: fmt.Errorf("query orders: %w", context.DeadlineExceeded),
			wantStatus: 504, wantBody: map[string]any{"detail": "the server did not finish in time; retry later"},
			wantLog: "query orders", wantLevel: "WARN",
		},
		{
			name: "canceled after client left is 499", ctx: canceledCtx, err: fmt.Errorf("scan: %w", context.Canceled),
			wantStatus: 499, wantBody: map[string]any{"title": "Client Closed Request"},
			wantLog: "scan", wantLevel: "INFO",
		},
		{
			name: "canceled while client is there is internal", err: fmt.Errorf("worker: %w", context.Canceled),
			wantStatus: 500, wantBody: map[string]any{"detail": genericDetail + "."},
			wantLog: "worker", wantLevel: "ERROR",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			rs := Responder{Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo}))}
			r := httptest.NewRequest("GET", "/orders/42", nil)
			if tt.ctx != nil {
				r = r.WithContext(tt.ctx)
			}
			rec := httptest.NewRecorder()
			rs.Error(rec, r, tt.err)
			if rec.Code != tt.wantStatus {
				t.Errorf("status = %d, want %d", rec.Code, tt.wantStatus)
			}
			body := decode(t, rec)
			if body["status"] != float64(tt.wantStatus) {
				t.Errorf("status member = %v, want %d", body["status"], tt.wantStatus)
			}
			for k, want := range tt.wantBody {
				if diff := cmp.Diff(want, body[k]); diff != "" {
					t.Errorf("member %q (-want +got):\n%s", k, diff)
				}
			}
			if strings.Contains(rec.Body.String(), "password") || strings.Contains(rec.Body.String(), "/srv/") {
				t.Errorf("internal message leaked to the client: %s", rec.Body)
			}
			if tt.wantLog == "" {
				if logs.Len() != 0 {
					t.Errorf("unexpected log output: %s", logs.String())
				}
				return
			}
			if !strings.Contains(logs.String(), tt.wantLog) || !strings.Contains(logs.String(), "level="+tt.wantLevel) {
				t.Errorf("log = %q, want level %s containing %q", logs.String(), tt.wantLevel, tt.wantLog)
			}
			if !strings.Contains(logs.String(), "path=/orders/42") {
				t.Errorf("log lacks the request path: %q", logs.String())
			}
		})
	}
}

// TestErrorMaxBytes uses a real http.MaxBytesReader so the test breaks if
// net/http changes the error it returns.
func TestErrorMaxBytes(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, 8)
		if _, err := io.ReadAll(r.Body); err != nil {
			Error(w, r, fmt.Errorf("reading order: %w", err))
			return
		}
		w.WriteHeader(204)
	})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("POST", "/orders", strings.NewReader(strings.Repeat("x", 100))))
	if rec.Code != 413 {
		t.Fatalf("status = %d, want 413", rec.Code)
	}
	body := decode(t, rec)
	if body["limit_bytes"] != 8.0 || !strings.Contains(body["detail"].(string), "limit of 8 bytes") {
		t.Errorf("body = %v", body)
	}
	if CodeOf(fmt.Errorf("x: %w", &http.MaxBytesError{Limit: 1})) != TooLarge {
		t.Error("CodeOf(MaxBytesError) != TooLarge")
	}
}

func TestCodeOf(t *testing.T) {
	tests := []struct {
		err  error
		want Code
	}{
		{nil, Internal},
		{errors.New("x"), Internal},
		{Errorf(NotFound, "x"), NotFound},
		{fmt.Errorf("a: %w", Errorf(Forbidden, "x")), Forbidden},
		{Errorf(Invalid, "x: %w", context.DeadlineExceeded), Invalid}, // explicit code wins
		{context.DeadlineExceeded, Timeout},
		{context.Canceled, ClientClosed},
		{&http.MaxBytesError{Limit: 3}, TooLarge},
	}
	for _, tt := range tests {
		if got := CodeOf(tt.err); got != tt.want {
			t.Errorf("CodeOf(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
}

func TestErrorfWrapping(t *testing.T) {
	sentinel := errors.New("no rows")
	e := Errorf(NotFound, "order 7: %w", sentinel)
	if !errors.Is(e, sentinel) {
		t.Error("Errorf with %w does not wrap its cause")
	}
	other := errors.New("other")
	two := Errorf(Conflict, "%w and %w", sentinel, other)
	if !errors.Is(two, sentinel) || !errors.Is(two, other) {
		t.Error("Errorf with two %w does not wrap both")
	}
	if got := Wrap(sentinel, Unavailable, "try later").Error(); got != "unavailable: try later: no rows" {
		t.Errorf("Wrap(...).Error() = %q", got)
	}
	if got := e.Error(); got != "not_found: order 7: no rows" {
		t.Errorf("Errorf(...).Error() = %q", got)
	}
	base := Errorf(NotFound, "x")
	_ = base.With("a", 1)
	if base.Extensions != nil {
		t.Error("With mutated its receiver")
	}
}

func TestCreated(t *testing.T) {
	tests := []struct {
		name         string
		method       string
		location     string
		body         any
		wantStatus   int
		wantBody     string
		wantLocation string
	}{
		{name: "with body", method: "POST", location: "/orders/7", body: map[string]int{"id": 7},
			wantStatus: 201, wantBody: "{\"id\":7}\n", wantLocation: "/orders/7"},
		{name: "no body", method: "POST", location: "/orders/8", body: nil,
			wantStatus: 201, wantBody: "", wantLocation: "/orders/8"},
		{name: "unencodable body is a clean 500", method: "POST", location: "/orders/9", body: map[string]any{"f": func() {}},
			wantStatus: 500, wantLocation: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			Responder{Logger: slog.New(slog.DiscardHandler)}.Created(rec, httptest.NewRequest(tt.method, "/orders", nil), tt.location, tt.body)
			if rec.Code != tt.wantStatus {
				t.Errorf("status = %d, want %d", rec.Code, tt.wantStatus)
			}
			if got := rec.Header().Get("Location"); got != tt.wantLocation {
				t.Errorf("Location = %q, want %q", got, tt.wantLocation)
			}
			if tt.wantStatus == 201 && rec.Body.String() != tt.wantBody {
				t.Errorf("body = %q, want %q", rec.Body, tt.wantBody)
			}
			if tt.wantStatus == 500 {
				decode(t, rec)
			}
		})
	}
}

// TestOverRealServer checks the headers survive a real HTTP round trip.
func TestOverRealServer(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		Responder{Logger: slog.New(slog.DiscardHandler)}.Error(w, r, errors.New("boom at /srv/secret"))
	}))
	defer srv.Close()
	res, err := srv.Client().Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode != 500 || res.Header.Get("Content-Type") != ContentType || strings.Contains(string(b), "secret") {
		t.Errorf("got %d %q %s", res.StatusCode, res.Header.Get("Content-Type"), b)
	}
}

// TestHostileDetail checks that client-controlled text echoed in a detail
// (a path, a field value) cannot break the JSON or inject markup.
func TestHostileDetail(t *testing.T) {
	tests := []string{
		"\x00\x01\x1b[31m",
		"\xff\xfe invalid UTF-8",
		`</script><script>alert(1)</script>`,
		`"},"status":200,"x":{"`,
		strings.Repeat("a", 1<<20),
	}
	for _, detail := range tests {
		rec := httptest.NewRecorder()
		Error(rec, httptest.NewRequest("GET", "/", nil), Errorf(NotFound, "no order %s", detail))
		body := decode(t, rec)
		if body["status"] != 404.0 || rec.Code != 404 {
			t.Errorf("detail %q changed the status: %v", detail[:min(len(detail), 20)], body["status"])
		}
		if strings.Contains(rec.Body.String(), "<script>") {
			t.Errorf("markup not escaped: %s", rec.Body)
		}
	}
}
