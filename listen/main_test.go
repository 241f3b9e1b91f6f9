package listen_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/golocal/golocal/listen"
)

// helperEnv selects what the re-executed test binary does instead of
// running tests. Real child processes are needed: a port held by another
// process, sockets inherited across exec, privileges dropped.
const helperEnv = "GOLOCAL_LISTEN_TEST_HELPER"

func TestMain(m *testing.M) {
	switch os.Getenv(helperEnv) {
	case "":
		os.Exit(m.Run())
	case "hold":
		helperHold()
	case "listen":
		helperListen()
	default:
		fmt.Fprintln(os.Stderr, "unknown helper mode")
		os.Exit(2)
	}
}

// helperHold holds a loopback port until stdin closes, printing the port.
func helperHold() {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	fmt.Println(ln.Addr().(*net.TCPAddr).Port)
	_, _ = io.Copy(io.Discard, os.Stdin)
	os.Exit(0)
}

// helperReport is what helperListen prints as its first line.
type helperReport struct {
	PID      int
	Source   string
	Addr     string
	Name     string
	Warnings []string
	Error    string
	EnvLeft  string // LISTEN_FDS after Listen: must be unset
}

// helperListen calls listen.Listen with the real environment, reports the
// result as one JSON line and, on success, serves HTTP until stdin closes.
func helperListen() {
	res, err := listen.Listen(context.Background(), listen.Options{Addr: os.Getenv("HELPER_ADDR"), Default: "127.0.0.1:0"})
	rep := helperReport{PID: os.Getpid(), EnvLeft: os.Getenv("LISTEN_FDS")}
	if err != nil {
		rep.Error = err.Error()
	} else {
		rep.Source, rep.Addr, rep.Name, rep.Warnings = res.Source, res.Addr, res.Name, res.Warnings
	}
	b, _ := json.Marshal(rep)
	fmt.Println(string(b))
	if err != nil {
		os.Exit(1)
	}
	go func() {
		_, _ = io.Copy(io.Discard, os.Stdin)
		os.Exit(0)
	}()
	_ = http.Serve(res.Listener, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintf(w, "hello from pid %d", os.Getpid())
	}))
	os.Exit(0)
}

// child is a running helper process.
type child struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	out   *bufio.Reader
}

// startHelper starts the test binary in mode with extra environment; prepare
// may adjust the command (PassSockets, credentials) before it starts.
func startHelper(t *testing.T, mode string, env []string, prepare func(*exec.Cmd) error) *child {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe)
	cmd.Env = append(append(os.Environ(), helperEnv+"="+mode), env...)
	cmd.Stderr = os.Stderr
	if prepare != nil {
		if err := prepare(cmd); err != nil {
			t.Fatal(err)
		}
	}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	c := &child{cmd: cmd, stdin: stdin, out: bufio.NewReader(stdout)}
	t.Cleanup(func() {
		stdin.Close()
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	})
	return c
}

// line reads the child's next output line, failing after a deadline.
func (c *child) line(t *testing.T) string {
	t.Helper()
	type result struct {
		s   string
		err error
	}
	ch := make(chan result, 1)
	go func() {
		s, err := c.out.ReadString('\n')
		ch <- result{strings.TrimSpace(s), err}
	}()
	select {
	case r := <-ch:
		if r.err != nil && r.s == "" {
			t.Fatalf("reading child output: %v", r.err)
		}
		return r.s
	case <-time.After(20 * time.Second):
		t.Fatal("child printed nothing within 20s")
		return ""
	}
}

func (c *child) report(t *testing.T) helperReport {
	t.Helper()
	l := c.line(t)
	var rep helperReport
	if err := json.Unmarshal([]byte(l), &rep); err != nil {
		t.Fatalf("child output %q is not a report: %v", l, err)
	}
	return rep
}

func TestFallbackNamesHolder(t *testing.T) {
	holder := startHelper(t, "hold", nil, nil)
	var port int
	if _, err := fmt.Sscan(holder.line(t), &port); err != nil {
		t.Fatal(err)
	}
	res, err := listen.Listen(context.Background(), listen.Options{
		Addr:            fmt.Sprintf("127.0.0.1:%d", port),
		Fallback:        fmt.Sprintf("%d-%d", port+1, port+20),
		IgnoreInherited: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer res.Listener.Close()
	if res.Source != listen.SourceFallback {
		t.Errorf("Source = %q, want fallback", res.Source)
	}
	if len(res.Attempts) == 0 {
		t.Fatal("no attempts recorded for the held port")
	}
	// Every attempt failed because its port was taken, so the port obtained
	// is the next one after them.
	wantAddr := fmt.Sprintf("127.0.0.1:%d", port+len(res.Attempts))
	if res.Addr != wantAddr {
		t.Errorf("Addr = %s, want %s (attempts %v)", res.Addr, wantAddr, res.Attempts)
	}
	var inUse *listen.PortInUseError
	if !errors.As(res.Attempts[0].Err, &inUse) {
		t.Fatalf("first attempt err = %v, want *PortInUseError", res.Attempts[0].Err)
	}
	if res.Attempts[0].Source != listen.SourceOption {
		t.Errorf("first attempt source = %q", res.Attempts[0].Source)
	}
	var named bool
	for _, h := range inUse.Holders {
		if h.PID == holder.cmd.Process.Pid && strings.Contains(h.Command, "listen.test") {
			named = true
		}
	}
	if !named {
		t.Errorf("holders %v do not name the child pid %d", inUse.Holders, holder.cmd.Process.Pid)
	}
	if msg := inUse.Error(); !strings.Contains(msg, fmt.Sprintf("pid %d", holder.cmd.Process.Pid)) || !strings.Contains(msg, "(option)") {
		t.Errorf("message %q does not name the holder pid and source", msg)
	}

	// Without fallback the PortInUseError itself is returned.
	_, err = listen.Listen(context.Background(), listen.Options{Addr: fmt.Sprintf("127.0.0.1:%d", port), IgnoreInherited: true})
	if !errors.As(err, &inUse) || !strings.Contains(err.Error(), fmt.Sprintf("pid %d", holder.cmd.Process.Pid)) {
		t.Errorf("err = %v, want PortInUseError naming pid %d", err, holder.cmd.Process.Pid)
	}
	// When every port is taken, all attempts are reported.
	_, err = listen.Listen(context.Background(), listen.Options{Addr: fmt.Sprintf("127.0.0.1:%d", port), Fallback: strings.TrimPrefix(res.Addr, "127.0.0.1:"), IgnoreInherited: true})
	var all *listen.AllFailedError
	if !errors.As(err, &all) || len(all.Attempts) != 2 || !errors.As(err, &inUse) {
		t.Errorf("err = %v, want AllFailedError with 2 attempts", err)
	}
}

// passedListener opens a loopback listener and returns a file for it to
// pass to a child.
func passedListener(t *testing.T) (*os.File, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	f, err := ln.(*net.TCPListener).File()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f, ln.Addr().String()
}

func TestSocketActivationChildServes(t *testing.T) {
	f, addr := passedListener(t)
	c := startHelper(t, "listen", nil, func(cmd *exec.Cmd) error {
		return listen.PassSockets(cmd, []string{"web"}, f)
	})
	rep := c.report(t)
	if rep.Error != "" {
		t.Fatalf("child: %s", rep.Error)
	}
	if rep.Source != listen.SourceActivation || rep.Addr != addr || rep.Name != "web" {
		t.Errorf("child got %+v, want LISTEN_FDS %s named web", rep, addr)
	}
	if rep.EnvLeft != "" {
		t.Errorf("LISTEN_FDS=%q left in the child's environment", rep.EnvLeft)
	}
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Get("http://" + addr + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if want := fmt.Sprintf("hello from pid %d", c.cmd.Process.Pid); string(body) != want {
		t.Errorf("body %q, want %q (LISTEN_PID must be the final process)", body, want)
	}
}

func TestSocketActivationMismatchedPIDIgnored(t *testing.T) {
	f, addr := passedListener(t)
	// Pass the socket without the sh wrapper, with a LISTEN_PID that is not
	// the child's: the child must ignore the socket and listen on its own.
	c := startHelper(t, "listen", []string{"LISTEN_FDS=1", fmt.Sprintf("LISTEN_PID=%d", os.Getpid())}, func(cmd *exec.Cmd) error {
		cmd.ExtraFiles = []*os.File{f}
		return nil
	})
	rep := c.report(t)
	if rep.Error != "" {
		t.Fatalf("child: %s", rep.Error)
	}
	if rep.Source != listen.SourceDefault || rep.Addr == addr {
		t.Errorf("child used %s from %s, want its own default listener", rep.Addr, rep.Source)
	}
	if len(rep.Warnings) == 0 || !strings.Contains(rep.Warnings[0], "is not this process") {
		t.Errorf("warnings %q do not explain the ignored LISTEN_PID", rep.Warnings)
	}
	if rep.EnvLeft != "" {
		t.Errorf("LISTEN_FDS=%q left in the child's environment", rep.EnvLeft)
	}
}

func TestSocketActivationMissingFD(t *testing.T) {
	f, _ := passedListener(t)
	// LISTEN_FDS=3 but only fd 3 is passed.
	c := startHelper(t, "listen", nil, func(cmd *exec.Cmd) error {
		if err := listen.PassSockets(cmd, nil, f); err != nil {
			return err
		}
		cmd.Env = append(cmd.Env, "LISTEN_FDS=3")
		return nil
	})
	rep := c.report(t)
	if !strings.Contains(rep.Error, `LISTEN_FDS="3" from the environment: fd 4 `) || !strings.Contains(rep.Error, "must pass 3 listening sockets") {
		t.Errorf("error %q does not name LISTEN_FDS=3 and fd 4", rep.Error)
	}
}

func TestPrivilegedPortAsUnprivilegedUser(t *testing.T) {
	if os.Geteuid() != 0 {
		// Already unprivileged: run the check in-process.
		_, err := listen.Listen(context.Background(), listen.Options{Addr: "127.0.0.1:80", IgnoreInherited: true})
		var pe *listen.PrivilegedPortError
		if listen.UnprivilegedPortStart() > 80 && !errors.As(err, &pe) {
			t.Fatalf("err = %v, want PrivilegedPortError", err)
		}
		return
	}
	if listen.UnprivilegedPortStart() <= 80 {
		t.Skip("ip_unprivileged_port_start allows port 80 for everyone here")
	}
	c := startHelper(t, "listen", []string{"HELPER_ADDR=127.0.0.1:80"}, func(cmd *exec.Cmd) error {
		return runAsNobody(t, cmd)
	})
	line, err := c.out.ReadString('\n')
	if err != nil && line == "" {
		t.Skipf("the test binary cannot run as nobody here (%v)", err)
	}
	var rep helperReport
	if err := json.Unmarshal([]byte(line), &rep); err != nil {
		t.Fatalf("child output %q: %v", line, err)
	}
	want := "port 80 (option) needs root or CAP_NET_BIND_SERVICE"
	if !strings.Contains(rep.Error, want) || !strings.Contains(rep.Error, "try 8080") {
		t.Errorf("error %q, want %q and a suggestion", rep.Error, want)
	}
}
