package middleware

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestResponseWriterRecords(t *testing.T) {
	tests := []struct {
		name       string
		handler    func(w http.ResponseWriter)
		wantStatus int
		wantBytes  int64
		wantCode   int // what the client saw
	}{
		{"implicit 200 on write", func(w http.ResponseWriter) { _, _ = io.WriteString(w, "hello") }, 200, 5, 200},
		{"explicit status", func(w http.ResponseWriter) { w.WriteHeader(http.StatusCreated); _, _ = io.WriteString(w, "ok") }, 201, 2, 201},
		{"second WriteHeader dropped", func(w http.ResponseWriter) { w.WriteHeader(404); w.WriteHeader(500) }, 404, 0, 404},
		{"1xx is not final", func(w http.ResponseWriter) { w.WriteHeader(103); w.WriteHeader(204) }, 204, 0, 0}, // the recorder keeps the 103
		{"nothing written", func(w http.ResponseWriter) {}, 0, 0, 200},
		{"flush commits 200", func(w http.ResponseWriter) { w.(http.Flusher).Flush() }, 200, 0, 200},
		{"ReadFrom counts", func(w http.ResponseWriter) {
			_, _ = w.(io.ReaderFrom).ReadFrom(strings.NewReader(strings.Repeat("x", 1000)))
		}, 200, 1000, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			ww := &responseWriter{ResponseWriter: rec}
			tt.handler(ww)
			if ww.status != tt.wantStatus || ww.bytes != tt.wantBytes {
				t.Errorf("recorded status %d bytes %d, want %d %d", ww.status, ww.bytes, tt.wantStatus, tt.wantBytes)
			}
			if tt.wantCode != 0 && rec.Code != tt.wantCode {
				t.Errorf("client saw %d, want %d", rec.Code, tt.wantCode)
			}
		})
	}
}

func TestResponseWriterSealed(t *testing.T) {
	rec := httptest.NewRecorder()
	ww := &responseWriter{ResponseWriter: rec}
	ww.WriteHeader(413)
	ww.sealed = true
	ww.WriteHeader(200)
	if n, err := ww.Write([]byte("late")); n != 0 || err != ErrResponseSealed {
		t.Errorf("Write after seal = %d, %v", n, err)
	}
	if _, err := ww.ReadFrom(strings.NewReader("late")); err != ErrResponseSealed {
		t.Errorf("ReadFrom after seal: %v", err)
	}
	if rec.Code != 413 || rec.Body.Len() != 0 {
		t.Errorf("client saw %d %q", rec.Code, rec.Body.String())
	}
}

// TestResponseWriterOptionalInterfaces runs a real server so that Flush,
// Hijack, ReadFrom and ResponseController deadlines hit *http.response.
func TestResponseWriterOptionalInterfaces(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/flush", func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(w)
		if err := rc.SetWriteDeadline(time.Now().Add(5 * time.Second)); err != nil {
			t.Errorf("SetWriteDeadline through Unwrap: %v", err)
		}
		_, _ = io.WriteString(w, "part1\n")
		if err := rc.Flush(); err != nil {
			t.Errorf("ResponseController.Flush: %v", err)
		}
		_, _ = io.WriteString(w, "part2\n")
	})
	mux.HandleFunc("/hijack", func(w http.ResponseWriter, r *http.Request) {
		conn, brw, err := w.(http.Hijacker).Hijack()
		if err != nil {
			t.Errorf("Hijack: %v", err)
			return
		}
		defer conn.Close()
		_, _ = brw.WriteString("HTTP/1.1 200 OK\r\nContent-Length: 8\r\nConnection: close\r\n\r\nhijacked")
		_ = brw.Flush()
	})
	var gotBytes int64
	wrap := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ww := &responseWriter{ResponseWriter: w}
			next.ServeHTTP(ww, r)
			if r.URL.Path == "/flush" {
				gotBytes = ww.bytes
			}
			if r.URL.Path == "/hijack" && !ww.hijacked {
				t.Error("hijack not recorded")
			}
		})
	}
	srv := httptest.NewServer(wrap(mux))
	defer srv.Close()
	for _, path := range []string{"/flush", "/hijack"} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		want := map[string]string{"/flush": "part1\npart2\n", "/hijack": "hijacked"}[path]
		if string(body) != want {
			t.Errorf("GET %s body %q, want %q", path, body, want)
		}
	}
	if gotBytes != 12 {
		t.Errorf("bytes = %d, want 12", gotBytes)
	}
}

// A writer without Flusher/Hijacker/ReaderFrom: the wrapper must report
// ErrNotSupported instead of panicking and still count ReadFrom bytes.
type plainWriter struct {
	h    http.Header
	body strings.Builder
}

func (p *plainWriter) Header() http.Header         { return p.h }
func (p *plainWriter) Write(b []byte) (int, error) { return p.body.Write(b) }
func (p *plainWriter) WriteHeader(int)             {}

func TestResponseWriterUnsupported(t *testing.T) {
	pw := &plainWriter{h: http.Header{}}
	ww := &responseWriter{ResponseWriter: pw}
	if _, _, err := ww.Hijack(); err == nil {
		t.Error("Hijack on a plain writer succeeded")
	}
	if err := ww.FlushError(); err == nil {
		t.Error("FlushError on a plain writer succeeded")
	}
	n, err := ww.ReadFrom(strings.NewReader("abc"))
	if n != 3 || err != nil || pw.body.String() != "abc" || ww.bytes != 3 {
		t.Errorf("ReadFrom fallback: %d %v %q", n, err, pw.body.String())
	}
}
