package draintest

import (
	"errors"
	"io"
	"net"
	"net/url"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestClassify(t *testing.T) {
	signal := time.Now()
	before, after := signal.Add(-time.Second), signal.Add(time.Second)
	dialErr := func(errno syscall.Errno) error {
		return &url.Error{Op: "Get", URL: "http://127.0.0.1:1/", Err: &net.OpError{Op: "dial", Net: "tcp", Err: &os.SyscallError{Syscall: "connect", Err: errno}}}
	}
	readErr := func(errno syscall.Errno) error {
		return &url.Error{Op: "Get", URL: "http://127.0.0.1:1/", Err: &net.OpError{Op: "read", Net: "tcp", Err: &os.SyscallError{Syscall: "read", Err: errno}}}
	}
	accepted := map[string]bool{"127.0.0.1:1000": true}
	tests := []struct {
		name string
		o    outcome
		want string // completed, refused, handshake, reset, failed
	}{
		{"200 with its body", outcome{status: 200, bodyOK: true}, "completed"},
		{"200 with a truncated body", outcome{status: 200}, "failed"},
		{"503", outcome{status: 503, bodyOK: true}, "failed"},
		{"connection refused", outcome{err: dialErr(syscall.ECONNREFUSED), ended: after}, "refused"},
		{"reset during connect after SIGTERM", outcome{err: dialErr(syscall.ECONNRESET), ended: after}, "handshake"},
		{"reset during connect before SIGTERM", outcome{err: dialErr(syscall.ECONNRESET), ended: before}, "failed"},
		{"reset on a connection the child never accepted", outcome{err: readErr(syscall.ECONNRESET), localAddr: "127.0.0.1:2000", ended: after}, "reset"},
		{"reset on a connection the child accepted", outcome{err: readErr(syscall.ECONNRESET), localAddr: "127.0.0.1:1000", ended: after}, "reset"},
		{"reset on a reused connection", outcome{err: readErr(syscall.ECONNRESET), localAddr: "127.0.0.1:2000", reused: true, ended: after}, "reset"},
		{"reset before SIGTERM", outcome{err: readErr(syscall.ECONNRESET), localAddr: "127.0.0.1:2000", ended: before}, "reset"},
		{"broken pipe", outcome{err: readErr(syscall.EPIPE), localAddr: "127.0.0.1:1000", ended: after}, "reset"},
		{"EOF without an answer", outcome{err: &url.Error{Op: "Get", URL: "http://127.0.0.1:1/", Err: io.EOF}, localAddr: "127.0.0.1:1000", ended: after}, "reset"},
		{"timeout", outcome{err: errors.New("context deadline exceeded"), localAddr: "127.0.0.1:1000", ended: after}, "failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := &load{outcomes: []outcome{tt.o}}
			l.markSignal(signal)
			rep := &Report{}
			l.classify(rep, accepted, true)
			got := map[string]int{"completed": rep.Completed, "refused": rep.Refused, "handshake": rep.RefusedInHandshake, "reset": rep.Resets, "failed": rep.Failed}
			for k, v := range got {
				if want := btoi(k == tt.want); v != want {
					t.Errorf("%s = %d, want %d (report %+v)", k, v, want, rep)
				}
			}
			if wantNever := tt.want == "reset" && tt.o.localAddr == "127.0.0.1:2000" && !tt.o.reused; rep.ResetsNotAccepted != btoi(wantNever) {
				t.Errorf("ResetsNotAccepted = %d, want %d", rep.ResetsNotAccepted, btoi(wantNever))
			}
			if rep.Sent != 1 {
				t.Errorf("Sent = %d, want 1", rep.Sent)
			}
		})
	}
}

func TestClassifyWithoutChildCountersStillCountsResets(t *testing.T) {
	l := &load{outcomes: []outcome{{err: syscall.ECONNRESET, localAddr: "127.0.0.1:2000", ended: time.Now().Add(time.Hour)}}}
	l.markSignal(time.Now())
	rep := &Report{}
	l.classify(rep, nil, false)
	if rep.Resets != 1 || rep.ResetsNotAccepted != 0 {
		t.Fatalf("without the child's list of connections a reset is a reset of unknown origin; got %+v", rep)
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestProblems(t *testing.T) {
	clean := func() Report {
		return Report{Sent: 10, Accepted: 8, Completed: 8, Refused: 2, InFlightAtSignal: 3, ProbeRefused: true,
			ProbeDial: time.Millisecond, NotifiedReady: true, NotifiedStopping: true, StopTime: time.Second, LameDuck: 0, Grace: 5 * time.Second}
	}
	tests := []struct {
		name   string
		change func(*Report)
		want   string
	}{
		{"clean", func(*Report) {}, ""},
		{"failed requests", func(r *Report) { r.Failed = 1 }, "1 requests failed"},
		{"resets", func(r *Report) { r.Resets, r.ResetsNotAccepted = 3, 2 }, "3 requests were reset or closed without an answer (2 on connections the child never accepted)"},
		{"accepted but lost", func(r *Report) { r.Accepted = 9 }, "accepted 9 requests but clients completed 8"},
		{"no counters", func(r *Report) { r.StatsError = "missing" }, "counters unavailable"},
		{"hung probe", func(r *Report) { r.ProbeDial = time.Second }, "should be immediate"},
		{"no refusal", func(r *Report) { r.ProbeRefused = false; r.ProbeError = "accepted" }, "was not refused"},
		{"no STOPPING", func(r *Report) { r.NotifiedStopping = false }, "STOPPING=1 received false"},
		{"exit code", func(r *Report) { r.ExitCode = 1 }, "exited with code 1"},
		{"killed", func(r *Report) { r.Killed = true }, "was killed"},
		{"slow stop", func(r *Report) { r.StopTime = 6 * time.Second }, "took 6s to stop"},
		{"idle at signal", func(r *Report) { r.InFlightAtSignal = 0 }, "no request was in flight"},
		{"no load", func(r *Report) { r.Sent, r.Completed, r.Accepted = 0, 0, 0 }, "the load never ran"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := clean()
			tt.change(&r)
			p := strings.Join(r.Problems(), "; ")
			if tt.want == "" && p != "" || !strings.Contains(p, tt.want) {
				t.Errorf("Problems() = %q, want %q", p, tt.want)
			}
			var out strings.Builder
			r.WriteText(&out)
			if pass := strings.Contains(out.String(), "result: PASS"); pass != (tt.want == "") {
				t.Errorf("WriteText says PASS=%v for problems %q:\n%s", pass, p, out.String())
			}
		})
	}
}

func TestChildEnvDropsInheritedProtocolVariables(t *testing.T) {
	in := []string{"PATH=/bin", "LISTEN_FDS=2", "LISTEN_PID=1", "LISTEN_FDNAMES=x", "NOTIFY_SOCKET=/run/x", envChild + "=1", "HOME=/root"}
	got := strings.Join(childEnv(in), " ")
	if got != "PATH=/bin HOME=/root" {
		t.Errorf("childEnv = %q, want only PATH and HOME", got)
	}
}

func TestChildRefusesToRunWithoutItsSocket(t *testing.T) {
	env := map[string]string{envGrace: "1s", envLameDuck: "0s", envStats: t.TempDir() + "/stats.json"}
	var out strings.Builder
	code := ChildMain(func(k string) string { return env[k] }, &out)
	if code != 1 || !strings.Contains(out.String(), "LISTEN_FDS") {
		t.Errorf("ChildMain without LISTEN_FDS = %d, %q; want 1 and an explanation", code, out.String())
	}
	env[envGrace] = "soon"
	out.Reset()
	if code := ChildMain(func(k string) string { return env[k] }, &out); code != 1 || !strings.Contains(out.String(), `GOLOCAL_DRAIN_GRACE="soon" is not a duration`) {
		t.Errorf("ChildMain with a bad grace = %d, %q", code, out.String())
	}
}

func TestRunNeedsACommand(t *testing.T) {
	if _, err := Run(t.Context(), Config{}); err == nil || !strings.Contains(err.Error(), "Config.Command is nil") {
		t.Fatalf("Run without Command = %v", err)
	}
}
