package verify

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/golocal/golocal/internal/devloop"
	"github.com/golocal/golocal/internal/procnet"
)

// Options describe one audit.
type Options struct {
	// Package is the main package to build and run (process mode), relative
	// to Dir; "" with URL empty means Dir's main package.
	Package string
	// Dir is the folder Package is relative to (the working directory).
	Dir string
	// Binary, when set, is run instead of building Package: audit the
	// very file you ship.
	Binary string
	// URL audits a service that is already running; AdminURL is its admin
	// listener, if any.
	URL, AdminURL string
	// Profile is passed as GOLOCAL_PROFILE (default prod).
	Profile string
	// Env are KEY=value pairs given to the service (after --env-file's).
	Env []string
	// BuildFlags are extra go build flags (verify adds -trimpath).
	BuildFlags []string
	// StartTimeout bounds the wait for the service to listen (default 30 s).
	StartTimeout time.Duration
	// Grace is the stop budget the orchestrator gives: SIGTERM→exit must
	// fit (default 30 s, Kubernetes' terminationGracePeriodSeconds).
	Grace time.Duration
	// ProbeBudget is the p99 latency the probes must keep under load
	// (default 100 ms).
	ProbeBudget time.Duration
	// SlowlorisWait is how long a trickling connection may stay open
	// before limits.slowloris fails (default 20 s; serve's header timeout
	// is 10 s).
	SlowlorisWait time.Duration
	// Selection is --only and --skip.
	Selection Selection
	// Progress, if set, gets one line per check as it starts.
	Progress func(Check)
}

func (o *Options) defaults() {
	if o.Profile == "" {
		o.Profile = "prod"
	}
	if o.StartTimeout <= 0 {
		o.StartTimeout = 30 * time.Second
	}
	if o.Grace <= 0 {
		o.Grace = 30 * time.Second
	}
	if o.ProbeBudget <= 0 {
		o.ProbeBudget = 100 * time.Millisecond
	}
	if o.SlowlorisWait <= 0 {
		o.SlowlorisWait = 20 * time.Second
	}
	if o.Dir == "" {
		o.Dir = "."
	}
}

// StartError means the service could not be built or started (exit 3).
// Output is what the compiler or the service printed.
type StartError struct {
	Phase  string // "build", "start", "listen", "url"
	Err    error
	Output string
}

func (e *StartError) Error() string {
	if e.Output == "" {
		return e.Err.Error()
	}
	what := "its output"
	if e.Phase == "build" {
		what = "compiler output"
	}
	return e.Err.Error() + "\n" + what + ":\n" + e.Output
}

func (e *StartError) Unwrap() error { return e.Err }

// secretName matches environment names that hold secrets by convention.
var secretName = regexp.MustCompile(`^[A-Z][A-Z0-9_]*(KEY|KEYS|PASSWORD|PASSWD|TOKEN|TOKENS|SECRET|SECRETS|CREDENTIALS)$`)

// mentionedSecret finds secret-looking variable names in a refusal message.
var mentionedSecret = regexp.MustCompile(`\b[A-Z][A-Z0-9_]*(KEY|KEYS|PASSWORD|PASSWD|TOKEN|TOKENS|SECRET|SECRETS|CREDENTIALS)\b`)

// service is the built binary and how to run it.
type service struct {
	binary string
	dir    string // working directory: a fresh temporary folder
	env    []string
	port   int
}

// build compiles the main package with devloop's build into tmp.
func build(ctx context.Context, o *Options, tmp string) (string, error) {
	// The package may sit in another module than the working directory:
	// build from its own module root.
	pkgDir := o.Package
	if !filepath.IsAbs(pkgDir) {
		pkgDir = filepath.Join(o.Dir, pkgDir)
	}
	root, err := devloop.FindModuleRoot(pkgDir)
	if err != nil {
		return "", &StartError{Phase: "build", Err: err}
	}
	rel, err := filepath.Rel(root, pkgDir)
	if err != nil {
		return "", &StartError{Phase: "build", Err: err}
	}
	pkg, err := devloop.FindMainPackage(root, "./"+filepath.ToSlash(rel), nil)
	if o.Package == "" {
		pkg, err = devloop.FindMainPackage(root, "", nil)
		if rel != "." {
			pkg, err = devloop.FindMainPackage(pkgDir, "", nil)
			pkg = "./" + filepath.ToSlash(filepath.Join(rel, pkg))
		}
	}
	if err != nil {
		return "", &StartError{Phase: "build", Err: err}
	}
	goCmd, err := exec.LookPath("go")
	if err != nil {
		return "", &StartError{Phase: "build", Err: errors.New("the go command is not on PATH: golocal verify builds the package with it; install Go or audit a running service with --url")}
	}
	out := filepath.Join(tmp, "service")
	// GOTMPDIR keeps go build's -work folder inside tmp, removed with it.
	env := append(os.Environ(), "GOTMPDIR="+tmp)
	flags := append([]string{"-trimpath"}, o.BuildFlags...)
	res, err := devloop.Build(ctx, devloop.BuildOptions{GoCmd: goCmd, Dir: root, Root: root, Package: pkg, Flags: flags, KeepDebugInfo: true, Env: env, NoReplay: true}, out)
	if err != nil {
		var b strings.Builder
		for _, d := range res.Diagnostics {
			b.WriteString("  " + d.String() + "\n")
		}
		return "", &StartError{Phase: "build", Err: fmt.Errorf("%s does not build (go build %s)", pkg, strings.Join(flags, " ")), Output: strings.TrimRight(b.String(), "\n")}
	}
	return out, nil
}

// freePort asks the kernel for an unused loopback port.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// ReadEnvFile reads KEY=value lines (# comments, blank lines, optional
// "export " and surrounding quotes) as --env-file does.
func ReadEnvFile(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var env []string
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		line = strings.TrimPrefix(line, "export ")
		kv, err := ParseEnv(line)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %v", path, n, err)
		}
		env = append(env, kv)
	}
	return env, sc.Err()
}

var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// ParseEnv checks one KEY=value, unquoting a quoted value.
func ParseEnv(s string) (string, error) {
	k, v, ok := strings.Cut(s, "=")
	if !ok || !envName.MatchString(k) {
		return "", fmt.Errorf("%q is not KEY=value with KEY made of letters, digits and _", s)
	}
	if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
		if uq, err := strconv.Unquote(`"` + v[1:len(v)-1] + `"`); err == nil && v[0] == '"' {
			v = uq
		} else {
			v = v[1 : len(v)-1]
		}
	}
	return k + "=" + v, nil
}

// randomSecret is 32 random bytes in base64: valid as a key, a token or a
// password, and unmistakable in logs.
func randomSecret() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

// secretsOf lists the secret values among env: values of secret-looking
// names and passwords inside URLs.
func secretsOf(env []string) (names, values []string) {
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		if v == "" {
			continue
		}
		if secretName.MatchString(k) {
			names = append(names, k)
			values = append(values, v)
			continue
		}
		if u, err := url.Parse(v); err == nil && u.User != nil {
			if p, ok := u.User.Password(); ok && len(p) >= 4 {
				values = append(values, p)
			}
		}
	}
	return names, values
}

// withoutNames returns env minus the given variable names.
func withoutNames(env, names []string) []string {
	return slices.DeleteFunc(slices.Clone(env), func(kv string) bool {
		k, _, _ := strings.Cut(kv, "=")
		return slices.Contains(names, k)
	})
}

// canaries are planted in every run: a service that logs its environment
// or configuration shows them.
func canaries() []string {
	return []string{
		"VERIFY_CANARY_API_KEY=" + randomSecret(),
		"VERIFY_CANARY_PASSWORD=" + randomSecret(),
		"VERIFY_CANARY_TOKEN=" + randomSecret(),
		"VERIFY_CANARY_DATABASE_URL=postgres://verify:" + strings.NewReplacer("+", "x", "/", "y", "=", "z").Replace(randomSecret()) + "@127.0.0.1:1/canary",
	}
}

// baseEnv is the part of verify's own environment a service needs to run
// at all; nothing else is inherited, as in a container.
func baseEnv(tmp string) []string {
	env := []string{"TMPDIR=" + tmp, "HOME=" + tmp}
	if p := os.Getenv("PATH"); p != "" {
		env = append(env, "PATH="+p)
	}
	return env
}

// waitListening waits until the service accepts on port, it exits, or the
// timeout passes. The port was free when chosen, but another process may
// have bound it since: an answer counts only when the port's listener
// belongs to the service (or a process it started), where the process
// table can say (Linux /proc, lsof on macOS).
func waitListening(ctx context.Context, p *process, port int, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	other := false
	for {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			if listensOn(p.pid(), port) {
				return nil
			}
			other = true
		}
		if p.exited() {
			p.out.waitClosed(time.Second)
			return &StartError{Phase: "start", Err: fmt.Errorf("the service exited (%s) before listening on %s", p.exitDescription(), addr), Output: p.out.tail(30)}
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			why := "does it read PORT"
			if other {
				why = "another process listens on that port now (it was free when chosen); run verify again"
			}
			return &StartError{Phase: "listen", Err: fmt.Errorf("the service did not listen on %s (PORT=%d) within %v (--start-timeout); %s", addr, port, timeout, why), Output: p.out.tail(30)}
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// listensOn reports whether pid or one of its descendants listens on
// port; true when the process table cannot be read (the answer on the
// port is then taken as the service's, as before).
func listensOn(pid, port int) bool {
	held, err := procnet.ListeningPortsOf(append([]int{pid}, procnet.Descendants(pid)...)...)
	if err != nil {
		return true
	}
	for _, ap := range held {
		if int(ap.Port()) == port {
			return true
		}
	}
	return false
}
