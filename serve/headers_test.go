package serve

import (
	"net/http/httptest"
	"strings"
	"testing"
)

// TestHeadBytesBoundary: the count is the head as sent ("GET / HTTP/1.1",
// Host, each field, the blank line), and a head of exactly limit bytes
// passes while one byte more is over, whether the last byte counted is a
// field's or the final CRLF's.
func TestHeadBytesBoundary(t *testing.T) {
	for _, tt := range []struct {
		name   string
		fields map[string]string
		want   int
	}{
		{"no fields", nil, len("GET / HTTP/1.1\r\n") + len("Host: example.com\r\n") + len("\r\n")},
		{"one field", map[string]string{"X-A": "12345"}, len("GET / HTTP/1.1\r\nHost: example.com\r\nX-A: 12345\r\n\r\n")},
		{"two fields", map[string]string{"X-A": "1", "Cookie": strings.Repeat("c", 100)}, len("GET / HTTP/1.1\r\nHost: example.com\r\nX-A: 1\r\nCookie: \r\n\r\n") + 100},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.Host = "example.com"
		for k, v := range tt.fields {
			r.Header.Set(k, v)
		}
		if n, over := headBytes(r, tt.want); n != tt.want || over {
			t.Errorf("%s: headBytes(limit %d) = %d, %v; want %d, false", tt.name, tt.want, n, over, tt.want)
		}
		if _, over := headBytes(r, tt.want-1); !over {
			t.Errorf("%s: a head of %d bytes is not over a limit of %d", tt.name, tt.want, tt.want-1)
		}
	}
}
