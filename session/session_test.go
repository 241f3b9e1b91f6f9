package session

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func key(b byte) []byte { return bytes.Repeat([]byte{b}, KeySize) }

// fixture returns a manager whose log goes to a buffer and whose clock the
// test controls.
func fixture(t *testing.T, opts Options) (*Manager, *bytes.Buffer, *time.Time) {
	t.Helper()
	var logs bytes.Buffer
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	if opts.Keys == nil {
		opts.Keys = [][]byte{key(1)}
	}
	opts.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	opts.Now = func() time.Time { return now }
	m, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	return m, &logs, &now
}

// saveCookie stores values in a new session and returns the cookie written.
func saveCookie(t *testing.T, m *Manager, kv ...string) *http.Cookie {
	t.Helper()
	s := m.Load(httptest.NewRequest("GET", "/", nil))
	for i := 0; i+1 < len(kv); i += 2 {
		s.Set(kv[i], kv[i+1])
	}
	rec := httptest.NewRecorder()
	if err := m.Save(rec, s); err != nil {
		t.Fatal(err)
	}
	cs := rec.Result().Cookies()
	if len(cs) != 1 {
		t.Fatalf("want 1 cookie, got %d", len(cs))
	}
	return cs[0]
}

func requestWith(c *http.Cookie) *http.Request { return requestTo("/", c) }

func requestTo(path string, c *http.Cookie) *http.Request {
	r := httptest.NewRequest("GET", path, nil)
	r.AddCookie(c)
	return r
}

func TestRoundTrip(t *testing.T) {
	m, logs, _ := fixture(t, Options{})
	c := saveCookie(t, m, "user", "ada", "lang", "en")
	s := m.Load(requestWith(c))
	if s.Get("user") != "ada" || s.Get("lang") != "en" {
		t.Fatalf("values lost: %v", s.Keys())
	}
	if s.Modified() {
		t.Error("a freshly loaded session must not be modified")
	}
	if logs.Len() != 0 {
		t.Errorf("unexpected log: %s", logs)
	}
}

func TestDefaultsPerProfile(t *testing.T) {
	yes, no := true, false
	tests := []struct {
		profile, domain string
		wantName        string
		wantSecure      bool
		secure          *bool
		wantLog         string
	}{
		{"", "", "__Host-session", true, nil, ""},
		{"prod", "", "__Host-session", true, nil, ""},
		{"staging", "", "__Host-session", true, nil, ""},
		{"prod", "example.test", "__Secure-session", true, nil, ""},
		{"dev", "", "session", false, nil, ""},
		{"local", "", "session", false, nil, ""},
		// Options.Secure (config's secure_cookies) overrides the profile.
		{"dev", "", "__Host-session", true, &yes, ""},
		{"prod", "", "session", false, &no, "travel in clear text"},
		{"prod", "", "__Host-session", true, &yes, ""},
	}
	for _, tt := range tests {
		t.Run(tt.profile+"/"+tt.domain, func(t *testing.T) {
			m, logs, _ := fixture(t, Options{Profile: tt.profile, Domain: tt.domain, Secure: tt.secure})
			if !strings.Contains(logs.String(), tt.wantLog) || (tt.wantLog == "" && logs.Len() > 0) {
				t.Errorf("log %q, want %q", logs.String(), tt.wantLog)
			}
			c := saveCookie(t, m, "k", "v")
			if c.Name != tt.wantName || c.Secure != tt.wantSecure {
				t.Errorf("name %q secure %v, want %q %v", c.Name, c.Secure, tt.wantName, tt.wantSecure)
			}
			if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" {
				t.Errorf("unsafe defaults: HttpOnly=%v SameSite=%v Path=%q", c.HttpOnly, c.SameSite, c.Path)
			}
			if c.MaxAge != int((24 * time.Hour).Seconds()) {
				t.Errorf("MaxAge %d", c.MaxAge)
			}
		})
	}
}

func TestTamperedEveryByte(t *testing.T) {
	m, logs, _ := fixture(t, Options{})
	c := saveCookie(t, m, "role", "user")
	raw, err := base64.RawURLEncoding.DecodeString(c.Value)
	if err != nil {
		t.Fatal(err)
	}
	for i := range raw {
		bad := bytes.Clone(raw)
		bad[i] ^= 0x01
		tc := *c
		tc.Value = base64.RawURLEncoding.EncodeToString(bad)
		s := m.Load(requestWith(&tc))
		if s.Get("role") != "" || len(s.Keys()) != 0 {
			t.Fatalf("byte %d altered but session still read: %v", i, s.Keys())
		}
	}
	if !strings.Contains(logs.String(), "session cookie rejected") {
		t.Errorf("tampering was not logged: %s", logs)
	}
	if strings.Contains(logs.String(), c.Value) {
		t.Error("the log must not contain the cookie value")
	}
}

func TestCookieBoundToName(t *testing.T) {
	a, _, _ := fixture(t, Options{Name: "a", Profile: "dev"})
	b, _, _ := fixture(t, Options{Name: "b", Profile: "dev"})
	c := saveCookie(t, a, "k", "v")
	c.Name = "b"
	if got := b.Load(requestWith(c)).Get("k"); got != "" {
		t.Fatalf("a value sealed for cookie a was accepted as cookie b: %q", got)
	}
}

func TestExpired(t *testing.T) {
	for _, tt := range []struct {
		after   time.Duration
		expired bool
	}{
		{59 * time.Minute, false},
		{time.Hour - time.Second, false},
		{time.Hour, true}, // Max-Age has run out: the browser drops it now too
		{61 * time.Minute, true},
	} {
		m, logs, now := fixture(t, Options{MaxAge: time.Hour})
		c := saveCookie(t, m, "k", "v")
		*now = now.Add(tt.after)
		s := m.Load(requestWith(c))
		if got := s.Get("k") == ""; got != tt.expired {
			t.Errorf("after %v: expired %v, want %v", tt.after, got, tt.expired)
		}
		if tt.expired && !strings.Contains(logs.String(), "expired") {
			t.Errorf("after %v: expiry not logged: %s", tt.after, logs)
		}
	}
}

// TestSameSite: the cookie's SameSite is the option's, with the zero value
// and http.SameSiteDefaultMode (which would send no attribute, leaving the
// choice to each browser) both meaning Lax.
func TestSameSite(t *testing.T) {
	for _, tt := range []struct {
		in, want http.SameSite
	}{
		{0, http.SameSiteLaxMode},
		{http.SameSiteDefaultMode, http.SameSiteLaxMode},
		{http.SameSiteLaxMode, http.SameSiteLaxMode},
		{http.SameSiteStrictMode, http.SameSiteStrictMode},
		{http.SameSiteNoneMode, http.SameSiteNoneMode},
	} {
		m, _, _ := fixture(t, Options{SameSite: tt.in})
		if c := saveCookie(t, m, "k", "v"); c.SameSite != tt.want {
			t.Errorf("SameSite option %v: cookie has %v, want %v", tt.in, c.SameSite, tt.want)
		}
	}
}

func TestKeyRotation(t *testing.T) {
	old, _, _ := fixture(t, Options{Keys: [][]byte{key(1)}})
	c := saveCookie(t, old, "k", "v")

	// Rotated: new key first, old key still listed: reads, and re-seals.
	rotated, _, _ := fixture(t, Options{Keys: [][]byte{key(2), key(1)}})
	s := rotated.Load(requestWith(c))
	if s.Get("k") != "v" {
		t.Fatal("cookie sealed with a listed old key was not read")
	}
	if !s.Modified() {
		t.Fatal("a session read with an old key must be re-sealed on save")
	}
	rec := httptest.NewRecorder()
	if err := rotated.Save(rec, s); err != nil {
		t.Fatal(err)
	}
	resealed := rec.Result().Cookies()[0]
	newOnly, _, _ := fixture(t, Options{Keys: [][]byte{key(2)}})
	if newOnly.Load(requestWith(resealed)).Get("k") != "v" {
		t.Fatal("re-sealed cookie is not readable with the new key alone")
	}

	// Retired: old key dropped: the old cookie is an empty session.
	retired, logs, _ := fixture(t, Options{Keys: [][]byte{key(2)}})
	if retired.Load(requestWith(c)).Get("k") != "" {
		t.Fatal("cookie signed by a retired key was accepted")
	}
	if !strings.Contains(logs.String(), "authentication failed") {
		t.Errorf("retired-key rejection not logged: %s", logs)
	}
}

func TestTooLarge(t *testing.T) {
	m, _, _ := fixture(t, Options{})
	s := m.Load(httptest.NewRequest("GET", "/", nil))
	s.Set("blob", strings.Repeat("x", 3500))
	rec := httptest.NewRecorder()
	err := m.Save(rec, s)
	if !errors.Is(err, ErrCookieTooLarge) {
		t.Fatalf("want ErrCookieTooLarge, got %v", err)
	}
	if len(rec.Result().Cookies()) != 0 {
		t.Fatal("an oversized cookie was written anyway")
	}
	if !strings.Contains(err.Error(), "limit 4096") {
		t.Errorf("error does not say the limit: %v", err)
	}
}

func TestHostileCookieValues(t *testing.T) {
	m, _, _ := fixture(t, Options{Profile: "dev"})
	for _, v := range []string{
		"", "!!!", "AQ", strings.Repeat("A", 20000), "AgAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
		base64.RawURLEncoding.EncodeToString([]byte{1}),
		base64.RawURLEncoding.EncodeToString(append([]byte{1}, make([]byte, 40)...)),
		"\x00\xff\xfe", "a=b;c",
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Cookie", "session="+v)
		s := m.Load(r)
		if len(s.Keys()) != 0 {
			t.Errorf("value %q produced a non-empty session", v)
		}
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		want string
	}{
		{"no keys", Options{}, "no keys"},
		{"short key", Options{Keys: [][]byte{[]byte("short")}}, "key 1 is 5 bytes"},
		{"second key short", Options{Keys: [][]byte{key(1), key(2)[:16]}}, "key 2 is 16 bytes"},
		{"prefixed name", Options{Keys: [][]byte{key(1)}, Name: "__Host-x"}, "must not carry a prefix"},
		{"bad name", Options{Keys: [][]byte{key(1)}, Name: "a b"}, "not a valid cookie name"},
		{"unknown profile", Options{Keys: [][]byte{key(1)}, Profile: "production"}, `unknown Profile "production"`},
		{"samesite none insecure", Options{Keys: [][]byte{key(1)}, Profile: "dev", SameSite: http.SameSiteNoneMode}, "SameSite=None needs Secure"},
		{"too long", Options{Keys: [][]byte{key(1)}, MaxAge: 500 * 24 * time.Hour}, "400 days"},
		{"negative", Options{Keys: [][]byte{key(1)}, MaxAge: -time.Second}, "negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestParseKeys(t *testing.T) {
	k1 := base64.StdEncoding.EncodeToString(key(1))
	k2 := base64.RawURLEncoding.EncodeToString(key(2))
	tests := []struct {
		in      string
		want    int
		wantErr string
	}{
		{k1, 1, ""},
		{k1 + "," + k2, 2, ""},
		{" " + k1 + " ,\n" + k2 + " ", 2, ""},
		{"", 0, "no keys"},
		{" , ", 0, "no keys"},
		{"not-base64!", 0, "key 1 is not valid base64"},
		{k1 + "," + base64.StdEncoding.EncodeToString([]byte("short")), 0, "key 2 decodes to 5 bytes"},
	}
	for _, tt := range tests {
		keys, err := ParseKeys(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseKeys(%q) = %v, want error %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || len(keys) != tt.want {
			t.Errorf("ParseKeys(%q) = %d keys, %v", tt.in, len(keys), err)
		}
	}
}

func TestMiddlewareSavesBeforeHeader(t *testing.T) {
	m, _, _ := fixture(t, Options{Profile: "dev"})
	h := m.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := FromContext(r.Context())
		switch r.URL.Path {
		case "/post":
			s.AddFlash("order created")
			http.Redirect(w, r, "/list", http.StatusSeeOther)
		case "/list":
			for _, f := range s.Flashes() {
				w.Write([]byte(f))
			}
		case "/logout":
			s.Clear()
		}
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("POST", "/post", nil))
	cs := rec.Result().Cookies()
	if len(cs) != 1 || rec.Code != http.StatusSeeOther {
		t.Fatalf("redirect must carry the session cookie: %d cookies, status %d", len(cs), rec.Code)
	}
	// The flash is shown once, and the cookie is updated to drop it.
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, requestTo("/list", cs[0]))
	if rec.Body.String() != "order created" {
		t.Fatalf("flash body %q", rec.Body)
	}
	after := rec.Result().Cookies()
	if len(after) != 1 || after[0].MaxAge != -1 {
		t.Fatalf("the emptied session must expire the cookie, got %+v", after)
	}
	// An unchanged session writes no cookie.
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/list", nil))
	if len(rec.Result().Cookies()) != 0 {
		t.Fatal("unchanged session wrote a cookie")
	}
	// Reading a valid session without changing it writes no cookie.
	loggedIn := saveCookie(t, m, "user", "ada")
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, requestTo("/list", loggedIn))
	if cs := rec.Result().Cookies(); len(cs) != 0 {
		t.Fatalf("unchanged session wrote %v", cs)
	}
	// Logout expires the cookie.
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, requestTo("/logout", loggedIn))
	if cs := rec.Result().Cookies(); len(cs) != 1 || cs[0].MaxAge != -1 {
		t.Fatalf("logout must expire the cookie, got %+v", cs)
	}
}

func TestMiddlewareTooLargeStillResponds(t *testing.T) {
	m, logs, _ := fixture(t, Options{Profile: "dev"})
	h := m.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		FromContext(r.Context()).Set("blob", strings.Repeat("y", 5000))
		w.Write([]byte("ok"))
	}))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if rec.Code != 200 || rec.Body.String() != "ok" {
		t.Fatalf("response lost: %d %q", rec.Code, rec.Body)
	}
	if !strings.Contains(logs.String(), "session not saved") {
		t.Errorf("oversize not logged: %s", logs)
	}
}

func FuzzOpen(f *testing.F) {
	m, err := New(Options{Keys: [][]byte{key(1)}, Profile: "dev", Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		f.Fatal(err)
	}
	good, _ := m.seal(payload{Values: map[string]string{"a": "b"}, Expires: time.Now().Add(time.Hour).Unix()})
	f.Add(good)
	f.Add("")
	f.Add("AQ")
	f.Fuzz(func(t *testing.T, v string) {
		// Fuzz workers re-run this setup with a fresh nonce, so the seed may
		// or may not open here. What must never happen is a value that
		// authenticates to a payload other than the one sealed.
		p, _, err := m.open(v)
		if err == nil && (len(p.Values) != 1 || p.Values["a"] != "b") {
			t.Fatalf("forged payload accepted: %q -> %+v", v, p)
		}
	})
}

// TestBadCookiesOverHTTP sends each rejected cookie of the issue (one
// character of the cookie text altered, expired, signed by a key retired
// after rotation) through Middleware on a real server: each is an empty
// session with a 200 and a log line naming why, never a 500.
func TestBadCookiesOverHTTP(t *testing.T) {
	retiredM, _, _ := fixture(t, Options{Profile: "dev", Keys: [][]byte{key(9)}})
	// The server's manager after rotation: new key 2, old key 1; key 9 retired.
	current, curLogs, curNow := fixture(t, Options{Profile: "dev", MaxAge: time.Hour, Keys: [][]byte{key(2), key(1)}})
	good := saveCookie(t, current, "user", "ada")
	altered := *good
	b := []byte(altered.Value)
	i := len(b) / 2
	if b[i] == 'A' {
		b[i] = 'B'
	} else {
		b[i] = 'A'
	}
	altered.Value = string(b)
	retired := saveCookie(t, retiredM, "user", "ada")
	retired.Name = good.Name

	srv := httptest.NewServer(current.Middleware(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "user=%s", FromContext(r.Context()).Get("user"))
	})))
	defer srv.Close()
	get := func(c *http.Cookie) (int, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", srv.URL+"/", nil)
		req.AddCookie(c)
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	if status, body := get(good); status != 200 || body != "user=ada" {
		t.Fatalf("good cookie: %d %q", status, body)
	}
	tests := []struct {
		name    string
		cookie  *http.Cookie
		advance time.Duration
		wantLog string
	}{
		{"one character altered", &altered, 0, "authentication failed"},
		{"signed by a retired key", retired, 0, "authentication failed"},
		{"expired", good, 2 * time.Hour, "expired"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			curLogs.Reset()
			*curNow = curNow.Add(tt.advance)
			status, body := get(tt.cookie)
			if status != 200 || body != "user=" {
				t.Errorf("%d %q, want 200 and an empty session", status, body)
			}
			if !strings.Contains(curLogs.String(), "session cookie rejected") || !strings.Contains(curLogs.String(), tt.wantLog) {
				t.Errorf("log %q does not say the cookie was rejected (%s)", curLogs, tt.wantLog)
			}
			if strings.Contains(curLogs.String(), tt.cookie.Value) {
				t.Error("the log contains the cookie value")
			}
		})
	}
}
