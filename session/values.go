package session

import (
	"context"
	"sort"
)

// Session is the state of one client. Its zero value is not usable: get one
// from Manager.Load or FromContext. A Session is not safe for concurrent use
// by several goroutines of one request.
type Session struct {
	values   map[string]string
	flashes  []string
	modified bool
	cleared  bool
}

// Get returns the value stored under key, or "".
func (s *Session) Get(key string) string { return s.values[key] }

// Set stores value under key.
func (s *Session) Set(key, value string) {
	if old, ok := s.values[key]; ok && old == value {
		return
	}
	s.values[key] = value
	s.modified, s.cleared = true, false
}

// Delete removes key.
func (s *Session) Delete(key string) {
	if _, ok := s.values[key]; ok {
		delete(s.values, key)
		s.modified = true
	}
}

// Keys returns the stored keys in sorted order.
func (s *Session) Keys() []string {
	keys := make([]string, 0, len(s.values))
	for k := range s.values {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// AddFlash queues a message to show once, typically on the page a form
// redirects to (post/redirect/get).
func (s *Session) AddFlash(msg string) {
	s.flashes = append(s.flashes, msg)
	s.modified, s.cleared = true, false
}

// Flashes returns the queued messages and removes them from the session.
func (s *Session) Flashes() []string {
	f := s.flashes
	if len(f) > 0 {
		s.flashes = nil
		s.modified = true
	}
	return f
}

// Clear removes everything; the next save expires the cookie (log out).
func (s *Session) Clear() {
	s.values = map[string]string{}
	s.flashes = nil
	s.modified, s.cleared = true, true
}

// Modified reports whether the session changed since it was loaded or saved
// (including a re-seal needed after key rotation).
func (s *Session) Modified() bool { return s.modified }

type ctxKey struct{}

// NewContext returns a copy of ctx carrying s.
func NewContext(ctx context.Context, s *Session) context.Context {
	return context.WithValue(ctx, ctxKey{}, s)
}

// FromContext returns the session the Manager's middleware loaded, or nil
// when the middleware is not in the chain.
func FromContext(ctx context.Context) *Session {
	s, _ := ctx.Value(ctxKey{}).(*Session)
	return s
}
