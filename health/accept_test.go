package health_test

import (
	"testing"

	"github.com/golocal/golocal/health"
)

func TestWantsJSON(t *testing.T) {
	tests := []struct {
		accept []string
		want   bool
	}{
		{nil, false},
		{[]string{""}, false},
		{[]string{"application/json"}, true},
		{[]string{"APPLICATION/JSON"}, true},
		{[]string{"text/plain"}, false},
		{[]string{"*/*"}, false},
		{[]string{"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}, false}, // a browser
		{[]string{"application/json;q=0.5, text/plain"}, false},
		{[]string{"text/plain;q=0.5, application/json"}, true},
		{[]string{"application/json;q=0"}, false},
		{[]string{"application/json;q=0, text/plain;q=0"}, false},
		{[]string{"*/*, application/json;q=0.5"}, false}, // JSON named, but weighted lower
		{[]string{"application/*"}, true},
		{[]string{"application/json, */*"}, true},
		{[]string{"text/*", "application/json"}, true},                // second field line counts
		{[]string{"application/json;q=2"}, false},                     // invalid q: member ignored
		{[]string{"application/json;q=abc, text/plain;q=0.1"}, false}, // invalid q ignored
		{[]string{"application/json;charset=utf-8;q=0.9"}, true},
		{[]string{"application/json ;q=0.9 , text/plain ; q=0.8"}, true},
		{[]string{"json"}, false},
		{[]string{"application/json/x"}, false},
		{[]string{";;;,,,==="}, false},
		{[]string{"application/json;q=NaN"}, false},
		{[]string{"*/*;q=0.1, application/json;q=0.1"}, true},
		{[]string{"text/plain, application/json"}, false}, // tie, both explicit: text
	}
	for _, tt := range tests {
		if got := health.WantsJSON(tt.accept); got != tt.want {
			t.Errorf("WantsJSON(%q) = %v, want %v", tt.accept, got, tt.want)
		}
	}
}

func FuzzWantsJSON(f *testing.F) {
	for _, s := range []string{"application/json", "*/*;q=0.8", "text/plain;q=0.5, application/json", ";q=", "a/b;q=1.0000"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, accept string) {
		got := health.WantsJSON([]string{accept})
		// Whatever the bytes, it answers (no panic) and the same way
		// every time; refusing JSON explicitly can never turn a "no" into
		// a "yes".
		if got != health.WantsJSON([]string{accept}) {
			t.Fatal("not deterministic")
		}
		if health.WantsJSON([]string{accept, "application/json;q=0"}) && !got {
			t.Fatal("refusing JSON made JSON preferred")
		}
	})
}
