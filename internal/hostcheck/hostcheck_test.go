package hostcheck_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/golocal/golocal/internal/hostcheck"
)

func TestAllowed(t *testing.T) {
	lan := hostcheck.Policy{Hosts: []string{"192.168.1.20", "Dev.Example.Test.", ".apps.test", "fd00::5"}}
	anyIP := hostcheck.Policy{AnyIP: true}
	tests := []struct {
		host string
		p    hostcheck.Policy
		want bool
	}{
		{"localhost", hostcheck.Policy{}, true},
		{"localhost:8080", hostcheck.Policy{}, true},
		{"LOCALHOST.:8080", hostcheck.Policy{}, true},
		{"app.localhost:3000", hostcheck.Policy{}, true},
		{"127.0.0.1", hostcheck.Policy{}, true},
		{"127.0.0.1:8080", hostcheck.Policy{}, true},
		{"127.8.9.10:1", hostcheck.Policy{}, true},
		{"[::1]", hostcheck.Policy{}, true},
		{"[::1]:8080", hostcheck.Policy{}, true},
		{"[::ffff:127.0.0.1]:80", hostcheck.Policy{}, true},
		{"host:", hostcheck.Policy{Hosts: []string{"host"}}, true},

		// DNS rebinding and look-alikes.
		{"rebind.attacker.example", hostcheck.Policy{}, false},
		{"rebind.attacker.example:8080", hostcheck.Policy{}, false},
		{"127.0.0.1.evil.com", hostcheck.Policy{}, false},
		{"127.0.0.1.evil.com:8080", hostcheck.Policy{}, false},
		{"localhost.evil.com", hostcheck.Policy{}, false},
		{"evillocalhost", hostcheck.Policy{}, false},
		{"127.1", hostcheck.Policy{}, false},
		{"2130706433", hostcheck.Policy{}, false},
		{"0x7f000001", hostcheck.Policy{}, false},
		{"0177.0.0.1", hostcheck.Policy{}, false},
		{"", hostcheck.Policy{}, false},
		{":8080", hostcheck.Policy{}, false},
		{"::1", hostcheck.Policy{}, false},
		{"[::1", hostcheck.Policy{}, false},
		{"[::1]8080", hostcheck.Policy{}, false},
		{"[::1]:http", hostcheck.Policy{}, false},
		{"[evil.com]:80", hostcheck.Policy{}, false},
		{"localhost:80:80", hostcheck.Policy{}, false},
		{"localhost:abc", hostcheck.Policy{}, false},
		{"localhost:123456", hostcheck.Policy{}, false},
		{"local host", hostcheck.Policy{}, false},
		{"localhost\x00.evil.com", hostcheck.Policy{}, false},
		{"evil.com@localhost", hostcheck.Policy{}, false},
		{"localhost/evil", hostcheck.Policy{}, false},
		{"[fe80::1%25eth0]:80", hostcheck.Policy{}, false},
		{"192.168.1.20:8080", hostcheck.Policy{}, false},
		{"[2001:db8::1]:80", hostcheck.Policy{}, false},

		// Names and addresses the server announces or was told.
		{"192.168.1.20:8080", lan, true},
		{"192.168.1.21:8080", lan, false},
		{"dev.example.test", lan, true},
		{"DEV.example.test.:443", lan, true},
		{"evil-dev.example.test", lan, false},
		{"a.apps.test", lan, true},
		{"apps.test", lan, false},
		{"[fd00::5]:80", lan, true},
		{"[fd00:0::5]", lan, true},
		{"192.168.1.21", anyIP, true},
		{"[2001:db8::1]:80", anyIP, true},
		{"rebind.attacker.example", anyIP, false},
	}
	for _, tt := range tests {
		t.Run(tt.host, func(t *testing.T) {
			if got := tt.p.Allowed(tt.host); got != tt.want {
				t.Errorf("%+v.Allowed(%q) = %v, want %v", tt.p, tt.host, got, tt.want)
			}
		})
	}
}

func TestExplain(t *testing.T) {
	p := hostcheck.Policy{Hosts: []string{"192.168.1.20"}}
	tests := []struct{ host, want string }{
		{"evil.com:8080", `Host "evil.com" is not one of loopback addresses, localhost and *.localhost, 192.168.1.20; a name that is not this machine's could be a DNS rebinding attack from a web page. To allow it, restart with --allow-host evil.com`},
		{"", "the request has no Host header"},
		{"[::1", `the Host header "[::1" is malformed`},
	}
	for _, tt := range tests {
		t.Run(tt.host, func(t *testing.T) {
			if got := p.Explain(tt.host, "restart with --allow-host NAME"); !strings.HasPrefix(got, tt.want) {
				t.Errorf("Explain(%q) = %q, want %q", tt.host, got, tt.want)
			}
		})
	}
}

func FuzzAllowed(f *testing.F) {
	for _, s := range []string{"localhost:1", "[::1]:2", "127.0.0.1.evil.com", "a.localhost", "[fe80::1%25x]"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, host string) {
		if !(hostcheck.Policy{}).Allowed(host) {
			return
		}
		h, ok := hostcheck.Hostname(host)
		if !ok {
			t.Fatalf("allowed %q that Hostname rejects", host)
		}
		if h != "localhost" && !strings.HasSuffix(h, ".localhost") && !strings.HasPrefix(h, "127.") && !strings.Contains(h, ":") {
			t.Fatalf("allowed %q (%q): not loopback or localhost", host, h)
		}
	})
}

func ExamplePolicy() {
	p := hostcheck.Policy{Hosts: []string{"192.168.1.20"}}
	for _, h := range []string{"localhost:8080", "192.168.1.20:8080", "rebind.attacker.example:8080"} {
		if p.Allowed(h) {
			fmt.Println(h, "allowed")
		} else {
			fmt.Println(h, "refused")
		}
	}
	// Output:
	// localhost:8080 allowed
	// 192.168.1.20:8080 allowed
	// rebind.attacker.example:8080 refused
}
