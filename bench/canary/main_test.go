package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestRunPrintsFigures(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run([]string{"-n", "100", "-json"}, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	var r report
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		t.Fatalf("report %s: %v", out.String(), err)
	}
	if r.Failed != 0 || r.Direct.P50 <= 0 || r.Front.P50 <= 0 || r.Mirror.P50 <= 0 {
		t.Fatalf("report %+v: want figures for every row and no failed request", r)
	}
}

func TestRunRejectsBadFlags(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run([]string{"-n", "5"}, &out, &errOut); code != 2 || !strings.Contains(errOut.String(), "-n 5 is out of range") {
		t.Fatalf("exit %d, stderr %q", code, errOut.String())
	}
}
