package verify

import (
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// testServices are the programs under testdata, built once per test run.
var testServices = []string{"good", "naive", "leaky", "livedb", "deaf", "utf8"}

var built struct {
	once sync.Once
	dir  string
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
	os.Exit(code)
}

// binary returns the path of a testdata service, building all of them
// the first time (one go build for the six).
func binary(t testing.TB, name string) string {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("verify runs services on Unix only")
	}
	built.once.Do(func() {
		built.dir, built.err = os.MkdirTemp("", "verify-testdata-")
		if built.err != nil {
			return
		}
		args := []string{"build", "-trimpath", "-o", built.dir + string(filepath.Separator)}
		for _, s := range testServices {
			args = append(args, "./testdata/"+s)
		}
		out, err := exec.Command("go", args...).CombinedOutput()
		if err != nil {
			built.err = errors.New(string(out))
		}
	})
	if built.err != nil {
		t.Fatalf("building the test services: %v", built.err)
	}
	return filepath.Join(built.dir, name)
}

// fakeDB is a TCP "database" that accepts connections: the services'
// readiness dials it through verify's proxy.
func fakeDB(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	return "tcp://" + ln.Addr().String() + "/db"
}

// testOptions are the options of an audit of a testdata service: the
// prod profile with its secret, a database, a memory limit, short waits.
func testOptions(t testing.TB, name string, env ...string) Options {
	pidfile := filepath.Join(t.TempDir(), "pid")
	t.Cleanup(func() { assertNoOrphan(t, pidfile) })
	base := []string{"DATABASE_URL=" + fakeDB(t), "GOMEMLIMIT=256MiB", "PIDFILE=" + pidfile}
	if name != "naive" { // the kit services require it in prod
		base = append(base, "GOOD_API_TOKEN="+randomSecret())
	}
	return Options{
		Binary:        binary(t, name),
		Env:           append(base, env...),
		Grace:         4 * time.Second,
		StartTimeout:  10 * time.Second,
		SlowlorisWait: 6 * time.Second,
		// A shared 2-core machine running the race detector cannot promise
		// the production budget; the break sleeps longer than this.
		ProbeBudget: 500 * time.Millisecond,
	}
}

// assertNoOrphan fails when the last process that wrote pidfile still runs.
func assertNoOrphan(t testing.TB, pidfile string) {
	b, err := os.ReadFile(pidfile)
	if err != nil {
		return // never started
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	if pid <= 0 {
		return
	}
	// The audit waited for its processes; give the kernel a moment to reap.
	for range 50 {
		if !processAlive(pid) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	killProcess(pid)
	t.Errorf("process %d started by the audit is still running after it", pid)
}

func audit(t testing.TB, o Options) *Report {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	rep, err := Run(ctx, o)
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	return rep
}

func result(rep *Report, id string) Result {
	for _, r := range rep.Results {
		if r.ID == id {
			return r
		}
	}
	return Result{}
}

func describe(rep *Report) string {
	var b strings.Builder
	for _, r := range rep.Results {
		if r.Status != Pass {
			b.WriteString("\n" + string(r.Status) + " " + r.ID + ": " + r.Evidence + r.Reason)
		}
	}
	return b.String()
}
