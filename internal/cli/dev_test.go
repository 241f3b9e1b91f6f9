package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

const devTestApp = `package main

import (
	"fmt"
	"net/http"
	"os"
)

func main() {
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, "BODY")
	})
	http.ListenAndServe("127.0.0.1:"+os.Getenv("PORT"), nil)
}
`

func devApp(body string) string { return strings.Replace(devTestApp, "BODY", body, 1) }

func writeDevModule(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	if _, ok := files["go.mod"]; !ok {
		files["go.mod"] = "module example.test/app\n\ngo 1.26\n"
	}
	for name, content := range files {
		saveFile(t, filepath.Join(dir, name), content)
	}
	return dir
}

// saveFile writes like an editor: a temporary file renamed into place.
func saveFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".swp")
	if err := os.WriteFile(tmp, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func hostEnv(extra map[string]string) map[string]string {
	env := map[string]string{"PATH": os.Getenv("PATH"), "HOME": os.Getenv("HOME"), "GOROOT": os.Getenv("GOROOT")}
	for k, v := range extra {
		env[k] = v
	}
	return env
}

func TestDevBadInput(t *testing.T) {
	app := devApp("x")
	held, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	heldAddr := held.Addr().String()
	tests := []struct {
		name     string
		files    map[string]string
		env      map[string]string
		args     []string
		wantCode int
		want     []string
	}{
		{"no main package", map[string]string{"lib.go": "package lib\n"}, nil, nil, ExitFailure, []string{"no main package in", "golocal dev ./path/to/it"}},
		{"several main packages", map[string]string{"cmd/a/main.go": app, "cmd/b/main.go": app}, nil, nil, ExitFailure, []string{"several main packages under ./cmd (./cmd/a, ./cmd/b)", "golocal dev ./cmd/a"}},
		{"package does not exist", map[string]string{"main.go": app}, nil, []string{"./cmd/nope"}, ExitFailure, []string{"package ./cmd/nope: folder", "does not exist"}},
		{"two packages", map[string]string{"main.go": app}, nil, []string{"./a", "./b"}, ExitUsage, []string{"runs one package, got 2", "after --"}},
		{"go not on PATH", map[string]string{"main.go": app}, map[string]string{"PATH": "/nonexistent", "GOROOT": ""}, nil, ExitFailure, []string{"the go command is not on PATH"}},
		{"port taken", map[string]string{"main.go": app}, nil, []string{"--addr", heldAddr}, ExitFailure, []string{heldAddr + " is in use by ", "(pid " + strconv.Itoa(os.Getpid()) + ")", "try --addr 127.0.0.1:"}},
		{"bad address", map[string]string{"main.go": app}, nil, []string{"--addr", "localhost:http2"}, ExitUsage, []string{`address "localhost:http2": port must be a number`}},
		{"bad env", map[string]string{"main.go": app}, nil, []string{"--env", "NOVALUE"}, ExitUsage, []string{`--env "NOVALUE": want KEY=VALUE`}},
		{"bad golocal.toml", map[string]string{"main.go": app, "golocal.toml": "[watch]\nroot = [\"x\"]\n"}, nil, nil, ExitUsage, []string{"golocal.toml: line 2: unknown key watch.root"}},
		{"output build flag", map[string]string{"main.go": app}, nil, []string{"--build-flag=-o=x"}, ExitUsage, []string{"chooses the output file itself"}},
		{"no go.mod", map[string]string{"go.mod": "", "main.go": app}, nil, nil, ExitFailure, []string{"no go.mod in", "go mod init"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeDevModule(t, tt.files)
			if tt.files["go.mod"] == "" {
				os.Remove(filepath.Join(dir, "go.mod"))
			}
			args := append([]string{"dev", "-C", dir}, tt.args...)
			if !contains(tt.args, "--addr") {
				args = append(args, "--addr", freeAddr(t))
			}
			code, out, errOut := runCLI(t, hostEnv(tt.env), args...)
			if code != tt.wantCode {
				t.Errorf("exit code %d, want %d\nstdout: %s\nstderr: %s", code, tt.wantCode, out, errOut)
			}
			for _, w := range tt.want {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr %q does not contain %q", errOut, w)
				}
			}
			if strings.Contains(errOut, "goroutine ") || strings.Contains(errOut, "panic") {
				t.Errorf("stack trace in output: %s", errOut)
			}
		})
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// lockedBuffer is written by the command and read by the test.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// devSession runs "golocal dev" in-process.
type devSession struct {
	t      *testing.T
	addr   string
	out    *lockedBuffer
	errOut *lockedBuffer
	cancel context.CancelFunc
	code   chan int
}

func startDev(t *testing.T, dir string, extra ...string) *devSession {
	t.Helper()
	s := &devSession{t: t, addr: freeAddr(t), out: &lockedBuffer{}, errOut: &lockedBuffer{}, code: make(chan int, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	env := hostEnv(nil)
	args := append([]string{"dev", "-C", dir, "--addr", s.addr}, extra...)
	go func() {
		s.code <- Run(ctx, args, func(k string) string { return env[k] }, strings.NewReader(""), s.out, s.errOut)
	}()
	t.Cleanup(func() {
		s.cancel()
		select {
		case <-s.code:
		case <-time.After(20 * time.Second):
			t.Error("golocal dev did not stop within 20 s")
		}
	})
	return s
}

func (s *devSession) waitBody(body string, timeout time.Duration) {
	s.t.Helper()
	c := &http.Client{Timeout: 5 * time.Second}
	deadline := time.Now().Add(timeout)
	last := ""
	for time.Now().Before(deadline) {
		resp, err := c.Get("http://" + s.addr + "/")
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == 200 && string(b) == body {
				return
			}
			last = fmt.Sprintf("%d %.200q", resp.StatusCode, b)
		} else {
			last = err.Error()
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.t.Fatalf("no %q from the front within %v (last %s)\nstdout:\n%s\nstderr:\n%s", body, timeout, last, s.out, s.errOut)
}

func (s *devSession) waitOutput(substr string, timeout time.Duration) {
	s.t.Helper()
	deadline := time.Now().Add(timeout)
	for !strings.Contains(s.out.String(), substr) {
		if time.Now().After(deadline) {
			s.t.Fatalf("stdout does not show %q within %v:\n%s\nstderr:\n%s", substr, timeout, s.out, s.errOut)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestDevServesReloadsAndStops(t *testing.T) {
	dir := writeDevModule(t, map[string]string{"main.go": devApp("v1")})
	marker := "GOLOCAL_DEV_TEST=" + strconv.FormatInt(time.Now().UnixNano(), 10)
	s := startDev(t, dir, "--env", marker)
	s.waitBody("v1", 90*time.Second)
	s.waitOutput("started", 10*time.Second)
	if !strings.Contains(s.out.String(), "Local:   http://"+s.addr+"/") {
		t.Errorf("no Local URL in:\n%s", s.out)
	}

	saveFile(t, filepath.Join(dir, "main.go"), strings.Replace(devApp("v2"), `fmt.Fprint(w, "v2")`, `fmt.Fprint(w, missing)`, 1))
	s.waitOutput("build failed", 90*time.Second)
	s.waitOutput("main.go:11:", 5*time.Second)
	s.waitBody("v1", 5*time.Second) // the old version keeps serving

	saveFile(t, filepath.Join(dir, "main.go"), devApp("v3"))
	s.waitBody("v3", 90*time.Second)
	s.waitOutput("swapped", 10*time.Second)

	s.cancel()
	select {
	case code := <-s.code:
		if code != ExitOK {
			t.Errorf("exit code %d after Ctrl-C; stderr:\n%s", code, s.errOut)
		}
		s.code <- code
	case <-time.After(20 * time.Second):
		t.Fatal("golocal dev did not stop")
	}
	if left := processesWithEnv(marker); len(left) > 0 {
		t.Errorf("processes left after golocal dev stopped: %v", left)
	}
}

func TestDevJSONEvents(t *testing.T) {
	dir := writeDevModule(t, map[string]string{"main.go": devApp("v1")})
	s := startDev(t, dir, "--json")
	s.waitBody("v1", 90*time.Second)
	saveFile(t, filepath.Join(dir, "main.go"), strings.Replace(devApp("v2"), `"v2"`, `"v2" +`, 1))
	s.waitOutput(`"event":"build-failed"`, 90*time.Second)
	var failed struct {
		Event       string `json:"event"`
		Diagnostics []struct {
			File    string
			Line    int
			Column  int
			Message string
		} `json:"diagnostics"`
	}
	sc := bufio.NewScanner(strings.NewReader(s.out.String()))
	for sc.Scan() {
		var probe map[string]any
		if err := json.Unmarshal(sc.Bytes(), &probe); err != nil {
			t.Fatalf("not a JSON line: %q", sc.Text())
		}
		if probe["event"] == "build-failed" {
			_ = json.Unmarshal(sc.Bytes(), &failed)
		}
	}
	if len(failed.Diagnostics) == 0 || failed.Diagnostics[0].File != "main.go" || failed.Diagnostics[0].Line == 0 {
		t.Errorf("build-failed diagnostics = %+v", failed.Diagnostics)
	}
}

// processesWithEnv lists the pids whose environment holds kv.
func processesWithEnv(kv string) []string {
	entries, _ := os.ReadDir("/proc")
	var out []string
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "environ"))
		if err != nil {
			continue
		}
		for _, v := range strings.Split(string(b), "\x00") {
			if v == kv {
				out = append(out, e.Name())
				break
			}
		}
	}
	return out
}

func TestMergeDevSettingsAddress(t *testing.T) {
	dir := writeDevModule(t, map[string]string{"main.go": devApp("x")})
	tests := []struct {
		name string
		args []string
		env  map[string]string
		toml string
		want string
	}{
		{"default", nil, nil, "", "127.0.0.1:8080"},
		{"PORT", nil, map[string]string{"PORT": "9000"}, "", "127.0.0.1:9000"},
		{"file", nil, map[string]string{"PORT": "9000"}, "addr = \"127.0.0.1:7000\"\n", "127.0.0.1:7000"},
		{"flag wins", []string{"--addr", "127.0.0.1:6000"}, nil, "addr = \"127.0.0.1:7000\"\n", "127.0.0.1:6000"},
		{"bare port", []string{"--addr", "5000"}, nil, "", "127.0.0.1:5000"},
		{"empty host is loopback", []string{"--addr", ":5000"}, nil, "", "127.0.0.1:5000"},
		{"lan", []string{"--lan", "--addr", "127.0.0.1:5000"}, nil, "", ":5000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			os.Remove(filepath.Join(dir, "golocal.toml"))
			if tt.toml != "" {
				saveFile(t, filepath.Join(dir, "golocal.toml"), tt.toml)
			}
			env := &Env{Getenv: func(k string) string { return tt.env[k] }}
			cmd := newDevCmd(env)
			if err := cmd.ParseFlags(append([]string{"-C", dir}, tt.args...)); err != nil {
				t.Fatal(err)
			}
			var f devFlags
			f.dir = dir
			f.addr, _ = cmd.Flags().GetString("addr")
			f.lan, _ = cmd.Flags().GetBool("lan")
			s, err := mergeDevSettings(cmd, env, f, "", nil)
			if err != nil {
				t.Fatal(err)
			}
			if s.addr != tt.want {
				t.Errorf("addr %q, want %q", s.addr, tt.want)
			}
		})
	}
}

func TestDevLANPrintsNetworkURLAndQR(t *testing.T) {
	dir := writeDevModule(t, map[string]string{"main.go": devApp("lan")})
	s := startDev(t, dir, "--lan")
	s.waitBody("lan", 90*time.Second)
	out := s.out.String()
	_, port, _ := net.SplitHostPort(s.addr)
	if ip := lanIP(); ip != "" {
		if !strings.Contains(out, "Network: http://"+net.JoinHostPort(ip, port)+"/") {
			t.Errorf("no Network URL in:\n%s", out)
		}
		if !strings.Contains(out, "▀") && !strings.Contains(out, "█") {
			t.Errorf("no QR code in:\n%s", out)
		}
	} else if !strings.Contains(out, "no LAN address found") {
		t.Errorf("no LAN explanation in:\n%s", out)
	}
}

// openPTY opens a pseudo-terminal pair without cgo: the master through
// /dev/ptmx, the slave at /dev/pts/N.
func openPTY(t *testing.T) (master, slave *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	if err := unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		m.Close()
		t.Skipf("cannot unlock the pseudo-terminal: %v", err)
	}
	n, err := unix.IoctlGetInt(int(m.Fd()), unix.TIOCGPTN)
	if err != nil {
		m.Close()
		t.Skipf("cannot name the pseudo-terminal: %v", err)
	}
	s, err := os.OpenFile("/dev/pts/"+strconv.Itoa(n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		m.Close()
		t.Skipf("cannot open the pseudo-terminal: %v", err)
	}
	t.Cleanup(func() { s.Close(); m.Close() })
	return m, s
}

func TestDevKeysRebuildAndQuit(t *testing.T) {
	master, slave := openPTY(t)
	dir := writeDevModule(t, map[string]string{"main.go": devApp("keys")})
	addr := freeAddr(t)
	out := &lockedBuffer{}
	env := hostEnv(nil)
	code := make(chan int, 1)
	go func() {
		code <- Run(context.Background(), []string{"dev", "-C", dir, "--addr", addr}, func(k string) string { return env[k] }, slave, out, out)
	}()
	s := &devSession{t: t, addr: addr, out: out, errOut: &lockedBuffer{}}
	s.waitBody("keys", 90*time.Second)
	s.waitOutput("started", 10*time.Second)
	termios, err := unix.IoctlGetTermios(int(slave.Fd()), unix.TCGETS)
	if err != nil || termios.Lflag&unix.ICANON != 0 {
		t.Errorf("line buffering still on while golocal dev runs (err %v)", err)
	}
	if _, err := master.Write([]byte("r")); err != nil {
		t.Fatal(err)
	}
	s.waitOutput("swapped", 90*time.Second)
	if _, err := master.Write([]byte("q")); err != nil {
		t.Fatal(err)
	}
	select {
	case c := <-code:
		if c != ExitOK {
			t.Errorf("exit code %d after q", c)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("q did not stop golocal dev")
	}
	termios, err = unix.IoctlGetTermios(int(slave.Fd()), unix.TCGETS)
	if err != nil || termios.Lflag&unix.ICANON == 0 || termios.Lflag&unix.ECHO == 0 {
		t.Errorf("terminal not restored after quit (err %v)", err)
	}
}

func TestDevPassesAppArgsAndEnvFromConfig(t *testing.T) {
	app := strings.Replace(devTestApp, `fmt.Fprint(w, "BODY")`, `fmt.Fprint(w, strings.Join(os.Args[1:], ",")+"|"+os.Getenv("GREETING")+"|"+os.Getenv("EXTRA"))`, 1)
	app = strings.Replace(app, `"os"`, "\"os\"\n\t\"strings\"", 1)
	dir := writeDevModule(t, map[string]string{
		"main.go":      app,
		"golocal.toml": "[env]\nGREETING = \"hello\"\n",
	})
	s := startDev(t, dir, "--env", "EXTRA=x=y", "--", "-a", "b c")
	s.waitBody("-a,b c|hello|x=y", 90*time.Second)
}
