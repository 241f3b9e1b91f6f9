package main

import (
	"strings"
	"testing"
)

func TestRunRejectsBadFlags(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"-clients", "0"}, "-clients 0 is out of range"},
		{[]string{"-duration", "10ms"}, "-duration 10ms is out of range"},
		{[]string{"-duration", "1s", "-stop-after", "2s"}, "-stop-after 2s must be between"},
		{[]string{"-grace", "0s"}, "-grace between 0 and 1m"},
		{[]string{"extra"}, `unexpected argument "extra"`},
		{[]string{"-clients", "many"}, "invalid value"},
		{[]string{"-profile", "fast"}, `-profile "fast": want mixed, prod or both`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			var stdout, stderr strings.Builder
			if code := run(tt.args, &stdout, &stderr); code != 2 {
				t.Errorf("exit code %d, want 2 (usage)", code)
			}
			if !strings.Contains(stderr.String(), tt.want) {
				t.Errorf("stderr %q does not contain %q", stderr.String(), tt.want)
			}
		})
	}
}
