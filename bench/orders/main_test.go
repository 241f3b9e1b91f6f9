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
		{[]string{"-clients", "0"}, "-clients 0 out of range"},
		{[]string{"-duration", "1h"}, "-duration 1h0m0s out of range"},
		{[]string{"-rounds", "0"}, "-rounds 0 out of range"},
		{[]string{"extra"}, `unexpected argument "extra"`},
	}
	for _, tt := range tests {
		var out, errb bytes.Buffer
		if code := run(tt.args, func(string) string { return "" }, &out, &errb); code != 2 || !strings.Contains(errb.String(), tt.want) {
			t.Errorf("run(%q) = %d, stderr %q; want 2 and %q", tt.args, code, errb.String(), tt.want)
		}
	}
}

func TestShortRun(t *testing.T) {
	var out, errb bytes.Buffer
	code := run([]string{"-clients", "2", "-duration", "200ms", "-rounds", "2"}, func(string) string { return "" }, &out, &errb)
	if code != 0 {
		t.Fatalf("exit %d; stdout %s stderr %s", code, out.String(), errb.String())
	}
	for _, want := range []string{"sqlite", "create", "get", "full/bare"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}
