package devloop_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golocal/golocal/internal/devloop"
	"github.com/golocal/golocal/internal/devtest"
)

func TestMergeSettings(t *testing.T) {
	dir := devtest.WriteModule(t, map[string]string{"main.go": devtest.App("x")})
	tests := []struct {
		name  string
		flags devloop.Flags
		env   map[string]string
		toml  string
		check func(t *testing.T, s devloop.Settings)
	}{
		{name: "defaults", check: func(t *testing.T, s devloop.Settings) {
			want(t, "addr", s.Addr, "127.0.0.1:8080")
			want(t, "fallback", s.Fallback, true)
			want(t, "grace", s.Options.Grace, devloop.DefaultGrace)
			want(t, "ready", s.Options.ReadyTimeout, devloop.DefaultReadyTimeout)
			want(t, "root", s.Root, dir)
		}},
		{name: "PORT chooses the port, no fallback", env: map[string]string{"PORT": "9000"}, check: func(t *testing.T, s devloop.Settings) {
			want(t, "addr", s.Addr, "127.0.0.1:9000")
			want(t, "fallback", s.Fallback, false)
		}},
		{name: "file over PORT", env: map[string]string{"PORT": "9000"}, toml: "addr = \"127.0.0.1:7000\"\n", check: func(t *testing.T, s devloop.Settings) {
			want(t, "addr", s.Addr, "127.0.0.1:7000")
		}},
		{name: "flag over file", flags: devloop.Flags{Addr: "127.0.0.1:6000"}, toml: "addr = \"127.0.0.1:7000\"\n", check: func(t *testing.T, s devloop.Settings) {
			want(t, "addr", s.Addr, "127.0.0.1:6000")
		}},
		{name: "bare port is loopback", flags: devloop.Flags{Addr: "5000"}, check: func(t *testing.T, s devloop.Settings) { want(t, "addr", s.Addr, "127.0.0.1:5000") }},
		{name: "empty host is loopback", flags: devloop.Flags{Addr: ":5000"}, check: func(t *testing.T, s devloop.Settings) { want(t, "addr", s.Addr, "127.0.0.1:5000") }},
		{name: "lan is every interface", flags: devloop.Flags{Addr: "127.0.0.1:5000", LAN: true}, check: func(t *testing.T, s devloop.Settings) { want(t, "addr", s.Addr, ":5000") }},
		{name: "file lists, flags add and replace",
			toml:  "[build]\ntags = [\"a\"]\nflags = [\"-race\"]\n[watch]\nexclude = [\"dist\"]\nextensions = [\"go\"]\n[env]\nK = \"file\"\n",
			flags: devloop.Flags{Tags: []string{}, BuildFlags: []string{"-v"}, Exclude: []string{"*.gen.go"}, Env: []string{"K=flag"}},
			check: func(t *testing.T, s devloop.Settings) {
				o := s.Options
				want(t, "tags (given empty: replaces)", len(o.Tags), 0)
				want(t, "build flags", strings.Join(o.BuildFlags, " "), "-race -v")
				want(t, "exclude", strings.Join(o.Exclude, " "), "dist *.gen.go")
				want(t, "extensions (from file)", strings.Join(o.Extensions, " "), "go")
				// The flag comes last, so it wins in the app's environment.
				want(t, "env", strings.Join(o.Env, " "), "K=file K=flag")
			}},
		{name: "package from file is relative to the module root", toml: "package = \"./cmd/web\"\nargs = [\"-v\"]\n", flags: devloop.Flags{Dir: filepath.Join(dir, "sub")},
			check: func(t *testing.T, s devloop.Settings) {
				want(t, "package", s.Options.Package, "./cmd/web")
				want(t, "dir", s.Options.Dir, dir)
				want(t, "args", strings.Join(s.Options.Args, " "), "-v")
			}},
		{name: "durations", flags: devloop.Flags{Grace: time.Second, GraceSet: true, ReadyTimeout: 5 * time.Second, ReadySet: true}, check: func(t *testing.T, s devloop.Settings) {
			want(t, "grace", s.Options.Grace, time.Second)
			want(t, "ready", s.Options.ReadyTimeout, 5*time.Second)
		}},
	}
	if err := os.MkdirAll(filepath.Join(dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := mergeIn(t, dir, tt.toml, tt.flags, tt.env)
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, s)
		})
	}
}

func TestMergeSettingsBadInput(t *testing.T) {
	dir := devtest.WriteModule(t, map[string]string{"main.go": devtest.App("x")})
	noModule := t.TempDir()
	tests := []struct {
		name      string
		flags     devloop.Flags
		toml      string
		wantErr   string
		wantUsage bool
	}{
		{name: "not a folder", flags: devloop.Flags{Dir: filepath.Join(dir, "main.go")}, wantErr: "not a folder", wantUsage: true},
		{name: "no module", flags: devloop.Flags{Dir: noModule}, wantErr: "go.mod", wantUsage: false},
		{name: "env without =", flags: devloop.Flags{Env: []string{"KEY"}}, wantErr: `--env "KEY": want KEY=VALUE`, wantUsage: true},
		{name: "env without name", flags: devloop.Flags{Env: []string{"=v"}}, wantErr: "want KEY=VALUE", wantUsage: true},
		{name: "-o build flag", flags: devloop.Flags{BuildFlags: []string{"-o=x"}}, wantErr: "chooses the output file", wantUsage: true},
		{name: "negative grace", flags: devloop.Flags{Grace: -time.Second, GraceSet: true}, wantErr: "--grace -1s", wantUsage: true},
		{name: "zero grace given", flags: devloop.Flags{GraceSet: true}, wantErr: "--grace 0s", wantUsage: true},
		{name: "zero ready timeout given", flags: devloop.Flags{ReadySet: true}, wantErr: "--ready-timeout 0s", wantUsage: true},
		{name: "bad address", flags: devloop.Flags{Addr: "localhost"}, wantErr: `address "localhost": want HOST:PORT or PORT`, wantUsage: true},
		{name: "port out of range", flags: devloop.Flags{Addr: "127.0.0.1:70000"}, wantErr: "port must be a number from 0 to 65535", wantUsage: true},
		{name: "missing --config file", flags: devloop.Flags{Config: filepath.Join(dir, "nope.toml")}, wantErr: "file not found", wantUsage: true},
		{name: "unknown key in the file", toml: "adr = \"x\"\n", wantErr: "unknown key adr", wantUsage: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := mergeIn(t, dir, tt.toml, tt.flags, nil)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
			}
			if got := devloop.IsUsage(err); got != tt.wantUsage {
				t.Errorf("IsUsage = %v, want %v (%v)", got, tt.wantUsage, err)
			}
		})
	}
}

// mergeIn writes golocal.toml (none when content is empty) into the module
// at dir and merges f (run in dir unless f.Dir says otherwise) with it.
func mergeIn(t *testing.T, dir, content string, f devloop.Flags, env map[string]string) (devloop.Settings, error) {
	t.Helper()
	path := filepath.Join(dir, devloop.ConfigFileName)
	os.Remove(path)
	if content != "" {
		devtest.Save(t, path, content)
	}
	if f.Dir == "" {
		f.Dir = dir
	}
	return devloop.MergeSettings(f, func(k string) string { return env[k] })
}

func want[T comparable](t *testing.T, what string, got, wantV T) {
	t.Helper()
	if got != wantV {
		t.Errorf("%s = %v, want %v", what, got, wantV)
	}
}
