package session

import (
	"log/slog"
	"net/http"
)

// Middleware loads the session into the request context (read it with
// FromContext) and, if a handler changed it, sets the cookie just before the
// response header is written. A session too large to store is logged and
// not saved; the response itself still goes out.
func (m *Manager) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := m.Load(r)
		sw := &saveWriter{ResponseWriter: w, m: m, s: s, r: r}
		next.ServeHTTP(sw, r.WithContext(NewContext(r.Context(), s)))
		sw.saveOnce()
	})
}

// saveWriter sets the session cookie before the first byte of the header.
type saveWriter struct {
	http.ResponseWriter
	m     *Manager
	s     *Session
	r     *http.Request
	saved bool
}

func (w *saveWriter) saveOnce() {
	if w.saved {
		return
	}
	w.saved = true
	if !w.s.Modified() {
		return
	}
	if err := w.m.Save(w.ResponseWriter, w.s); err != nil {
		w.m.logger.LogAttrs(w.r.Context(), slog.LevelError, "session not saved", slog.String("error", err.Error()))
	}
}

func (w *saveWriter) WriteHeader(code int) {
	w.saveOnce()
	w.ResponseWriter.WriteHeader(code)
}

func (w *saveWriter) Write(b []byte) (int, error) {
	w.saveOnce()
	return w.ResponseWriter.Write(b)
}

// Flush sends buffered data, saving the session first.
func (w *saveWriter) Flush() {
	w.saveOnce()
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *saveWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
