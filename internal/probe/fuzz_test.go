package probe

import (
	"strings"
	"testing"
)

func TestFlagParsers(t *testing.T) {
	tests := []struct {
		name  string
		parse func(string) error
		in    string
		err   string // "" means valid
	}{
		{"resolve", resolveErr, "example.test:443:127.0.0.1", ""},
		{"resolve v6", resolveErr, "example.test:443:[::1],127.0.0.1", ""},
		{"resolve no addr", resolveErr, "example.test:443", "missing the address"},
		{"resolve bad port", resolveErr, "example.test:0:127.0.0.1", "port"},
		{"resolve bad ip", resolveErr, "example.test:443:localhost", "not an IP address"},
		{"connect-to", connectToErr, "example.test:443:127.0.0.1:8443", ""},
		{"connect-to any", connectToErr, "::127.0.0.1:", ""},
		{"connect-to v6", connectToErr, "[::1]:443:[::1]:8443", ""},
		{"connect-to short", connectToErr, "a:1", "too few parts"},
		{"connect-to long", connectToErr, "a:1:b:2:3", "too many parts"},
		{"connect-to bad host", connectToErr, "a b:1:c:2", "not a host name"},
		{"header", headerErr, "Accept: text/html", ""},
		{"header empty", headerErr, "X-Empty;", ""},
		{"header no colon", headerErr, "Accept text/html", "no colon"},
		{"header space name", headerErr, "Bad Name: x", "not a valid header name"},
		{"header ws before colon", headerErr, "Accept : x", "whitespace before the colon"},
		{"header CRLF", headerErr, "X-A: a\r\nX-B: b", "CR, LF or NUL"},
		{"slo", sloErr, "total=300ms,ttfb=100ms", ""},
		{"slo alias", sloErr, "dns=1ms, tls=2ms, connect=1s", ""},
		{"slo unknown", sloErr, "latency=1s", "unknown phase"},
		{"slo no =", sloErr, "total", "has no ="},
		{"slo bad dur", sloErr, "total=fast", "positive duration"},
		{"slo negative", sloErr, "total=-1s", "positive duration"},
		{"slo twice", sloErr, "total=1s,total=2s", "twice"},
		{"slo empty", sloErr, " ", "empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.parse(tt.in)
			switch {
			case tt.err == "" && err != nil:
				t.Errorf("%q: %v", tt.in, err)
			case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
				t.Errorf("%q: err %v, want %q", tt.in, err, tt.err)
			}
		})
	}
}

func resolveErr(s string) error   { _, err := ParseResolve(s); return err }
func connectToErr(s string) error { _, err := ParseConnectTo(s); return err }
func headerErr(s string) error    { _, _, err := ParseHeader(s); return err }
func sloErr(s string) error       { _, err := ParseSLO(s); return err }

func TestDialTarget(t *testing.T) {
	r, _ := ParseResolve("example.test:443:127.0.0.2")
	c, _ := ParseConnectTo("example.test:443:other.test:8443")
	c2, _ := ParseConnectTo("other.test:8443:example.test:443")
	tests := []struct {
		addr string
		ct   []ConnectTo
		res  []Resolve
		want string
	}{
		{"example.test:443", nil, []Resolve{r}, "127.0.0.2:443"},
		{"example.test:80", nil, []Resolve{r}, "example.test:80"},
		{"example.test:443", []ConnectTo{c}, nil, "other.test:8443"},
		{"other.test:8443", []ConnectTo{c2}, []Resolve{r}, "127.0.0.2:443"},
	}
	for _, tt := range tests {
		got, err := dialTarget(tt.addr, tt.ct, tt.res)
		if err != nil || got[0] != tt.want {
			t.Errorf("dialTarget(%q) = %v, %v; want %s", tt.addr, got, err, tt.want)
		}
	}
}

func FuzzParseSLO(f *testing.F) {
	for _, s := range []string{"total=300ms,ttfb=100ms", "dns=1ms", "total=", "=,=", "total=1e9h"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		slo, err := ParseSLO(s)
		if err == nil {
			for _, b := range slo {
				if b.Limit <= 0 || b.Phase == "" {
					t.Fatalf("%q gave %+v", s, b)
				}
			}
		}
	})
}

func FuzzParseResolve(f *testing.F) {
	for _, s := range []string{"example.test:443:127.0.0.1", "[::1]:1:[::1]", "a:1:1.2.3.4,::1", ":::"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseResolve(s)
		if err == nil && (len(r.Addrs) == 0 || r.Port < 1 || r.Port > 65535 || r.Host == "") {
			t.Fatalf("%q gave %+v", s, r)
		}
	})
}

func FuzzParseConnectTo(f *testing.F) {
	for _, s := range []string{"a:1:b:2", "::b:", "[::1]:1:[::1]:2", "::::"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseConnectTo(s)
		if err == nil && (c.Port < 0 || c.ToPort < 0 || c.Port > 65535 || c.ToPort > 65535) {
			t.Fatalf("%q gave %+v", s, c)
		}
	})
}

func FuzzParseHeader(f *testing.F) {
	for _, s := range []string{"Accept: */*", "X;", "a:b:c", ": x", "X: \x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		name, value, err := ParseHeader(s)
		if err == nil && (!isToken(name) || strings.ContainsAny(value, "\r\n\x00")) {
			t.Fatalf("%q gave %q %q", s, name, value)
		}
	})
}

func FuzzParseURL(f *testing.F) {
	for _, s := range []string{"localhost:8080", "https://x/", "ftp://x", "[::1]:1", "http://\xff", "a:b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, _, err := ParseURL(s)
		if err == nil && (u.Host == "" || (u.Scheme != "http" && u.Scheme != "https")) {
			t.Fatalf("%q gave %v", s, u)
		}
	})
}
