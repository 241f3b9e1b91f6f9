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
// serve.Run, puts it under load from 32 concurrent clients for 2 s
// (half keep-alive, half a new connection per request, most requests
// sleeping 50–200 ms in the handler), sends SIGTERM after 1 s and checks:
// no request failed, every request the child accepted completed, a new
// connection after the listener closed is refused at once, READY=1 and
// STOPPING=1 arrived over sd_notify, and the child exited 0 within lame
// duck + grace. The figures are logged (go test -v) and printed by
// `go run ./bench/drain`.
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
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rep, err := draintest.Run(ctx, draintest.Config{
		Command: func() *exec.Cmd {
			// -test.run=^$ keeps the child from running tests should
			// TestMain's dispatch ever be bypassed.
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			// Under -race the child would otherwise sleep 1 s at exit
			// (the race runtime's atexit_sleep_ms), counting against its
			// stop time. A race in the child still fails the test: the
			// race runtime then exits with code 66.
			cmd.Env = append(os.Environ(), "GORACE="+strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0"))
			return cmd
		},
		Clients:   32,
		Duration:  2 * time.Second,
		StopAfter: time.Second,
		LameDuck:  200 * time.Millisecond,
		Grace:     5 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	rep.WriteText(&out)
	t.Log("\n" + out.String())
	if problems := rep.Problems(); len(problems) > 0 {
		t.Errorf("drain was not clean:\n  %s\nchild output:\n%s", strings.Join(problems, "\n  "), rep.ChildOutput)
	}
}
