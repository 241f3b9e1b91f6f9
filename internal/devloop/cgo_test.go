package devloop

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// cgoAvailable skips t unless the go command would build with cgo here
// (a C compiler is installed).
func cgoAvailable(t *testing.T, goCmd string) {
	t.Helper()
	out, err := exec.Command(goCmd, "env", "CGO_ENABLED").Output()
	if err != nil || strings.TrimSpace(string(out)) != "1" {
		t.Skip("cgo is not available (no C compiler): nothing to decide")
	}
}

// cgoPackage is a package of the test module that needs cgo: Kind says
// which variant was linked. With fallback, a !cgo file builds without it
// (as mattn/go-sqlite3's stub does); without, the package only builds
// with cgo.
func cgoPackage(fallback bool) map[string]string {
	files := map[string]string{"cdep/cdep.go": `package cdep

// #include <stdlib.h>
import "C"

// Kind says which variant of the package was linked.
func Kind() string { _ = C.abs(-1); return "cgo" }
`}
	if fallback {
		files["cdep/cdep_stub.go"] = `//go:build !cgo

package cdep

// Kind says which variant of the package was linked.
func Kind() string { return "nocgo" }
`
	}
	return files
}

// cdepApp is the shared app answering cdep.Kind().
var cdepApp = strings.Replace(strings.Replace(portApp, `"os"`, `"os"

	"example.test/app/cdep"`, 1), `fmt.Fprint(w, "BODY")`, `fmt.Fprint(w, cdep.Kind())`, 1)

func TestDecideCgo(t *testing.T) {
	goCmd, err := findGo(os.Getenv)
	if err != nil {
		t.Skip(err)
	}
	cgoAvailable(t, goCmd)
	goenv := filepath.Join(t.TempDir(), "go.env")
	if err := os.WriteFile(goenv, []byte("CGO_ENABLED=1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	plain := map[string]string{"main.go": appSource("v1")}
	withCgo := cgoPackage(false)
	withCgo["main.go"] = cdepApp
	tests := []struct {
		name  string
		files map[string]string
		env   []string
		flags []string
		off   bool
		why   string
	}{
		{"nothing needs cgo", plain, nil, nil, true, "CGO_ENABLED=0: nothing outside the standard library uses cgo"},
		{"CGO_ENABLED=1 in the environment", plain, []string{"CGO_ENABLED=1"}, nil, false, "CGO_ENABLED=1 is set"},
		{"CGO_ENABLED=0 in the environment", plain, []string{"CGO_ENABLED=0"}, nil, false, "CGO_ENABLED=0 is set"},
		{"CGO_ENABLED in go env's file", plain, []string{"GOENV=" + goenv}, nil, false, "CGO_ENABLED is set in " + goenv},
		{"-race needs cgo", plain, nil, []string{"-race"}, false, "build flag -race needs cgo"},
		{"-race in GOFLAGS", plain, []string{"GOFLAGS=-race"}, nil, false, "GOFLAGS -race needs cgo"},
		{"the external linker", plain, nil, []string{"-ldflags=-linkmode=external"}, false, "build flag -ldflags=-linkmode=external needs cgo"},
		{"flags for the external linker, value apart", plain, nil, []string{"-ldflags", "-extldflags=-static"}, false, "build flag -ldflags needs cgo"},
		{"other linker flags", plain, nil, []string{"-ldflags=-X main.v=1"}, true, "CGO_ENABLED=0: nothing outside the standard library uses cgo"},
		{"a package of the module uses cgo", withCgo, nil, nil, false, "example.test/app/cdep uses cgo"},
	}
	base := withoutKeys(os.Environ(), "CGO_ENABLED", "GOENV", "GOFLAGS")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeModule(t, tt.files)
			o := BuildOptions{GoCmd: goCmd, Dir: dir, Root: dir, Package: ".", Flags: tt.flags, Env: append(append([]string(nil), base...), tt.env...)}
			got := decideCgo(context.Background(), o)
			// With cgo off, a note about mDNS may follow (see hostsUseMDNS).
			if got.off != tt.off || got.why != tt.why && !(tt.off && strings.HasPrefix(got.why, tt.why+"; ")) {
				t.Errorf("decideCgo = {off: %v, why: %q}, want {off: %v, why: %q}", got.off, got.why, tt.off, tt.why)
			}
		})
	}
}

// TestCgoTurnedOnWhenADependencyNeedsIt adds a package that uses cgo to a
// program golocal dev builds without it: with a !cgo fallback the version
// built without cgo is replaced by one with it (and a warning says why);
// without a fallback the build does not fail, it is retried with cgo.
func TestCgoTurnedOnWhenADependencyNeedsIt(t *testing.T) {
	goCmd, err := findGo(os.Getenv)
	if err != nil {
		t.Skip(err)
	}
	cgoAvailable(t, goCmd)
	for _, fallback := range []bool{true, false} {
		name := map[bool]string{true: "with a !cgo fallback", false: "cgo only"}[fallback]
		t.Run(name, func(t *testing.T) {
			dir := writeModule(t, map[string]string{"main.go": appSource("v1")})
			l := startLoop(t, Options{Dir: dir, BaseEnv: withoutKeys(os.Environ(), "CGO_ENABLED", "GOENV", "GOFLAGS")})
			e := l.waitFor(EventSwapped, 90*time.Second)
			if !strings.Contains(e.How, "CGO_ENABLED=0") {
				t.Fatalf("first build: How %q does not say cgo is off", e.How)
			}
			for name, content := range cgoPackage(fallback) {
				writeFile(t, filepath.Join(dir, name), content)
			}
			writeFile(t, filepath.Join(dir, "main.go"), cdepApp)
			waitUntil(t, 90*time.Second, "the version built with cgo serves", func() bool {
				u := l.up.Load()
				if u == nil {
					return false
				}
				body, err := get(u)
				return err == nil && body == "cgo"
			})
			if n := l.count(EventBuildFailed); n != 0 {
				t.Errorf("%d failed builds: a build that needs cgo must be retried with it", n)
			}
			// With a fallback the build without cgo succeeds and a warning
			// says why a rebuild follows; without one the failed build is
			// retried at once and its How says why.
			said := false
			for _, e := range l.snapshot() {
				switch {
				case fallback && e.Kind == EventWarning:
					said = said || strings.Contains(e.Message, "example.test/app/cdep uses cgo: building with cgo from now on")
				case !fallback && e.Kind == EventSwapped:
					said = said || strings.Contains(e.How, "example.test/app/cdep uses cgo, so cgo is on from now on")
				}
			}
			if !said {
				t.Errorf("no event says cdep needs cgo: %+v", l.snapshot())
			}
		})
	}
}

func TestHostsUseMDNS(t *testing.T) {
	tests := []struct {
		name, conf string
		want       bool
	}{
		{"Debian server", "passwd: files systemd\nhosts:          files dns\n", false},
		{"Ubuntu desktop", "hosts: files mdns4_minimal [NOTFOUND=return] dns myhostname\n", true},
		{"mdns on another database", "networks: files mdns\nhosts: files dns\n", false},
		{"commented out", "# hosts: files mdns4 dns\nhosts: files dns\n", false},
		{"comment after the sources", "hosts: files dns # mdns4 later\n", false},
		{"no hosts line", "passwd: files\n", false},
		{"empty", "", false},
		{"CRLF and tabs", "hosts:\tfiles\tmdns\r\n", true},
		{"no colon", "hosts files mdns\n", false},
		{"binary noise", "\x00\xff:hosts:\x00mdns", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := hostsUseMDNS([]byte(tt.conf)); got != tt.want {
				t.Errorf("hostsUseMDNS(%q) = %v, want %v", tt.conf, got, tt.want)
			}
		})
	}
}

// FuzzHostsUseMDNS: any bytes, no panic; a file that gains a hosts line
// with an mDNS source is seen as using it.
func FuzzHostsUseMDNS(f *testing.F) {
	f.Add([]byte("hosts: files mdns4_minimal [NOTFOUND=return] dns\n"))
	f.Add([]byte("passwd: files\n# hosts: mdns\n"))
	f.Add([]byte{0, 0xff, '\n', ':'})
	f.Fuzz(func(t *testing.T, data []byte) {
		hostsUseMDNS(data)
		if !hostsUseMDNS(append(append([]byte(nil), data...), "\nhosts: mdns\n"...)) {
			t.Errorf("a trailing 'hosts: mdns' line was not seen after %q", data)
		}
	})
}

// TestCgoDecisionEndsWithTheBuild: a build canceled while the cgo decision
// runs (Ctrl-C, or a newer save) returns at once without deciding, and the
// next build decides.
func TestCgoDecisionEndsWithTheBuild(t *testing.T) {
	goCmd, err := findGo(os.Getenv)
	if err != nil {
		t.Skip(err)
	}
	cgoAvailable(t, goCmd)
	if runtime.GOOS == "windows" {
		t.Skip("the slow go command is a shell script")
	}
	dir := writeModule(t, map[string]string{"main.go": appSource("v1")})
	// A go command that answers 10 s late while the marker exists, as one
	// downloading modules for go list would.
	marker := filepath.Join(t.TempDir(), "slow")
	slowGo := filepath.Join(t.TempDir(), "go")
	script := "#!/bin/sh\nif [ -e " + marker + " ]; then sleep 10; fi\nexec " + goCmd + " \"$@\"\n"
	if err := os.WriteFile(slowGo, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(marker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	b, tmp := testBuilder(t, slowGo, dir)
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := b.Build(ctx, nil, filepath.Join(tmp, "bin-1")); !errors.Is(err, ErrBuildCanceled) {
		t.Fatalf("canceled build: err %v, want ErrBuildCanceled", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("a build canceled during the cgo decision took %v to return", d)
	}
	if err := os.Remove(marker); err != nil {
		t.Fatal(err)
	}
	res, err := b.Build(context.Background(), nil, filepath.Join(tmp, "bin-2"))
	if err != nil {
		t.Fatalf("next build: %v", err)
	}
	if want := "full: first build (" + CgoOffEnv + ": "; !strings.HasPrefix(res.How, want) {
		t.Errorf("next build's How %q, want the cgo decision (%q…)", res.How, want)
	}
}
