package cli

import (
	"slices"
	"strings"
	"testing"

	"github.com/golocal/golocal/internal/term"
)

func TestFrontHosts(t *testing.T) {
	tests := []struct {
		name    string
		allow   []string
		bind    string
		want    []string // must all be present
		wantErr string
	}{
		{"loopback bind adds nothing", nil, "127.0.0.1", []string{"127.0.0.1"}, ""},
		{"localhost bind adds nothing", nil, "localhost", nil, ""},
		{"allow-host values", []string{"Dev.Example.Test", "192.168.1.20", "[fd00::5]"}, "127.0.0.1", []string{"dev.example.test", "192.168.1.20", "fd00::5"}, ""},
		{"port is dropped", []string{"myhost:8080"}, "127.0.0.1", []string{"myhost"}, ""},
		{"leading dot kept", []string{".apps.test"}, "127.0.0.1", []string{".apps.test"}, ""},
		{"named bind host", nil, "devbox.internal", []string{"devbox.internal"}, ""},
		{"URL refused", []string{"http://x.test"}, "127.0.0.1", nil, "--allow-host \"http://x.test\""},
		{"wildcard refused", []string{"*.x.test"}, "127.0.0.1", nil, "a leading dot allows subdomains"},
		{"empty refused", []string{""}, "127.0.0.1", nil, "want a host name"},
		{"space refused", []string{"a b"}, "127.0.0.1", nil, "want a host name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := frontHosts(tt.allow, tt.bind)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("frontHosts(%q) error %v, want %q", tt.allow, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.want {
				if !slices.Contains(got, w) {
					t.Errorf("frontHosts(%q, %q) = %q, missing %q", tt.allow, tt.bind, got, w)
				}
			}
		})
	}
	// --lan (every interface): the announced Network address is allowed.
	got, err := frontHosts(nil, "")
	if err != nil {
		t.Fatal(err)
	}
	if ip := term.LANAddress(); ip != "" && !slices.Contains(got, ip) {
		t.Errorf("with --lan, %q misses the announced address %s", got, ip)
	}
}
