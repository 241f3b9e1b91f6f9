package cli

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"testing"
)

// holdPort listens on a loopback port for the duration of the test.
func holdPort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln.Addr().(*net.TCPAddr).Port
}

// freePort returns a port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	return p
}

func requireProcNet(t *testing.T) {
	t.Helper()
	if _, err := os.Stat("/proc/net/tcp"); err != nil {
		t.Skip("no /proc/net/tcp: holders cannot be named here")
	}
}

func TestPortTakenNamesHolder(t *testing.T) {
	requireProcNet(t)
	p := holdPort(t)
	code, out, errOut := runCLI(t, nil, "port", strconv.Itoa(p))
	if code != ExitFailure {
		t.Fatalf("exit %d, want 1 (stderr %q)", code, errOut)
	}
	for _, want := range []string{strconv.Itoa(p), "taken", fmt.Sprintf("127.0.0.1:%d", p), fmt.Sprintf("pid %d", os.Getpid()), "cli.test"} {
		if !strings.Contains(out, want) {
			t.Errorf("output %q lacks %q", out, want)
		}
	}

	code, out, _ = runCLI(t, nil, "port", strconv.Itoa(p), "--json")
	if code != ExitFailure {
		t.Fatalf("--json exit %d", code)
	}
	var rep portReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if len(rep.Ports) != 1 || rep.Ports[0].Free || len(rep.Ports[0].Holders) == 0 || rep.Ports[0].Holders[0].PID != os.Getpid() {
		t.Errorf("report %+v does not name this process", rep)
	}
	if !strings.Contains(out, `"pid"`) || !strings.Contains(out, `"command"`) || !strings.Contains(out, `"address"`) {
		t.Errorf("JSON lacks pid/command/address: %s", out)
	}
}

func TestPortFree(t *testing.T) {
	p := freePort(t)
	code, out, errOut := runCLI(t, nil, "port", strconv.Itoa(p))
	if code != ExitOK {
		t.Skipf("port %d was taken meanwhile (exit %d, %s %s)", p, code, out, errOut)
	}
	if !strings.Contains(out, "free") {
		t.Errorf("output %q does not say free", out)
	}
}

func TestPortNext(t *testing.T) {
	p := holdPort(t)
	if p+20 > 65535 {
		t.Skip("held port too close to 65535")
	}
	spec := fmt.Sprintf("%d-%d", p, p+20)
	code, out, errOut := runCLI(t, nil, "port", "--next", spec)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	n, err := strconv.Atoi(strings.TrimSpace(out))
	if err != nil || n <= p || n > p+20 {
		t.Fatalf("--next %s printed %q, want a single port after the held %d", spec, out, p)
	}

	code, out, _ = runCLI(t, nil, "port", "--next", strconv.Itoa(p), "--json")
	if code != ExitFailure || !strings.Contains(out, `"next": 0`) {
		t.Errorf("--next on a held port: exit %d, output %s", code, out)
	}
	code, _, errOut = runCLI(t, nil, "port", "--next", strconv.Itoa(p))
	if code != ExitFailure || !strings.Contains(errOut, "no free port in") {
		t.Errorf("--next on a held port: exit %d, stderr %q", code, errOut)
	}
}

func TestPortBadInput(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"port"}, "name a port"},
		{[]string{"port", "80a"}, `"80a" is not a number`},
		{[]string{"port", "70000"}, "70000 is out of range"},
		{[]string{"port", "0"}, "0 is out of range"},
		{[]string{"port", "--", "-1"}, "start is empty"},
		{[]string{"port", "8080", "8080"}, "port 8080 is listed twice"},
		{[]string{"port", "--next", "8089-8080"}, `--next "8089-8080": range "8089-8080" is reversed; write 8080-8089`},
		{[]string{"port", "--next", ""}, "lists no ports"},
		{[]string{"port", "--next", "8080,8080"}, "listed twice"},
	}
	for _, tt := range tests {
		code, _, errOut := runCLI(t, nil, tt.args...)
		if code != ExitUsage || !strings.Contains(errOut, tt.want) {
			t.Errorf("%q: exit %d, stderr %q; want 2 and %q", tt.args, code, errOut, tt.want)
		}
	}
}

// TestPortWithNext: ports and --next together, in text and JSON.
func TestPortWithNext(t *testing.T) {
	requireProcNet(t)
	held := holdPort(t)
	if held+20 > 65535 {
		t.Skip("held port too close to 65535")
	}
	spec := fmt.Sprintf("%d-%d", held, held+20)
	code, out, errOut := runCLI(t, nil, "port", strconv.Itoa(held), "--next", spec)
	if code != ExitFailure {
		t.Fatalf("exit %d, want 1 for a taken port (stderr %q)", code, errOut)
	}
	if !strings.Contains(out, fmt.Sprintf("%-5d  taken", held)) {
		t.Errorf("text %q does not say %d is taken", out, held)
	}
	if !strings.Contains(out, "next free port in "+spec+": ") {
		t.Errorf("text %q lacks the next free port line", out)
	}

	code, out, _ = runCLI(t, nil, "port", "--next", spec, "--json")
	if code != ExitOK {
		t.Fatalf("--next --json exit %d: %s", code, out)
	}
	var rep struct {
		Next int `json:"next"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if rep.Next <= held || rep.Next > held+20 {
		t.Errorf("--json next = %d, want a port after the held %d", rep.Next, held)
	}
}
