package listen

import (
	"slices"
	"strings"
	"testing"
)

func TestParsePorts(t *testing.T) {
	tests := []struct {
		spec    string
		want    []int
		wantErr string
	}{
		{"8080", []int{8080}, ""},
		{"8080, 8081-8083", []int{8080, 8081, 8082, 8083}, ""},
		{"9000 8080-8081", []int{9000, 8080, 8081}, ""},
		{" 1,65535 ", []int{1, 65535}, ""},
		{"8080-8080", []int{8080}, ""},
		{"", nil, "lists no ports"},
		{" , ", nil, "lists no ports"},
		{"8080,,8081", nil, "empty item"},
		{"8080,", nil, "empty item"},
		{"8089-8080", nil, `range "8089-8080" is reversed; write 8080-8089`},
		{"8080, 8080", nil, "port 8080 is listed twice"},
		{"8080-8085, 8083", nil, "port 8083 is listed twice"},
		{"0", nil, "out of range"},
		{"70000", nil, "70000 is out of range"},
		{"65536", nil, "65536 is out of range"},
		{"-1", nil, "range"},
		{"80a", nil, `"80a" is not a number`},
		{"http", nil, `"http" is not a number`},
		{"8080-", nil, "end is empty"},
		{"-8080", nil, "start is empty"},
		{"1-2-3", nil, "not a number"},
		{"99999999999999999999", nil, "out of range"},
		{"+80", nil, "out of range"},
	}
	for _, tt := range tests {
		got, err := ParsePorts(tt.spec)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParsePorts(%q) err = %v, want %q", tt.spec, err, tt.wantErr)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("ParsePorts(%q) = %v, %v; want %v", tt.spec, got, err, tt.want)
		}
	}
}

func TestParseEndpoint(t *testing.T) {
	tests := []struct {
		in      string
		all     bool
		want    endpoint
		wantErr string
	}{
		{"8080", false, endpoint{"127.0.0.1", 8080}, ""},
		{":8080", false, endpoint{"127.0.0.1", 8080}, ""},
		{":8080", true, endpoint{"", 8080}, ""},
		{"8080", true, endpoint{"", 8080}, ""},
		{"0.0.0.0:8080", false, endpoint{"0.0.0.0", 8080}, ""},
		{"[::]:8080", false, endpoint{"::", 8080}, ""},
		{"[::1]:0", false, endpoint{"::1", 0}, ""},
		{"localhost:3000", false, endpoint{"localhost", 3000}, ""},
		{"", false, endpoint{}, "is empty"},
		{"   ", false, endpoint{}, "is empty"},
		{"::1:80", false, endpoint{}, "not host:port"},
		{"host:", false, endpoint{}, "is empty"},
		{"host:http", false, endpoint{}, "not a number"},
		{"host:70000", false, endpoint{}, "out of range"},
		{"a b:80", false, endpoint{}, "not a host name"},
		{"80a", false, endpoint{}, "not a number"},
	}
	for _, tt := range tests {
		got, err := parseEndpoint(tt.in, tt.all)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("parseEndpoint(%q) err = %v, want %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("parseEndpoint(%q, %v) = %+v, %v; want %+v", tt.in, tt.all, got, err, tt.want)
		}
	}
}

func FuzzParsePorts(f *testing.F) {
	for _, s := range []string{"8080", "8081-8089, 9000", "8089-8080", "1,1", "", "-", "65535-65535"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ports, err := ParsePorts(s)
		if err != nil {
			return
		}
		seen := map[int]bool{}
		for _, p := range ports {
			if p < 1 || p > 65535 || seen[p] {
				t.Fatalf("ParsePorts(%q) returned bad or duplicate port %d", s, p)
			}
			seen[p] = true
		}
	})
}

func FuzzParseEndpoint(f *testing.F) {
	for _, s := range []string{"8080", ":8080", "[::1]:80", "0.0.0.0:1", "x:y", "[", "::"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ep, err := parseEndpoint(s, false)
		if err == nil && (ep.port < 0 || ep.port > 65535) {
			t.Fatalf("parseEndpoint(%q) port %d", s, ep.port)
		}
	})
}
