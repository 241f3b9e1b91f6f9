package session

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// TestRejectedCookieDeleted: a tampered, expired or retired-key cookie is
// deleted in the response (Set-Cookie with the same name and path and
// Max-Age=0), so the browser stops sending it and the service stops
// logging a warning per request. Issue 19's mutant that no longer marked
// the session modified survived because the tests checked the empty
// session and the log, not the Set-Cookie.
func TestRejectedCookieDeleted(t *testing.T) {
	retiredM, _, _ := fixture(t, Options{Profile: "dev", Keys: [][]byte{key(9)}})
	current, _, now := fixture(t, Options{Profile: "dev", MaxAge: time.Hour, Keys: [][]byte{key(2), key(1)}})
	good := saveCookie(t, current, "user", "ada")
	altered := *good
	b := []byte(altered.Value)
	b[len(b)/2] ^= 0x01
	altered.Value = string(b)
	retired := saveCookie(t, retiredM, "user", "ada")
	retired.Name = good.Name

	srv := httptest.NewServer(current.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "user="+FromContext(r.Context()).Get("user"))
	})))
	defer srv.Close()
	cookies := func(c *http.Cookie) []*http.Cookie {
		t.Helper()
		req, _ := http.NewRequest("GET", srv.URL+"/", nil)
		req.AddCookie(c)
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.Cookies()
	}
	if got := cookies(good); len(got) != 0 {
		t.Fatalf("a valid, unchanged session was rewritten: %v", got)
	}
	tests := []struct {
		name    string
		cookie  *http.Cookie
		advance time.Duration
	}{
		{"one byte altered", &altered, 0},
		{"signed by a retired key", retired, 0},
		{"expired", good, 2 * time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			*now = now.Add(tt.advance)
			got := cookies(tt.cookie)
			if len(got) != 1 || got[0].Name != good.Name || got[0].MaxAge != -1 || got[0].Path != good.Path {
				t.Fatalf("Set-Cookie %v, want %s deleted (Max-Age=0, Path=%s)", got, good.Name, good.Path)
			}
		})
	}
}
