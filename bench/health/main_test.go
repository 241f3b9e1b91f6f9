package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestBadFlags(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"-clients", "0"}, "-clients 0 out of range; use 1 to 512"},
		{[]string{"-clients", "100000"}, "-clients 100000 out of range"},
		{[]string{"-duration", "1h"}, "-duration 1h0m0s out of range"},
		{[]string{"-duration", "-1s"}, "out of range"},
		{[]string{"-check", "-5ms"}, "-check -5ms out of range"},
		{[]string{"-clients", "many"}, `invalid value "many" for flag -clients`},
		{[]string{"extra"}, `unexpected argument "extra"`},
	}
	for _, tt := range tests {
		var out, errb bytes.Buffer
		if code := run(tt.args, &out, &errb); code != 2 || !strings.Contains(errb.String(), tt.want) {
			t.Errorf("run(%q) = %d, stderr %q; want 2 and %q", tt.args, code, errb.String(), tt.want)
		}
	}
}

func TestShortRun(t *testing.T) {
	var out, errb bytes.Buffer
	code := run([]string{"-clients", "2", "-duration", "100ms", "-check", "20ms"}, &out, &errb)
	if code != 0 {
		t.Fatalf("exit %d; stdout %s stderr %s", code, out.String(), errb.String())
	}
	for _, want := range []string{"cached (interval 1s)", "uncached (check per probe)", "p50", "p99"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}
