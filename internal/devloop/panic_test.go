package devloop

import (
	"strings"
	"testing"
)

func TestParsePanic(t *testing.T) {
	tests := []struct {
		name, out string
		want      Diagnostic
		ok        bool
	}{
		{"no panic", "listening on :8080\nexit status 1\n", Diagnostic{}, false},
		{"panic in main", "starting\npanic: boom\n\ngoroutine 1 [running]:\nmain.main()\n\t/src/app/main.go:12 +0x25\n",
			Diagnostic{File: "main.go", Line: 12, Message: "boom"}, true},
		{"runtime frames skipped for the module's", "panic: runtime error: invalid memory address or nil pointer dereference\n[signal SIGSEGV: segmentation violation code=0x1 addr=0x0 pc=0x4]\n\ngoroutine 1 [running]:\nruntime.panicmem()\n\t/usr/lib/go/src/runtime/panic.go:262 +0x2e\ngithub.com/x/app/internal/web.New(...)\n\t/src/app/internal/web/web.go:40\nmain.main()\n\t/src/app/main.go:9 +0x1d\n",
			Diagnostic{File: "internal/web/web.go", Line: 40, Message: "runtime error: invalid memory address or nil pointer dereference"}, true},
		{"outside the module: first non-runtime frame", "panic: bad config [recovered]\n\ngoroutine 7 [running]:\nruntime.gopanic()\n\t/usr/lib/go/src/runtime/panic.go:770 +0x1\ngithub.com/lib/cfg.Must()\n\t/home/u/go/pkg/mod/github.com/lib/cfg@v1.0.0/cfg.go:5 +0x9\n",
			Diagnostic{File: "/home/u/go/pkg/mod/github.com/lib/cfg@v1.0.0/cfg.go", Line: 5, Message: "bad config"}, true},
		{"fatal error", "fatal error: all goroutines are asleep - deadlock!\n\ngoroutine 1 [chan receive]:\nmain.main()\n\t/src/app/main.go:7 +0x1\n",
			Diagnostic{File: "main.go", Line: 7, Message: "all goroutines are asleep - deadlock!"}, true},
		{"only the panicking goroutine", "panic: x\n\ngoroutine 1 [running]:\nruntime.gopanic()\n\t/usr/lib/go/src/runtime/panic.go:1 +0x1\nmain.f()\n\t/elsewhere/f.go:3 +0x1\n\ngoroutine 2 [select]:\nmain.g()\n\t/src/app/g.go:9 +0x1\n",
			Diagnostic{File: "/elsewhere/f.go", Line: 3, Message: "x"}, true},
		{"no trace", "panic: early\n", Diagnostic{Message: "early"}, true},
		{"hostile frame lines", "panic: y\n\n\t:12\n\tfile.go:-3\n\tfile.go:abc +0x\n\t.go:0\n", Diagnostic{Message: "y"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := ParsePanic(tt.out, "/src/app")
			if ok != tt.ok || got != tt.want {
				t.Errorf("ParsePanic = %+v, %v; want %+v, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}

func FuzzParsePanic(f *testing.F) {
	f.Add("panic: boom\n\ngoroutine 1 [running]:\nmain.main()\n\t/src/app/main.go:12 +0x25\n")
	f.Add("fatal error: x\n\t:\n\t.go:99999999999999999999\n")
	f.Fuzz(func(t *testing.T, out string) {
		d, ok := ParsePanic(out, "/src/app")
		if !ok && d != (Diagnostic{}) {
			t.Fatalf("no panic but %+v", d)
		}
		if ok && d.Line < 0 {
			t.Fatalf("negative line %d", d.Line)
		}
		if ok && !strings.Contains(out, d.Message) {
			t.Fatalf("message %q not from the output", d.Message)
		}
	})
}
