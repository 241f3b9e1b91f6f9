package serve_test

import (
	"context"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/golocal/golocal/serve/draintest"
)

// TestDrainUnderLoad runs this test binary as a child serving with
// serve.Run, puts it under load, sends SIGTERM midway and checks: no
// request was reset or failed, every request the child accepted
// completed, a new connection after the listener closed is refused at
// once, READY=1 and STOPPING=1 arrived over sd_notify, and the child
// exited 0 within lame duck + grace. The figures are logged (go test -v)
// and printed by `go run ./bench/drain`.
//
// Two profiles: a mixed load (32 clients, half keep-alive, most requests
// sleeping 50–200 ms, so many are in flight at SIGTERM), and the
// production profile (16 clients reconnecting for every fast request,
// lame duck 2 s), which keeps connections arriving in the kernel's accept
// queue up to the moment the listener closes. Before the fix, those taken
// from the queue at the close were handed to nobody (the Accept blocked
// in Serve woke up on the closed listener first) and reset.
func TestDrainUnderLoad(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the drain harness passes the socket as fd 3 and stops with SIGTERM: Unix only")
	}
	if testing.Short() {
		t.Skip("drain test runs a child process under load for ~2s")
	}
	if _, err := os.Stat("/bin/sh"); err != nil {
		t.Log("no /bin/sh: the child runs without LISTEN_PID")
	}
	tests := []struct {
		name string
		cfg  draintest.Config
	}{
		{"mixed load", draintest.Config{Clients: 32, Duration: 2 * time.Second, StopAfter: time.Second, LameDuck: 200 * time.Millisecond, Grace: 5 * time.Second}},
		{"prod profile, reconnecting clients", draintest.Config{Clients: 16, Duration: 3 * time.Second, StopAfter: 500 * time.Millisecond, LameDuck: 2 * time.Second, Grace: 5 * time.Second, Reconnect: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			cfg := tt.cfg
			cfg.Command = func() *exec.Cmd {
				// -test.run=^$ keeps the child from running tests should
				// TestMain's dispatch ever be bypassed.
				cmd := exec.Command(os.Args[0], "-test.run=^$")
				// Under -race the child would otherwise sleep 1 s at exit
				// (the race runtime's atexit_sleep_ms), counting against
				// its stop time. A race in the child still fails the test:
				// the race runtime then exits with code 66.
				cmd.Env = append(os.Environ(), "GORACE="+strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0"))
				return cmd
			}
			rep, err := draintest.Run(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			var out strings.Builder
			rep.WriteText(&out)
			t.Log("\n" + out.String())
			if problems := rep.Problems(); len(problems) > 0 {
				t.Errorf("drain was not clean:\n  %s\nchild output:\n%s", strings.Join(problems, "\n  "), rep.ChildOutput)
			}
		})
	}
}
