package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestRunPrintsFigures(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run([]string{"-n", "50", "-c", "4", "-d", "100ms", "-json"}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	var r report
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatalf("report %s: %v", out.String(), err)
	}
	if r.Failed != 0 || r.Direct.P50 <= 0 || r.Front.P50 <= 0 || r.FrontHTML.P50 <= 0 || r.DirectRPS <= 0 || r.FrontRPS <= 0 {
		t.Fatalf("report %+v: want figures for every row and no failed request", r)
	}
}

func TestRunRejectsBadFlags(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"-n", "0"}, "-n 0 is out of range"},
		{[]string{"-c", "100000"}, "-c 100000 is out of range"},
		{[]string{"-d", "1h"}, "-d 1h0m0s is out of range"},
		{[]string{"-size", "-1"}, "-size -1 is out of range"},
		{[]string{"extra"}, `unexpected argument "extra"`},
		{[]string{"-bogus"}, "flag provided but not defined"},
	}
	for _, tt := range tests {
		var out, errOut bytes.Buffer
		if code := run(tt.args, &out, &errOut); code != 2 || !strings.Contains(errOut.String(), tt.want) {
			t.Errorf("run(%q) = %d, %q; want 2 and %q", tt.args, code, errOut.String(), tt.want)
		}
	}
}
