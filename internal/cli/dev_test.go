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
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golocal/golocal/internal/devloop"
	"github.com/golocal/golocal/internal/devproxy"
	"github.com/golocal/golocal/internal/devtest"
	"github.com/golocal/golocal/internal/procnet"
	"github.com/golocal/golocal/internal/term"
)

// devTestApp is the shared 15-line app (see devtest.PortApp).
const devTestApp = devtest.PortApp

func devApp(body string) string { return devtest.App(body) }

func writeDevModule(t *testing.T, files map[string]string) string {
	return devtest.WriteModule(t, files)
}

// saveFile writes like an editor (see devtest.Save).
func saveFile(t *testing.T, path, content string) { devtest.Save(t, path, content) }

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
		{"no main package", map[string]string{"lib.go": "package lib\n"}, nil, nil, ExitUsage, []string{"no main package in", "golocal dev ./path/to/it"}},
		{"several main packages", map[string]string{"cmd/a/main.go": app, "cmd/b/main.go": app}, nil, nil, ExitUsage, []string{"several main packages under ./cmd (./cmd/a, ./cmd/b)", "golocal dev ./cmd/a"}},
		{"package does not exist", map[string]string{"main.go": app}, nil, []string{"./cmd/nope"}, ExitUsage, []string{"package ./cmd/nope: folder", "does not exist"}},
		{"two packages", map[string]string{"main.go": app}, nil, []string{"./a", "./b"}, ExitUsage, []string{"runs one package, got 2", "after --"}},
		{"go not on PATH", map[string]string{"main.go": app}, map[string]string{"PATH": "/nonexistent", "GOROOT": ""}, nil, ExitFailure, []string{"the go command is not on PATH"}},
		{"port taken", map[string]string{"main.go": app}, nil, []string{"--addr", heldAddr}, ExitFailure, []string{heldAddr + " is in use by ", "(pid " + strconv.Itoa(os.Getpid()) + ")", "try --addr 127.0.0.1:"}},
		{"bad address", map[string]string{"main.go": app}, nil, []string{"--addr", "localhost:http2"}, ExitUsage, []string{`address "localhost:http2": port must be a number`}},
		{"negative ready timeout", map[string]string{"main.go": app}, nil, []string{"--ready-timeout", "-5s"}, ExitUsage, []string{"--ready-timeout -5s: want a positive duration"}},
		{"negative grace", map[string]string{"main.go": app}, nil, []string{"--grace", "-1s"}, ExitUsage, []string{"--grace -1s: want a positive duration"}},
		{"bad env", map[string]string{"main.go": app}, nil, []string{"--env", "NOVALUE"}, ExitUsage, []string{`--env "NOVALUE": want KEY=VALUE`}},
		{"bad golocal.toml", map[string]string{"main.go": app, "golocal.toml": "[watch]\nroot = [\"x\"]\n"}, nil, nil, ExitUsage, []string{"golocal.toml: line 2: unknown key watch.root"}},
		{"output build flag", map[string]string{"main.go": app}, nil, []string{"--build-flag=-o=x"}, ExitUsage, []string{"chooses the output file itself"}},
		{"no go.mod", map[string]string{"go.mod": "", "main.go": app}, nil, nil, ExitFailure, []string{"no go.mod in", "go mod init"}},
		{"throttle preset unknown", map[string]string{"main.go": app}, nil, []string{"--throttle", "Slow 5G"}, ExitUsage, []string{`--throttle "Slow 5G": not a preset; use one of`, "fast-3g", "latency=400ms,down=500kbps,up=500kbps"}},
		{"throttle key unknown", map[string]string{"main.go": app}, nil, []string{"--throttle", "latency=100ms,jitter=5ms"}, ExitUsage, []string{`unknown key "jitter"; the keys are latency, down and up`}},
		{"throttle bad rate", map[string]string{"main.go": app}, nil, []string{"--throttle", "down=fast"}, ExitUsage, []string{`--throttle "down=fast": down:`}},
		{"pattern instead of a package", map[string]string{"main.go": app}, nil, []string{"./..."}, ExitUsage, []string{"golocal dev runs one program; name one folder, not a pattern"}},
		{"not a main package", map[string]string{"main.go": app, "lib/lib.go": "package lib\n"}, nil, []string{"./lib"}, ExitUsage, []string{`is "package lib", not a program`}},
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
			if strings.Contains(errOut, "goroutine ") || strings.Contains(errOut, "panic:") {
				t.Errorf("stack trace in output: %s", errOut)
			}
			// Nothing was started, or everything started was stopped.
			if kids := procnet.Descendants(os.Getpid()); len(kids) > 0 {
				t.Errorf("processes left behind: %v", kids)
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
	return startDevEnv(t, dir, nil, extra...)
}

// startDevEnv is startDev with more environment variables.
func startDevEnv(t *testing.T, dir string, envExtra map[string]string, extra ...string) *devSession {
	t.Helper()
	s := &devSession{t: t, addr: freeAddr(t), out: &lockedBuffer{}, errOut: &lockedBuffer{}, code: make(chan int, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	env := hostEnv(envExtra)
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
			if s.Addr != tt.want {
				t.Errorf("addr %q, want %q", s.Addr, tt.want)
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
	if ip := term.LANAddress(); ip != "" {
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

func TestDevPassesAppArgsAndEnvFromConfig(t *testing.T) {
	app := strings.Replace(devTestApp, `fmt.Fprint(w, "BODY")`, `fmt.Fprint(w, strings.Join(os.Args[1:], ",")+"|"+os.Getenv("GREETING")+"|"+os.Getenv("EXTRA")+"|"+os.Getenv("GOLOCAL_PROFILE")+"|"+os.Getenv("GOLOCAL_DEV_URL"))`, 1)
	app = strings.Replace(app, `"os"`, "\"os\"\n\t\"strings\"", 1)
	dir := writeDevModule(t, map[string]string{
		"main.go":      app,
		"golocal.toml": "[env]\nGREETING = \"hello\"\n",
	})
	s := startDev(t, dir, "--env", "EXTRA=x=y", "--", "-a", "b c")
	// The app also learns the user-facing URL (DevURLEnv), which is not
	// the internal socket it listens on.
	s.waitBody("-a,b c|hello|x=y|dev|http://"+s.addr+"/", 90*time.Second)
}

// sseEvent is one Server-Sent Event read from the dev front.
type sseEvent struct {
	name string
	data string
}

// eventStream is an EventSource stand-in: a real HTTP client reading
// /__golocal/events from the front, events delivered on a channel.
type eventStream struct {
	events chan sseEvent
	resp   *http.Response
}

func openEventStream(t *testing.T, addr string) *eventStream {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, "http://"+addr+"/__golocal/events", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "text/event-stream")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("event stream: %v", err)
	}
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode != 200 || !strings.HasPrefix(ct, "text/event-stream") {
		resp.Body.Close()
		t.Fatalf("event stream: %d %q", resp.StatusCode, ct)
	}
	es := &eventStream{events: make(chan sseEvent, 64), resp: resp}
	go func() {
		defer close(es.events)
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 0, 64<<10), 4<<20)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if ev.name != "" {
					es.events <- ev
				}
				ev = sseEvent{}
			case strings.HasPrefix(line, "event: "):
				ev.name = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				ev.data += strings.TrimPrefix(line, "data: ")
			}
		}
	}()
	t.Cleanup(func() { resp.Body.Close() })
	return es
}

// next returns the next event named name, skipping others.
func (es *eventStream) next(t *testing.T, name string, timeout time.Duration) sseEvent {
	t.Helper()
	deadline := time.After(timeout)
	var seen []string
	for {
		select {
		case ev, ok := <-es.events:
			if !ok {
				t.Fatalf("event stream ended while waiting for %q (saw %v)", name, seen)
			}
			if ev.name == name {
				return ev
			}
			seen = append(seen, ev.name)
		case <-deadline:
			t.Fatalf("no %q event within %v (saw %v)", name, timeout, seen)
		}
	}
}

type wireDiagnostic struct {
	File    string `json:"file"`
	Line    int    `json:"line"`
	Column  int    `json:"column"`
	Message string `json:"message"`
	Excerpt []struct {
		N    int    `json:"n"`
		Text string `json:"text"`
		Mark bool   `json:"mark"`
	} `json:"excerpt"`
}

func decodeDiagnostics(t *testing.T, ev sseEvent) []wireDiagnostic {
	t.Helper()
	var payload struct {
		Diagnostics []wireDiagnostic `json:"diagnostics"`
	}
	if err := json.Unmarshal([]byte(ev.data), &payload); err != nil {
		t.Fatalf("build-failed data %q: %v", ev.data, err)
	}
	return payload.Diagnostics
}

// fetch GETs path from the front with the given Accept header.
func fetch(t *testing.T, addr, path, accept string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, "http://"+addr+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: reading the body: %v", path, err)
	}
	return resp, string(b)
}

// TestDevBrokenBuildOnEventStream is the acceptance test of the dev front
// with real processes: golocal dev in-process, a real go build, the app as
// a child process and an event-stream client over loopback.
func TestDevBrokenBuildOnEventStream(t *testing.T) {
	dir := writeDevModule(t, map[string]string{"main.go": devApp("v1")})
	marker := "GOLOCAL_DEV_TEST=" + strconv.FormatInt(time.Now().UnixNano(), 10)
	s := startDev(t, dir, "--env", marker)
	s.waitBody("v1", 90*time.Second)
	es := openEventStream(t, s.addr)
	if hello := es.next(t, "hello", 5*time.Second); !strings.Contains(hello.data, `"failed":false`) {
		t.Errorf("hello = %s, want failed:false", hello.data)
	}

	broken := strings.Replace(devApp("v2"), `fmt.Fprint(w, "v2")`, `fmt.Fprint(w, missing)`, 1)
	saveFile(t, filepath.Join(dir, "main.go"), broken)
	es.next(t, "build-started", 30*time.Second)
	diags := decodeDiagnostics(t, es.next(t, "build-failed", 90*time.Second))
	if len(diags) == 0 {
		t.Fatal("build-failed carries no diagnostics")
	}
	d := diags[0]
	if d.File != "main.go" || d.Line != 11 || d.Column != 17 || !strings.Contains(d.Message, "undefined: missing") {
		t.Errorf("diagnostic = %+v, want main.go:11:17 undefined: missing", d)
	}
	marked := false
	for _, l := range d.Excerpt {
		if l.Mark && l.N == 11 && strings.Contains(l.Text, "missing") {
			marked = true
		}
	}
	if !marked {
		t.Errorf("excerpt does not mark line 11: %+v", d.Excerpt)
	}

	// The old version keeps serving API clients...
	if resp, body := fetch(t, s.addr, "/", ""); resp.StatusCode != 200 || body != "v1" {
		t.Errorf("during the broken build: %d %q, want 200 v1", resp.StatusCode, body)
	}
	// ...while navigations get the overlay page with file and line.
	resp, page := fetch(t, s.addr, "/", "text/html")
	if resp.StatusCode != http.StatusInternalServerError || !strings.Contains(page, "main.go") || !strings.Contains(page, "undefined: missing") {
		t.Errorf("navigation during the broken build: %d\n%.600s", resp.StatusCode, page)
	}
	// A page opened now learns of the failure at once.
	late := openEventStream(t, s.addr)
	if hello := late.next(t, "hello", 5*time.Second); !strings.Contains(hello.data, `"failed":true`) {
		t.Errorf("hello while broken = %s, want failed:true", hello.data)
	}
	late.next(t, "build-failed", 5*time.Second)

	saveFile(t, filepath.Join(dir, "main.go"), devApp("v3"))
	es.next(t, "build-started", 30*time.Second)
	es.next(t, "reload", 90*time.Second)
	// The reload is sent once the new version serves: no polling needed.
	if resp, body := fetch(t, s.addr, "/", ""); resp.StatusCode != 200 || body != "v3" {
		t.Errorf("right after reload: %d %q, want 200 v3", resp.StatusCode, body)
	}
	if resp, page := fetch(t, s.addr, "/", "text/html"); resp.StatusCode != 200 || !strings.HasPrefix(page, "v3") {
		t.Errorf("navigation after the fix: %d %.200q", resp.StatusCode, page)
	}

	s.cancel()
	select {
	case code := <-s.code:
		s.code <- code
	case <-time.After(20 * time.Second):
		t.Fatal("golocal dev did not stop")
	}
	// Ctrl-C ends the open event streams too.
	select {
	case _, ok := <-es.events:
		for ok {
			_, ok = <-es.events
		}
	case <-time.After(5 * time.Second):
		t.Error("the event stream stayed open after golocal dev stopped")
	}
	if left := processesWithEnv(marker); len(left) > 0 {
		t.Errorf("processes left after golocal dev stopped: %v", left)
	}
}

const devCrashingApp = `package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "boom: DATABASE_URL is not set")
	os.Exit(3)
}
`

const devPanickingApp = `package main

func main() {
	var table []int
	_ = table[3]
}
`

// A panic at start is a crash, not a build error: the page says so and
// points at the line of the trace, the terminal prints the trace once,
// responses carry X-Golocal-Build: failed.
func TestDevPanicAtStartIsShownAsCrash(t *testing.T) {
	dir := writeDevModule(t, map[string]string{"main.go": devPanickingApp})
	s := startDev(t, dir)
	s.waitOutput("Local:", 30*time.Second)
	es := openEventStream(t, s.addr)
	data := es.next(t, "build-failed", 90*time.Second)
	var fl struct {
		Title       string
		Hint        string
		Diagnostics []struct {
			File    string
			Line    int
			Message string
		}
	}
	if err := json.Unmarshal([]byte(data.data), &fl); err != nil {
		t.Fatal(err)
	}
	if fl.Title != "The app panicked" || strings.Contains(fl.Hint, "build is fixed") || len(fl.Diagnostics) != 1 ||
		fl.Diagnostics[0].File != "main.go" || fl.Diagnostics[0].Line != 5 || !strings.Contains(fl.Diagnostics[0].Message, "index out of range") {
		t.Errorf("overlay = %+v, want a crash at main.go:5", fl)
	}
	s.waitOutput("at main.go:5", 10*time.Second)
	if n := strings.Count(s.out.String()+s.errOut.String(), "goroutine 1 [running]"); n != 1 {
		t.Errorf("the trace was printed %d times, want once:\nstdout: %s\nstderr: %s", n, s.out.String(), s.errOut.String())
	}
	resp, page := fetch(t, s.addr, "/", "text/html")
	if !strings.Contains(page, "The app panicked") || strings.Contains(page, "Build failed") {
		t.Errorf("navigation: %d %.300q", resp.StatusCode, page)
	}
	if got := resp.Header.Get("X-Golocal-Build"); got != "failed" {
		t.Errorf("X-Golocal-Build = %q, want failed", got)
	}
	s.cancel()
	<-s.code
	s.code <- ExitOK
}

func TestDevAppCrashAtStartIsShownInPages(t *testing.T) {
	dir := writeDevModule(t, map[string]string{"main.go": devCrashingApp})
	marker := "GOLOCAL_DEV_TEST=" + strconv.FormatInt(time.Now().UnixNano(), 10)
	s := startDev(t, dir, "--env", marker)
	s.waitOutput("Local:", 30*time.Second) // the front listens
	es := openEventStream(t, s.addr)
	diags := decodeDiagnostics(t, es.next(t, "build-failed", 90*time.Second))
	if len(diags) != 1 || !strings.Contains(diags[0].Message, "exited with code 3 at start") || !strings.Contains(diags[0].Message, "boom: DATABASE_URL is not set") {
		t.Errorf("diagnostics = %+v, want the exit and the app's output", diags)
	}
	s.waitOutput("exited with code 3 at start", 5*time.Second)
	// The app's output reaches the terminal once: as it printed it (on
	// golocal's stderr), not again in the event line.
	if n := strings.Count(s.out.String()+s.errOut.String(), "boom: DATABASE_URL is not set"); n != 1 {
		t.Errorf("the app's output was printed %d times, want once:\nstdout: %s\nstderr: %s", n, s.out.String(), s.errOut.String())
	}
	if resp, page := fetch(t, s.addr, "/", "text/html"); resp.StatusCode != http.StatusInternalServerError || !strings.Contains(page, "boom: DATABASE_URL is not set") {
		t.Errorf("navigation: %d %.300q", resp.StatusCode, page)
	}
	// The next change tries again.
	saveFile(t, filepath.Join(dir, "main.go"), devApp("fixed"))
	es.next(t, "reload", 90*time.Second)
	s.waitBody("fixed", 10*time.Second)
	s.cancel()
	<-s.code
	s.code <- ExitOK
	if left := processesWithEnv(marker); len(left) > 0 {
		t.Errorf("processes left after golocal dev stopped: %v", left)
	}
}

// cachingApp answers with validators, like a static file server.
const cachingApp = `package main

import (
	"net/http"
	"os"
	"strings"
)

func main() {
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("ETag", "\"v1\"")
		w.Header().Set("Last-Modified", "Mon, 02 Jan 2006 15:04:05 GMT")
		w.Header().Set("Cache-Control", "max-age=3600")
		w.Write([]byte(strings.Repeat("x", 20000)))
	})
	http.ListenAndServe("127.0.0.1:"+os.Getenv("PORT"), nil)
}
`

func TestDevThrottleAndNoCache(t *testing.T) {
	dir := writeDevModule(t, map[string]string{"main.go": cachingApp})
	s := startDev(t, dir, "--no-cache", "--throttle", "latency=300ms,down=400kbps")
	s.waitOutput("started", 90*time.Second)
	out := s.out.String()
	if !strings.Contains(out, "Throttle: custom (latency=300ms,down=400kbps)") || !strings.Contains(out, "Cache:   off") {
		t.Errorf("banner does not show the throttle and cache settings:\n%s", out)
	}
	start := time.Now()
	resp, body := fetch(t, s.addr, "/", "")
	took := time.Since(start)
	if resp.StatusCode != 200 || len(body) != 20000 {
		t.Fatalf("GET: %d, %d bytes", resp.StatusCode, len(body))
	}
	if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q, want no-store", cc)
	}
	if et, lm := resp.Header.Get("ETag"), resp.Header.Get("Last-Modified"); et != "" || lm != "" {
		t.Errorf("validators kept: ETag %q Last-Modified %q", et, lm)
	}
	// 300 ms latency plus 20,000 bytes at 50,000 B/s (400 kbit/s) = 0.7 s.
	if took < 650*time.Millisecond || took > 10*time.Second {
		t.Errorf("throttled GET took %v, want about 700 ms", took)
	}
	t.Logf("throttled GET of 20 kB took %v", took)
}

// TestApplyEventDrivesTheFront feeds dev loop events to a real
// devproxy.Front and checks what an event-stream client and a request see.
func TestApplyEventDrivesTheFront(t *testing.T) {
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "app") }))
	defer app.Close()
	appURL, _ := url.Parse(app.URL)
	front := devproxy.New(devproxy.Options{HoldTimeout: 300 * time.Millisecond})
	srv := httptest.NewServer(front)
	defer srv.Close()
	defer front.Close()
	addr := strings.TrimPrefix(srv.URL, "http://")
	es := openEventStream(t, addr)
	es.next(t, "hello", 5*time.Second)

	steps := []struct {
		event     devloop.Event
		wantEvent string // on the stream; "" for none
		check     func(t *testing.T, data string)
		upstream  *url.URL
	}{
		{devloop.Event{Kind: devloop.EventBuildStarted}, "build-started", nil, nil},
		{devloop.Event{Kind: devloop.EventSwapped, Upstream: appURL}, "reload", nil, appURL},
		{devloop.Event{Kind: devloop.EventBuildFailed, Diagnostics: []devloop.Diagnostic{{File: "main.go", Line: 3, Column: 7, Message: "undefined: x"}}}, "build-failed", func(t *testing.T, data string) {
			if !strings.Contains(data, `"file":"main.go","line":3,"column":7,"message":"undefined: x"`) {
				t.Errorf("build-failed data %s", data)
			}
		}, appURL},
		{devloop.Event{Kind: devloop.EventBuildFailed, Output: "go: go.mod requires go >= 9.0"}, "build-failed", func(t *testing.T, data string) {
			if !strings.Contains(data, "go.mod requires go") {
				t.Errorf("unparsed output not shown: %s", data)
			}
		}, appURL},
		{devloop.Event{Kind: devloop.EventStylesChanged, Paths: []string{"static/site.css"}}, "css", func(t *testing.T, data string) {
			if data != `{"paths":["static/site.css"]}` {
				t.Errorf("css data %s", data)
			}
		}, appURL},
		{devloop.Event{Kind: devloop.EventReload, Paths: []string{"static/app.js"}}, "reload", nil, appURL},
		{devloop.Event{Kind: devloop.EventHold}, "", nil, nil},
		{devloop.Event{Kind: devloop.EventAppFailed, Message: "the app exited with code 2 at start", Output: "panic: nil map\n"}, "build-failed", func(t *testing.T, data string) {
			if !strings.Contains(data, "exited with code 2 at start") || !strings.Contains(data, "panic: nil map") {
				t.Errorf("app failure data %s", data)
			}
		}, nil},
		{devloop.Event{Kind: devloop.EventSwapped, Upstream: appURL}, "reload", nil, appURL},
	}
	for i, st := range steps {
		applyEvent(front, st.event)
		if st.wantEvent != "" {
			ev := es.next(t, st.wantEvent, 5*time.Second)
			if st.check != nil {
				st.check(t, ev.data)
			}
		}
		if got := front.Upstream(); fmt.Sprint(got) != fmt.Sprint(st.upstream) {
			t.Errorf("step %d (%v): upstream %v, want %v", i, st.event.Kind, got, st.upstream)
		}
	}
	if resp, body := fetch(t, addr, "/", "text/html"); resp.StatusCode != 200 || !strings.HasPrefix(body, "app") {
		t.Errorf("after the last swap: %d %q", resp.StatusCode, body)
	}
}

// TestDevLargeTreeAndSymlinkLoop runs golocal dev on a module with 50,000
// watched files and a symbolic link loop: it must start serving without
// waiting for the tree to be hashed, say what it found, use one inotify
// watch per folder (not per file) and still see an edit.
func TestDevLargeTreeAndSymlinkLoop(t *testing.T) {
	if testing.Short() {
		t.Skip("creates 50,000 files")
	}
	dir := writeDevModule(t, map[string]string{"main.go": devApp("big1")})
	for d := 0; d < 250; d++ {
		sub := filepath.Join(dir, "data", fmt.Sprintf("d%03d", d))
		if err := os.MkdirAll(sub, 0o755); err != nil {
			t.Fatal(err)
		}
		for f := 0; f < 200; f++ {
			if err := os.WriteFile(filepath.Join(sub, fmt.Sprintf("f%03d.sql", f)), []byte("select 1;\n"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := os.Symlink("..", filepath.Join(dir, "data", "d000", "up")); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	s := startDev(t, dir)
	s.waitBody("big1", 90*time.Second)
	t.Logf("first response from a 50,000-file tree after %v", time.Since(start))
	s.waitOutput("watching 50002 files in 252 folders", 10*time.Second)
	s.waitOutput("symbolic link loop", 10*time.Second)
	saveFile(t, filepath.Join(dir, "main.go"), devApp("big2"))
	s.waitBody("big2", 90*time.Second)
}

// TestListenFrontFallsBack: with golocal's default address (no --addr,
// golocal.toml addr or PORT) a taken port moves on to the next free one and
// says who holds it; an address the user chose is never swapped.
func TestListenFrontFallsBack(t *testing.T) {
	held, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	addr := held.Addr().String()
	port := held.Addr().(*net.TCPAddr).Port
	if port+frontFallbackPorts > 65535 {
		t.Skipf("port %d too close to the top for a fallback range", port)
	}

	ln, notes, err := listenFront(context.Background(), addr, true)
	if err != nil {
		t.Fatalf("fallback: %v", err)
	}
	defer ln.Close()
	got := ln.Addr().(*net.TCPAddr).Port
	if got <= port || got > port+frontFallbackPorts {
		t.Errorf("got port %d, want one of %d-%d", got, port+1, port+frontFallbackPorts)
	}
	if len(notes) == 0 || !strings.Contains(notes[0], addr) || !strings.Contains(notes[0], "pid "+strconv.Itoa(os.Getpid())) || !strings.Contains(notes[0], "using 127.0.0.1:"+strconv.Itoa(got)) {
		t.Errorf("notes %q do not say %s is held by pid %d and which port is used", notes, addr, os.Getpid())
	}

	if ln, _, err := listenFront(context.Background(), addr, false); err == nil {
		ln.Close()
		t.Fatal("an address the user chose was swapped for another")
	} else if !strings.Contains(err.Error(), "is in use by") {
		t.Errorf("error %q does not name the holder", err)
	}
}

// TestDevReadyTimeoutFlag: an app that never serves is reported after
// --ready-timeout, not the 30 s default.
func TestDevReadyTimeoutFlag(t *testing.T) {
	dir := writeDevModule(t, map[string]string{"main.go": "package main\n\nimport \"time\"\n\nfunc main() { time.Sleep(time.Hour) }\n"})
	start := time.Now()
	s := startDev(t, dir, "--ready-timeout", "1s", "--grace", "500ms")
	s.waitOutput("did not start serving", 90*time.Second)
	if took := time.Since(start); took > 25*time.Second {
		t.Errorf("reported after %v: the 1s ready timeout was not used", took)
	}
}

func TestDevOutputAdminURL(t *testing.T) {
	admin, _ := url.Parse("http://127.0.0.1:41234")
	other, _ := url.Parse("http://127.0.0.1:41999")
	swapped := func(u *url.URL) devloop.Event {
		return devloop.Event{Kind: devloop.EventSwapped, Build: time.Millisecond, Swap: time.Millisecond, Admin: u}
	}
	tests := []struct {
		name   string
		events []devloop.Event
		want   []string // admin lines, in order
	}{
		{"none", []devloop.Event{swapped(nil), swapped(nil)}, nil},
		{"printed once across reloads", []devloop.Event{swapped(admin), swapped(admin), swapped(admin)}, []string{admin.String()}},
		{"printed again when it changed", []devloop.Event{swapped(admin), swapped(nil), swapped(other)}, []string{admin.String(), other.String()}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out strings.Builder
			o := &devOutput{w: &out}
			for _, e := range tt.events {
				o.event(e)
			}
			var got []string
			for line := range strings.SplitSeq(out.String(), "\n") {
				if f := strings.Fields(line); len(f) >= 2 && f[0] == "admin" {
					got = append(got, f[1])
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("admin lines %q, want %q; output:\n%s", got, tt.want, out.String())
			}
		})
	}
	var js strings.Builder
	(&devOutput{w: &js, json: true}).event(swapped(admin))
	if !strings.Contains(js.String(), `"admin":"`+admin.String()+`"`) {
		t.Errorf("--json swapped event %s has no admin field", js.String())
	}
}
