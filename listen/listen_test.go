package listen_test

import (
	"context"
	"errors"
	"net"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/golocal/golocal/listen"
)

// fakeEnv is an environment for one test: lookups and unsets do not touch
// the process environment, so tests cannot race on it.
type fakeEnv struct {
	vars  map[string]string
	unset []string
}

func (e *fakeEnv) lookup(k string) (string, bool) { v, ok := e.vars[k]; return v, ok }
func (e *fakeEnv) getenv(k string) string         { return e.vars[k] }
func (e *fakeEnv) unsetenv(k string) error {
	delete(e.vars, k)
	e.unset = append(e.unset, k)
	return nil
}

func TestListenBadInput(t *testing.T) {
	self := strconv.Itoa(os.Getpid())
	tests := []struct {
		name string
		env  map[string]string
		opts listen.Options
		want string
	}{
		{"PORT not a number", map[string]string{"PORT": "80a"}, listen.Options{}, `PORT="80a" from the environment: "80a" is not a number; port must be 1-65535`},
		{"PORT too big", map[string]string{"PORT": "70000"}, listen.Options{}, `PORT="70000" from the environment: 70000 is out of range; port must be 1-65535`},
		{"PORT negative", map[string]string{"PORT": "-1"}, listen.Options{}, `PORT="-1" from the environment: -1 is out of range`},
		{"PORT empty", map[string]string{"PORT": ""}, listen.Options{}, `PORT="" from the environment: is empty`},
		{"PORT zero", map[string]string{"PORT": "0"}, listen.Options{}, `PORT="0" from the environment: 0 is out of range`},
		{"PORT host:port", map[string]string{"PORT": "127.0.0.1:80"}, listen.Options{}, `PORT="127.0.0.1:80" from the environment: "127.0.0.1:80" is not a number`},
		{"Addr bad", nil, listen.Options{Addr: "localhost:http"}, `Options.Addr="localhost:http" from options: "http" is not a number`},
		{"Addr missing port", nil, listen.Options{Addr: "::1"}, `Options.Addr="::1" from options: is not host:port`},
		{"Default bad", nil, listen.Options{Default: "x:99999"}, `Options.Default="x:99999" from options: 99999 is out of range`},
		{"Network bad", nil, listen.Options{Network: "udp"}, `Options.Network="udp" from options: must be "tcp"`},
		{"reversed range", nil, listen.Options{Addr: "127.0.0.1:0", Fallback: "8089-8080"}, `Options.Fallback="8089-8080" from options: range "8089-8080" is reversed; write 8080-8089`},
		{"duplicate fallback", nil, listen.Options{Addr: "127.0.0.1:0", Fallback: "8081, 8082, 8081"}, `Options.Fallback="8081, 8082, 8081" from options: port 8081 is listed twice`},
		{"LISTEN_FDS not a number", map[string]string{"LISTEN_FDS": "abc", "LISTEN_PID": self}, listen.Options{}, `LISTEN_FDS="abc" from the environment: must be the number of sockets`},
		{"LISTEN_FDS negative", map[string]string{"LISTEN_FDS": "-2", "LISTEN_PID": self}, listen.Options{}, `LISTEN_FDS="-2" from the environment`},
		{"LISTEN_FDS huge", map[string]string{"LISTEN_FDS": "99999999", "LISTEN_PID": self}, listen.Options{}, `more than 1024 sockets`},
		{"LISTEN_FDS one over the bound", map[string]string{"LISTEN_FDS": "1025", "LISTEN_PID": self}, listen.Options{}, `more than 1024 sockets`},
		{"LISTEN_PID zero", map[string]string{"LISTEN_FDS": "1", "LISTEN_PID": "0"}, listen.Options{}, `LISTEN_PID="0" from the environment: must be the pid`},
		{"LISTEN_PID negative", map[string]string{"LISTEN_FDS": "1", "LISTEN_PID": "-5"}, listen.Options{}, `LISTEN_PID="-5" from the environment: must be the pid`},
		{"LISTEN_PID not a number", map[string]string{"LISTEN_FDS": "1", "LISTEN_PID": "me"}, listen.Options{}, `LISTEN_PID="me" from the environment: must be the pid`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := &fakeEnv{vars: tt.env}
			opts := tt.opts
			opts.LookupEnv, opts.Unsetenv = env.lookup, env.unsetenv
			res, err := listen.Listen(context.Background(), opts)
			if err == nil {
				res.Listener.Close()
				t.Fatalf("Listen succeeded on %s, want error %q", res.Addr, tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %q\nwant it to contain %q", err, tt.want)
			}
			var ve *listen.ValueError
			if !errors.As(err, &ve) {
				t.Errorf("err is %T, want *ValueError", err)
			}
			if _, ok := tt.env["LISTEN_FDS"]; ok && !slices.Contains(env.unset, "LISTEN_FDS") {
				t.Errorf("LISTEN_FDS not unset after use (unset %v)", env.unset)
			}
		})
	}
}

func TestListenSources(t *testing.T) {
	tests := []struct {
		name       string
		env        map[string]string
		opts       listen.Options
		wantSource string
		wantHost   string
	}{
		{"default is loopback", nil, listen.Options{Default: ":0"}, listen.SourceDefault, "127.0.0.1"},
		{"option wins over PORT", map[string]string{"PORT": "1"}, listen.Options{Addr: ":0"}, listen.SourceOption, "127.0.0.1"},
		{"bare port option is loopback", nil, listen.Options{Addr: "0"}, listen.SourceOption, "127.0.0.1"},
		{"ipv6 loopback", nil, listen.Options{Addr: "[::1]:0"}, listen.SourceOption, "::1"},
		{"mismatched LISTEN_PID ignored", map[string]string{"LISTEN_FDS": "1", "LISTEN_PID": "1"}, listen.Options{Addr: ":0"}, listen.SourceOption, "127.0.0.1"},
		{"LISTEN_FDS without LISTEN_PID ignored", map[string]string{"LISTEN_FDS": "1"}, listen.Options{Addr: ":0"}, listen.SourceOption, "127.0.0.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := &fakeEnv{vars: tt.env}
			opts := tt.opts
			opts.Getenv, opts.Unsetenv = env.getenv, env.unsetenv
			res, err := listen.Listen(context.Background(), opts)
			if err != nil {
				if strings.Contains(err.Error(), "::1") {
					t.Skipf("no IPv6 loopback: %v", err)
				}
				t.Fatal(err)
			}
			defer res.Listener.Close()
			host, _, _ := net.SplitHostPort(res.Addr)
			if res.Source != tt.wantSource || host != tt.wantHost {
				t.Errorf("got %s from %s, want host %s from %s", res.Addr, res.Source, tt.wantHost, tt.wantSource)
			}
			if _, ok := tt.env["LISTEN_FDS"]; ok {
				if len(res.Warnings) == 0 || !strings.Contains(res.Warnings[0], "ignor") {
					t.Errorf("warnings %q do not say LISTEN_FDS was ignored", res.Warnings)
				}
				if !slices.Contains(env.unset, "LISTEN_PID") {
					t.Errorf("LISTEN_PID not unset: %v", env.unset)
				}
			}
		})
	}
}

func TestListenPORTFromEnvironment(t *testing.T) {
	// Find a free port, release it, and ask for it through PORT.
	probe, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(probe.Addr().(*net.TCPAddr).Port)
	probe.Close()
	env := &fakeEnv{vars: map[string]string{"PORT": port}}
	res, err := listen.Listen(context.Background(), listen.Options{LookupEnv: env.lookup, Unsetenv: env.unsetenv})
	if err != nil {
		t.Skipf("port %s was taken meanwhile: %v", port, err)
	}
	defer res.Listener.Close()
	if res.Source != listen.SourcePORT || res.Addr != "127.0.0.1:"+port {
		t.Errorf("got %s from %s, want 127.0.0.1:%s from PORT", res.Addr, res.Source, port)
	}
}

// TestAllInterfacesIsExplicit binds every interface briefly: the one test
// that is about exactly that.
func TestAllInterfacesIsExplicit(t *testing.T) {
	for _, opts := range []listen.Options{{Addr: ":0", AllInterfaces: true}, {Addr: "0.0.0.0:0"}} {
		opts.IgnoreInherited = true
		res, err := listen.Listen(context.Background(), opts)
		if err != nil {
			t.Fatal(err)
		}
		ip := res.Listener.Addr().(*net.TCPAddr).IP
		res.Listener.Close()
		if !ip.IsUnspecified() {
			t.Errorf("%+v listened on %v, want all interfaces", opts, ip)
		}
	}
}

func TestInheritedNothingPassed(t *testing.T) {
	env := &fakeEnv{vars: map[string]string{}}
	ls, warns, err := listen.Inherited(env.getenv, env.unsetenv)
	if ls != nil || warns != nil || err != nil || env.unset != nil {
		t.Errorf("got %v %v %v, unset %v; want nothing", ls, warns, err, env.unset)
	}
}

// TestInheritedNamesMismatch: LISTEN_FDNAMES with a different number of
// names than sockets is ignored with a warning, whether it has too many or
// too few (fd 3 of the test process is not a listening socket, so the
// call then fails; the warning comes back with the error).
func TestInheritedNamesMismatch(t *testing.T) {
	self := strconv.Itoa(os.Getpid())
	for _, names := range []string{"web:admin", "web:admin:extra", "::"} {
		env := &fakeEnv{vars: map[string]string{"LISTEN_FDS": "1", "LISTEN_PID": self, "LISTEN_FDNAMES": names}}
		lns, warnings, err := listen.Inherited(func(k string) string { return env.vars[k] }, env.unsetenv)
		for _, l := range lns {
			l.Listener.Close()
		}
		if !slices.ContainsFunc(warnings, func(w string) bool { return strings.Contains(w, "names for LISTEN_FDS=1 sockets: names ignored") }) {
			t.Errorf("LISTEN_FDNAMES=%q for one socket: warnings %q (err %v), want the names ignored", names, warnings, err)
		}
	}
}

func TestPassSocketsErrors(t *testing.T) {
	f, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tests := []struct {
		name  string
		cmd   *exec.Cmd
		names []string
		files []*os.File
		want  string
	}{
		{"existing extra files", &exec.Cmd{Path: "/bin/true", Args: []string{"true"}, ExtraFiles: []*os.File{f}}, nil, []*os.File{f}, "ExtraFiles already holds 1"},
		{"no files", exec.Command("/bin/true"), nil, nil, "no files"},
		{"names count", exec.Command("/bin/true"), []string{"a", "b"}, []*os.File{f}, "2 names for 1 files"},
		{"colon in name", exec.Command("/bin/true"), []string{"a:b"}, []*os.File{f}, "may not contain ':'"},
		{"nil file", exec.Command("/bin/true"), nil, []*os.File{nil}, "file 0 is nil"},
		{"no path", &exec.Cmd{}, nil, []*os.File{f}, "cmd.Path is empty"},
		{"lookup failed", exec.Command("golocal-no-such-program"), nil, []*os.File{f}, "not found"},
	}
	for _, tt := range tests {
		if err := listen.PassSockets(tt.cmd, tt.names, tt.files...); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: err = %v, want %q", tt.name, err, tt.want)
		}
	}

	cmd := exec.Command("/bin/echo", "a", "b")
	cmd.Env = []string{"KEEP=1", "LISTEN_FDS=9", "LISTEN_PID=1"}
	if err := listen.PassSockets(cmd, []string{"http"}, f); err != nil {
		t.Fatal(err)
	}
	if want := []string{"KEEP=1", "LISTEN_FDS=1", "LISTEN_FDNAMES=http"}; !slices.Equal(cmd.Env, want) {
		t.Errorf("Env = %q, want %q", cmd.Env, want)
	}
	if cmd.Path != "/bin/sh" || cmd.Args[3] != "/bin/echo" || !slices.Equal(cmd.Args[4:], []string{"a", "b"}) || len(cmd.ExtraFiles) != 1 {
		t.Errorf("cmd = %q %q, extra files %d", cmd.Path, cmd.Args, len(cmd.ExtraFiles))
	}
}
