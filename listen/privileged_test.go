package listen

import (
	"errors"
	"strings"
	"testing"
)

func TestCheckPrivilege(t *testing.T) {
	tests := []struct {
		port, start int
		capable     bool
		wantSuggest int // 0: no error
	}{
		{80, 1024, false, 8080},
		{443, 1024, false, 8443},
		{22, 1024, false, 8022},
		{1023, 1024, false, 9023},
		{1024, 1024, false, 0},
		{80, 1024, true, 0},
		{80, 0, false, 0},  // ip_unprivileged_port_start=0: anyone may
		{80, 80, false, 0}, // boundary: start itself is unprivileged
		{79, 80, false, 8079},
		{0, 1024, false, 0}, // any free port
		{5000, 9000, false, 13000},
		{60000, 65000, false, 65000},
	}
	for _, tt := range tests {
		err := CheckPrivilege(tt.port, tt.start, tt.capable, "PORT")
		if tt.wantSuggest == 0 {
			if err != nil {
				t.Errorf("CheckPrivilege(%d, %d, %v) = %v, want nil", tt.port, tt.start, tt.capable, err)
			}
			continue
		}
		var pe *PrivilegedPortError
		if !errors.As(err, &pe) || pe.Suggest != tt.wantSuggest {
			t.Errorf("CheckPrivilege(%d, %d, %v) = %v, want suggestion %d", tt.port, tt.start, tt.capable, err, tt.wantSuggest)
		}
	}
	msg := CheckPrivilege(80, 1024, false, "PORT").Error()
	for _, want := range []string{"port 80 (PORT) needs root or CAP_NET_BIND_SERVICE", "below 1024", "try 8080 or set PORT"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message %q lacks %q", msg, want)
		}
	}
}

func TestEphemeralWarning(t *testing.T) {
	tests := []struct {
		port, low, high int
		warn            bool
	}{
		{8080, 32768, 60999, false},
		{32768, 32768, 60999, true},
		{60999, 32768, 60999, true},
		{61000, 32768, 60999, false},
		{40000, 32768, 60999, true},
		{0, 0, 65535, false},
	}
	for _, tt := range tests {
		w := EphemeralWarning(tt.port, tt.low, tt.high, "fallback")
		if (w != "") != tt.warn {
			t.Errorf("EphemeralWarning(%d, %d, %d) = %q", tt.port, tt.low, tt.high, w)
		}
		if w != "" && !strings.Contains(w, "outgoing connections may take it") {
			t.Errorf("warning %q does not say why", w)
		}
	}
}

func TestParsePortRange(t *testing.T) {
	tests := []struct {
		in     string
		lo, hi int
		ok     bool
	}{
		{"32768\t60999\n", 32768, 60999, true},
		{"1024 65535", 1024, 65535, true},
		{"60999 32768", 0, 0, false},
		{"32768", 0, 0, false},
		{"a b", 0, 0, false},
		{"0 100", 0, 0, false},
		{"1 70000", 0, 0, false},
		{"", 0, 0, false},
	}
	for _, tt := range tests {
		lo, hi, ok := parsePortRange(tt.in)
		if lo != tt.lo || hi != tt.hi || ok != tt.ok {
			t.Errorf("parsePortRange(%q) = %d, %d, %v", tt.in, lo, hi, ok)
		}
	}
	if lo, hi := EphemeralRange(); lo < 1 || hi > 65535 || lo > hi {
		t.Errorf("EphemeralRange() = %d-%d", lo, hi)
	}
	if s := UnprivilegedPortStart(); s < 0 || s > 65536 {
		t.Errorf("UnprivilegedPortStart() = %d", s)
	}
}

func TestHasCapability(t *testing.T) {
	tests := []struct {
		mask string
		want bool
	}{
		{"000001fffeffffff", true},
		{"0000000000000400", true},
		{"0000000000000000", false},
		{"00000000000003ff", false},
		{"zz", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := hasCapability(tt.mask, capNetBindService); got != tt.want {
			t.Errorf("hasCapability(%q) = %v", tt.mask, got)
		}
	}
}
