package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/golocal/golocal/internal/devloop"
	"github.com/golocal/golocal/internal/devproxy"
	"github.com/golocal/golocal/internal/term"
	"github.com/golocal/golocal/listen"
)

const devLong = `Build, run and reload a Go web service on every save, without dropping a request.

golocal dev builds the main package (the one in the current folder, or the only one
under ./cmd/), runs it behind a dev front on the user-facing address and, on every
change, builds the new version while the old one keeps serving, starts it, switches
to it once it serves and only then stops the old one. Build errors appear in the
terminal (file:line:col) and in open pages; pages reload by themselves.

The app gets PORT (a fresh loopback port per version) and, for apps that honour
socket activation, a listening socket of its own as fd 3 (LISTEN_FDS=1) plus a
NOTIFY_SOCKET for READY=1 (--no-socket-passing: PORT only, the default on
Windows). Apps that hard-code a port are found through /proc; the old version
then stops first while the dev front holds requests.
It also gets GOLOCAL_PROFILE=dev (unless already set), which golocal's config
package reads as the default profile.

Settings come from flags, else golocal.toml in the module root:

  package = "./cmd/web"
  addr = "127.0.0.1:8080"
  [watch]  roots, extensions, exclude
  [build]  flags, tags, debug
  [env]    KEY = "value"

--https serves the front over TLS with HTTP/2 and a certificate from golocal's
local CA (created on first use; trust it with golocal trust --install); the app
gets X-Forwarded-Proto: https and an https GOLOCAL_DEV_URL, and HSTS it sends is
rewritten to max-age=0 on dev names. --https on a non-loopback --addr needs --lan.
--android runs adb reverse for the front's port on each connected device.
See docs/https.md.

Keys on a terminal: r rebuild, q quit. Ctrl-C stops the app gracefully.`

type devFlags struct {
	dir          string
	addr         string
	lan          bool
	allowHosts   []string
	tags         []string
	buildFlags   []string
	debug        bool
	noFast       bool
	watch        []string
	exts         []string
	exclude      []string
	envVars      []string
	config       string
	jsonOut      bool
	grace        time.Duration
	ready        time.Duration
	throttle     string
	noCache      bool
	noSocket     bool
	https        bool
	android      bool
	throttleFile string
}

func newDevCmd(env *Env) *cobra.Command {
	var f devFlags
	cmd := &cobra.Command{
		Use:   "dev [PKG] [-- app args]",
		Short: "Hot reload that never drops a request",
		Long:  devLong,
		Example: `  golocal dev
  golocal dev ./cmd/web -- -verbose
  golocal dev --lan --addr :8080
  golocal dev --tags dev --env DATABASE_URL=postgres://localhost/dev
  golocal dev --throttle "Slow 3G" --no-cache
  golocal dev --https --lan        # trusted HTTPS + HTTP/2 for this machine and phones (golocal trust)
  golocal dev --android            # adb reverse: the phone opens http://localhost:PORT`,
		RunE: func(cmd *cobra.Command, args []string) error {
			pkgArgs, appArgs := args, []string(nil)
			if dash := cmd.ArgsLenAtDash(); dash >= 0 {
				pkgArgs, appArgs = args[:dash], args[dash:]
			}
			if len(pkgArgs) > 1 {
				return usageErrorf("golocal dev runs one package, got %d (%s); pass app arguments after --", len(pkgArgs), strings.Join(pkgArgs, " "))
			}
			pkg := ""
			if len(pkgArgs) == 1 {
				pkg = pkgArgs[0]
			}
			return runDev(cmd.Context(), env, cmd, f, pkg, appArgs)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.dir, "dir", "C", ".", "run as if started in this folder")
	fl.StringVar(&f.addr, "addr", "", "user-facing address (default 127.0.0.1:$PORT, else 127.0.0.1:8080)")
	fl.BoolVar(&f.lan, "lan", false, "listen on all interfaces and print the Network URL with a QR code")
	fl.StringSliceVar(&f.allowHosts, "allow-host", nil, "also answer requests for this Host name or address (only loopback, localhost, *.localhost and the --lan addresses by default, against DNS rebinding)")
	fl.StringSliceVar(&f.tags, "tags", nil, "build tags")
	fl.StringArrayVar(&f.buildFlags, "build-flag", nil, "extra go build flag, repeatable (e.g. --build-flag=-race)")
	fl.BoolVar(&f.debug, "debug", false, "keep debug info for debuggers (no -ldflags=-s -w; links slower)")
	fl.BoolVar(&f.noFast, "no-fast-build", false, "always run go build (no direct compile of the edited packages); also GOLOCAL_NO_FAST_BUILD=1")
	fl.StringSliceVar(&f.watch, "watch", nil, "folders to watch, relative to the module root (default: the module root)")
	fl.StringSliceVar(&f.exts, "ext", nil, "file extensions to watch (default go,html,tmpl,gohtml,css,js,sql + //go:embed files)")
	fl.StringSliceVar(&f.exclude, "exclude", nil, ".gitignore-style patterns not to watch (added to .git, vendor, node_modules, testdata, hidden folders and .gitignore)")
	fl.StringArrayVar(&f.envVars, "env", nil, "KEY=VALUE for the app, repeatable")
	fl.StringVar(&f.config, "config", "", "settings file (default golocal.toml in the module root)")
	fl.BoolVar(&f.jsonOut, "json", false, "print events as JSON lines")
	fl.DurationVar(&f.grace, "grace", devloop.DefaultGrace, "how long a stopped app may drain before SIGKILL")
	fl.DurationVar(&f.ready, "ready-timeout", devloop.DefaultReadyTimeout, "how long a new app may take to serve before it is reported as not ready")
	fl.StringVar(&f.throttle, "throttle", "", "emulate a slow network like Chrome DevTools: a preset ("+strings.Join(devproxy.ThrottlePresetNames(), ", ")+") or latency=400ms,down=500kbps,up=500kbps")
	fl.BoolVar(&f.noSocket, "no-socket-passing", false, "give the app PORT only, no listening socket as fd 3 (LISTEN_FDS); always so on Windows")
	fl.BoolVar(&f.https, "https", false, "serve the dev front over HTTPS with HTTP/2, with a certificate from golocal's local CA (see golocal trust)")
	fl.BoolVar(&f.android, "android", false, "adb reverse the front's port on every connected Android device (the phone opens http://localhost:PORT), removed on exit")
	fl.StringVar(&f.throttleFile, "throttle-file", "", "file of named --throttle presets, one 'name = settings' a line")
	fl.BoolVar(&f.noCache, "no-cache", false, "strip ETag/Last-Modified and send Cache-Control: no-store, so the browser always asks the app")
	return cmd
}

// devSettings is the merged result of golocal.toml and flags (devloop's
// Settings) plus what only the dev front reads.
type devSettings struct {
	devloop.Settings
	throttle devproxy.Throttle
	noCache  bool
	https    bool
	android  bool
	// allowHosts are the Host values the front answers beyond loopback
	// (see frontHosts).
	allowHosts []string
}

// loopFlags hands the command line to devloop, which merges it with
// golocal.toml. A list flag given empty still replaces the file's list.
func (f devFlags) loopFlags(changed func(string) bool, pkg string, appArgs []string) devloop.Flags {
	given := func(name string, v []string) []string {
		if changed(name) && v == nil {
			return []string{}
		}
		return v
	}
	return devloop.Flags{
		Dir: f.dir, Package: pkg, Args: appArgs, Config: f.config,
		Addr: f.addr, LAN: f.lan,
		Tags: given("tags", f.tags), Watch: given("watch", f.watch), Extensions: given("ext", f.exts),
		BuildFlags: f.buildFlags, Exclude: f.exclude, Env: f.envVars,
		Debug: f.debug, NoFastBuild: f.noFast, NoSocketPassing: f.noSocket,
		Grace: f.grace, GraceSet: changed("grace"),
		ReadyTimeout: f.ready, ReadySet: changed("ready-timeout"),
	}
}

func mergeDevSettings(cmd *cobra.Command, env *Env, f devFlags, pkg string, appArgs []string) (devSettings, error) {
	var s devSettings
	var err error
	if s.Settings, err = devloop.MergeSettings(f.loopFlags(cmd.Flags().Changed, pkg, appArgs), env.Getenv); err != nil {
		if devloop.IsUsage(err) {
			return s, withCode(ExitUsage, err)
		}
		return s, withCode(ExitFailure, err)
	}
	s.noCache, s.https, s.android = f.noCache, f.https, f.android
	var custom map[string]devproxy.Throttle
	if f.throttleFile != "" {
		data, err := os.ReadFile(f.throttleFile)
		if err != nil {
			return s, withCode(ExitUsage, fmt.Errorf("--throttle-file: %w", err))
		}
		if custom, err = devproxy.ParsePresets(data, f.throttleFile); err != nil {
			return s, withCode(ExitUsage, err)
		}
	}
	if s.throttle, err = devproxy.ParseThrottleWith(f.throttle, custom); err != nil {
		return s, withCode(ExitUsage, err)
	}
	if s.https {
		if err := checkHTTPSAddr(s.Addr, f.lan); err != nil {
			return s, err
		}
	}
	host, _, _ := net.SplitHostPort(s.Addr)
	if s.allowHosts, err = frontHosts(f.allowHosts, host); err != nil {
		return s, err
	}
	return s, nil
}

// holderList names the processes holding a port, for one line of output.
func holderList(inUse *listen.PortInUseError, addr string) string {
	var holders []string
	for _, h := range inUse.Holders {
		if h.PID != 0 {
			cmdline := h.Command
			if r := []rune(cmdline); len(r) > 80 {
				cmdline = string(r[:79]) + "…"
			}
			holders = append(holders, fmt.Sprintf("%s (pid %d)", cmdline, h.PID))
		} else {
			holders = append(holders, h.String())
		}
	}
	if len(holders) == 0 {
		_, port, _ := net.SplitHostPort(addr)
		return "a process that cannot be seen from here (`golocal port " + port + "` as root names it)"
	}
	return strings.Join(holders, ", ")
}

// frontFallbackPorts is how many ports after its default (8080) golocal dev
// tries when that one is taken: 8081-8099.
const frontFallbackPorts = 19

// listenFront opens the user-facing address with the listen package, which
// explains bind errors. A taken port names its holder (pid and command,
// from /proc) and the next free port on the same host.
func listenFront(ctx context.Context, addr string, fallback bool) (net.Listener, []string, error) {
	opts := listen.Options{
		Addr: addr,
		// golocal dev's own environment is not the app's: the address was
		// already chosen (flag, golocal.toml, PORT), and sockets passed to
		// golocal itself are not for the front.
		IgnoreInherited: true,
		Getenv:          func(string) string { return "" },
		Unsetenv:        func(string) error { return nil },
	}
	if fallback {
		if _, portStr, err := net.SplitHostPort(addr); err == nil {
			if port, err := strconv.Atoi(portStr); err == nil && port > 0 && port+frontFallbackPorts <= 65535 {
				opts.Fallback = fmt.Sprintf("%d-%d", port+1, port+frontFallbackPorts)
			}
		}
	}
	res, err := listen.Listen(ctx, opts)
	if err == nil {
		var notes []string
		for _, a := range res.Attempts {
			var inUse *listen.PortInUseError
			if errors.As(a.Err, &inUse) {
				notes = append(notes, fmt.Sprintf("%s is in use by %s; using %s (--addr chooses)", a.Addr, holderList(inUse, a.Addr), res.Addr))
			} else {
				notes = append(notes, fmt.Sprintf("%v; using %s (--addr chooses)", a.Err, res.Addr))
			}
		}
		return res.Listener, notes, nil
	}
	var inUse *listen.PortInUseError
	if errors.As(err, &inUse) {
		host, portStr, _ := net.SplitHostPort(addr)
		port, _ := strconv.Atoi(portStr)
		var b strings.Builder
		fmt.Fprintf(&b, "%s is in use by %s", addr, holderList(inUse, addr))
		if next := nextFreePort(host, port); next != "" {
			fmt.Fprintf(&b, "; try --addr %s, or stop that process", next)
		} else {
			b.WriteString("; stop that process or choose another port with --addr")
		}
		return nil, nil, errors.New(b.String())
	}
	var priv *listen.PrivilegedPortError
	if errors.As(err, &priv) {
		host, _, _ := net.SplitHostPort(addr)
		return nil, nil, fmt.Errorf("port %d needs root or CAP_NET_BIND_SERVICE (ports below %d are privileged); try --addr %s", priv.Port, priv.UnprivilegedStart, net.JoinHostPort(host, strconv.Itoa(priv.Suggest)))
	}
	return nil, nil, fmt.Errorf("cannot open the dev front on %s: %w", addr, err)
}

// nextFreePort returns host:port of the first port after port that can be
// bound now, looking at most 100 ports ahead, or "".
func nextFreePort(host string, port int) string {
	for p := port + 1; p < port+100 && p <= 65535; p++ {
		a := net.JoinHostPort(host, strconv.Itoa(p))
		if l, err := net.Listen("tcp", a); err == nil {
			l.Close()
			return a
		}
	}
	return ""
}

func runDev(ctx context.Context, env *Env, cmd *cobra.Command, f devFlags, pkg string, appArgs []string) error {
	s, err := mergeDevSettings(cmd, env, f, pkg, appArgs)
	if err != nil {
		return err
	}
	out := &devOutput{w: env.Stdout, p: term.Palette{Enabled: env.Color}, json: f.jsonOut, scheme: schemeOf(s.https)}
	// The app's output goes where golocal's own does, a write at a time
	// between event lines; with --json, stdout is for events only.
	s.Options.Stdout, s.Options.Stderr = &sharedWriter{mu: &out.mu, w: env.Stdout}, &sharedWriter{mu: &out.mu, w: env.Stderr}
	if f.jsonOut {
		s.Options.Stdout = s.Options.Stderr
	} else {
		out.appShown = true
	}

	// The front's port is checked first: a taken port is reported before
	// anything is built.
	ln, notes, err := listenFront(ctx, s.Addr, s.Fallback)
	if err != nil {
		return withCode(ExitFailure, err)
	}
	for _, n := range notes {
		out.note(n)
	}
	defer ln.Close()
	front := devproxy.New(devproxy.Options{Root: s.Root, Throttle: s.throttle, NoCache: s.noCache, AllowHosts: s.allowHosts})
	defer front.Close()
	s.Options.OnEvent = func(e devloop.Event) {
		applyEvent(front, e)
		out.event(e)
	}
	// The app listens on an internal port; tell it the URL people should
	// open, so what it prints points there (see DevURLEnv).
	if tcp, ok := ln.Addr().(*net.TCPAddr); ok {
		host := "127.0.0.1"
		if !tcp.IP.IsUnspecified() && !tcp.IP.IsLoopback() {
			host = tcp.IP.String()
		}
		if s.https {
			host = "localhost" // the name the certificate and browsers agree on
		}
		s.Options.Env = append(s.Options.Env, DevURLEnv+"="+out.scheme+"://"+net.JoinHostPort(host, strconv.Itoa(tcp.Port))+"/")
	}
	runner, err := devloop.New(s.Options)
	if err != nil {
		// Which program to run is the user's to say: a package argument
		// that names none, or none given where several or none are found,
		// is a usage error.
		if errors.Is(err, devloop.ErrBadPackage) || errors.Is(err, devloop.ErrNoMainPackage) || errors.Is(err, devloop.ErrSeveralMainPackages) {
			return withCode(ExitUsage, err)
		}
		return withCode(ExitFailure, err)
	}

	// No WriteTimeout: event streams and held requests stay open for long.
	srv := &http.Server{Handler: front, ReadHeaderTimeout: 10 * time.Second}
	// Shutdown closes the listener, then this ends the event streams (they
	// never finish by themselves) so that Shutdown does not wait for them.
	srv.RegisterOnShutdown(func() { _ = front.Close() })
	if s.https {
		tcp, _ := ln.Addr().(*net.TCPAddr)
		if srv.TLSConfig, err = devTLS(env, out, f.lan, tcp); err != nil {
			return errTLSSetup(err)
		}
		srv.ErrorLog = log.New(&frontErrorLog{out: out}, "", 0)
	}
	srvDone := make(chan error, 1)
	go func() {
		if s.https {
			srvDone <- srv.ServeTLS(ln, "", "") // HTTP/2 through ALPN
			return
		}
		srvDone <- srv.Serve(ln)
	}()
	if s.android {
		defer startAndroid(ctx, out, ln.Addr().(*net.TCPAddr).Port)()
	}

	out.banner(runner, ln.Addr().(*net.TCPAddr), f.lan, s.throttle, s.noCache)

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	if restore := term.ReadKeys(ctx, env.Stdin, map[byte]func(){'r': runner.Rebuild, 'q': cancel}); restore != nil {
		defer restore()
	}
	runErr := runner.Run(ctx)

	shutdownCtx, done := context.WithTimeout(context.Background(), 2*time.Second)
	defer done()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		_ = srv.Close()
	}
	<-srvDone
	_ = front.Close()
	if runErr != nil {
		return withCode(ExitFailure, runErr)
	}
	return nil
}

// devFront is what applyEvent drives; *devproxy.Front implements it.
type devFront interface {
	SetUpstream(*url.URL)
	BuildStarted()
	BuildFailed([]devproxy.Diagnostic)
	Failed(devproxy.Failure)
	Reload()
	StylesChanged([]string)
}

// DevURLEnv is the variable golocal dev sets in the app's environment to the
// user-facing URL of the dev front, e.g. "http://127.0.0.1:8080/". The app
// itself listens on an internal socket; an app that prints where it
// listens should print this URL instead when it is set.
const DevURLEnv = "GOLOCAL_DEV_URL"

// applyEvent tells the dev front what the dev loop did.
func applyEvent(front devFront, e devloop.Event) {
	switch e.Kind {
	case devloop.EventSwapped:
		// A new version serves: switch first, then reload open pages,
		// which clears a build failure shown in them. A restored previous
		// version serves requests but the failure stays on screen.
		front.SetUpstream(e.Upstream)
		if !e.Restored {
			front.Reload()
		}
	case devloop.EventHold:
		front.SetUpstream(nil)
	case devloop.EventBuildStarted:
		front.BuildStarted()
	case devloop.EventBuildFailed:
		front.BuildFailed(proxyDiagnostics(e.Diagnostics, e.Output))
	case devloop.EventAppFailed:
		front.Failed(appFailure(e))
	case devloop.EventStylesChanged:
		front.StylesChanged(e.Paths)
	case devloop.EventReload:
		front.Reload()
	}
}

// proxyDiagnostics converts compiler diagnostics for the overlay. A failed
// build always shows something: the raw output when nothing was parsed.
func proxyDiagnostics(diags []devloop.Diagnostic, output string) []devproxy.Diagnostic {
	out := make([]devproxy.Diagnostic, 0, len(diags))
	for _, d := range diags {
		out = append(out, devproxy.Diagnostic{File: d.File, Line: d.Line, Column: d.Column, Message: d.Message})
	}
	if len(out) == 0 {
		msg := strings.TrimSpace(output)
		if msg == "" {
			msg = "go build failed without output"
		}
		out = append(out, devproxy.Diagnostic{Message: msg})
	}
	return out
}

// appFailure is the overlay of an app that exited or never became ready:
// a crash names the panic and where it happened; the message says what
// happened, then the end of what the app printed.
func appFailure(e devloop.Event) devproxy.Failure {
	msg := e.Message
	if tail := lastLines(e.Output, 30); tail != "" {
		msg += "\n\napp output:\n" + tail
	}
	fl := devproxy.Failure{
		Title:       "The app stopped",
		Hint:        "This is not a build error: the app was built, then exited or did not serve. This page reloads when a new version serves.",
		Diagnostics: []devproxy.Diagnostic{{Message: msg}},
	}
	if e.Panic && len(e.Diagnostics) > 0 {
		fl.Title = "The app panicked"
		d := e.Diagnostics[0]
		fl.Diagnostics = []devproxy.Diagnostic{{File: d.File, Line: d.Line, Message: msg}}
	}
	return fl
}

// sharedWriter serialises the app's output with golocal's event lines.
type sharedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (s *sharedWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

// devOutput prints one line per event, or JSON lines.
type devOutput struct {
	mu   sync.Mutex
	w    io.Writer
	p    term.Palette
	json bool
	// appShown: the app's own output goes to the same terminal, so an
	// event need not repeat it.
	appShown bool
	// scheme is the front's URL scheme, http or https (--https).
	scheme string
	// admin is the admin URL last printed ("" none yet).
	admin string
}

// adminLine prints the app's admin URL the first time it is known (it
// stays the same across reloads; see devloop.Event.Admin).
func (o *devOutput) adminLine(u *url.URL) {
	if u == nil || u.String() == o.admin {
		return
	}
	o.admin = u.String()
	fmt.Fprintf(o.w, "  %-7s %s %s\n", "admin", o.admin, o.p.Dim("· the app's admin server (metrics, pprof), at this address across reloads"))
}

func ms(d time.Duration) string { return strconv.FormatInt(d.Milliseconds(), 10) + " ms" }

func (o *devOutput) banner(r *devloop.Runner, addr *net.TCPAddr, lan bool, throttle devproxy.Throttle, noCache bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	scheme, localHost := o.scheme, "127.0.0.1"
	if scheme == "" {
		scheme = "http"
	}
	if scheme == "https" {
		localHost = "localhost"
	}
	local := scheme + "://" + net.JoinHostPort(localHost, strconv.Itoa(addr.Port)) + "/"
	if !addr.IP.IsUnspecified() && !addr.IP.IsLoopback() {
		local = scheme + "://" + addr.String() + "/"
	}
	network := ""
	if lan {
		if ip := term.LANAddress(); ip != "" {
			network = scheme + "://" + net.JoinHostPort(ip, strconv.Itoa(addr.Port)) + "/"
		}
	}
	if o.json {
		ev := map[string]any{"event": "listening", "local": local, "network": network, "package": r.Package(), "root": r.Root(), "no_cache": noCache}
		if throttle.Enabled() {
			ev["throttle"] = throttle.String()
		}
		_ = json.NewEncoder(o.w).Encode(ev)
		return
	}
	fmt.Fprintf(o.w, "%s %s %s\n", o.p.Bold("golocal dev"), r.Package(), o.p.Dim("("+r.Root()+")"))
	fmt.Fprintf(o.w, "  Local:   %s\n", o.p.Cyan(local))
	if lan {
		if network == "" {
			fmt.Fprintf(o.w, "  Network: %s\n", o.p.Yellow("no LAN address found (is a network interface up?)"))
		} else {
			fmt.Fprintf(o.w, "  Network: %s\n", o.p.Cyan(network))
			term.QR(o.w, network)
		}
	} else {
		fmt.Fprintf(o.w, "  Network: %s\n", o.p.Dim("use --lan to expose (loopback only by default)"))
	}
	if throttle.Enabled() {
		name := throttle.Name
		if name == "" || name == "custom" {
			name = "custom"
		}
		fmt.Fprintf(o.w, "  Throttle: %s %s\n", o.p.Yellow(name), o.p.Dim("("+throttle.String()+")"))
	}
	if noCache {
		fmt.Fprintf(o.w, "  Cache:   %s\n", o.p.Yellow("off (validators stripped, Cache-Control: no-store)"))
	}
	fmt.Fprintf(o.w, "  %s\n", o.p.Dim("building… (r rebuild · q quit · Ctrl-C stop)"))
}

// jsonEvent is the --json form of a devloop event.
type jsonEvent struct {
	Event       string               `json:"event"`
	Paths       []string             `json:"paths,omitempty"`
	BuildMS     int64                `json:"build_ms,omitempty"`
	SwapMS      int64                `json:"swap_ms,omitempty"`
	Upstream    string               `json:"upstream,omitempty"`
	Admin       string               `json:"admin,omitempty"`
	Mode        string               `json:"mode,omitempty"`
	Direct      bool                 `json:"direct,omitempty"`
	How         string               `json:"how,omitempty"`
	Diagnostics []devloop.Diagnostic `json:"diagnostics,omitempty"`
	Message     string               `json:"message,omitempty"`
	Output      string               `json:"output,omitempty"`
}

// note prints one line of golocal's own (not an event of the dev loop).
func (o *devOutput) note(msg string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.json {
		_ = json.NewEncoder(o.w).Encode(map[string]string{"event": "note", "message": msg})
		return
	}
	fmt.Fprintf(o.w, "%s %s\n", o.p.Yellow("note:"), msg)
}

func (o *devOutput) event(e devloop.Event) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.json {
		je := jsonEvent{Event: e.Kind.String(), Paths: e.Paths, BuildMS: e.Build.Milliseconds(), SwapMS: e.Swap.Milliseconds(), Mode: e.Mode, Direct: e.Direct, How: e.How, Diagnostics: e.Diagnostics, Message: e.Message, Output: e.Output}
		if e.Upstream != nil {
			je.Upstream = e.Upstream.String()
		}
		if e.Admin != nil {
			je.Admin = e.Admin.String()
		}
		_ = json.NewEncoder(o.w).Encode(je)
		return
	}
	p := o.p
	switch e.Kind {
	case devloop.EventSwapped:
		verb := "swapped"
		if e.First {
			verb = "started"
		}
		line := fmt.Sprintf("%s %s · %s %s", p.Green("built"), ms(e.Build), verb, ms(e.Swap))
		if e.Build == 0 {
			line = fmt.Sprintf("%s %s", p.Green("restarted"), ms(e.Swap))
		}
		if e.First {
			line += p.Dim(" · app serves via " + e.Mode)
		}
		if e.How != "" {
			// The first build's How also says whether cgo was left out.
			line += p.Dim(" · " + e.How)
		}
		fmt.Fprintln(o.w, line)
		o.adminLine(e.Admin)
	case devloop.EventBuildFailed:
		fmt.Fprintf(o.w, "%s after %s:\n", p.Red("build failed"), ms(e.Build))
		for _, d := range e.Diagnostics {
			fmt.Fprintf(o.w, "  %s\n", d.String())
		}
	case devloop.EventBuildCanceled:
		fmt.Fprintln(o.w, p.Dim("build canceled: "+strings.Join(e.Paths, ", ")+" changed"))
	case devloop.EventAppFailed:
		// The app's output, a panic's trace included, was already printed
		// as it came: only what happened and where.
		fmt.Fprintln(o.w, p.Red(e.Message))
		if e.Panic && len(e.Diagnostics) > 0 && e.Diagnostics[0].File != "" {
			fmt.Fprintf(o.w, "  at %s:%d\n", e.Diagnostics[0].File, e.Diagnostics[0].Line)
		} else if !o.appShown {
			if tail := lastLines(e.Output, 20); tail != "" {
				fmt.Fprintln(o.w, p.Dim(indent(tail)))
			}
		}
	case devloop.EventStylesChanged:
		fmt.Fprintln(o.w, p.Cyan("styles ")+strings.Join(e.Paths, ", ")+p.Dim(" · updated in place"))
	case devloop.EventReload:
		fmt.Fprintln(o.w, p.Cyan("reload ")+strings.Join(e.Paths, ", "))
	case devloop.EventWarning:
		fmt.Fprintln(o.w, p.Yellow("warning: ")+e.Message)
	case devloop.EventSkipped:
		fmt.Fprintln(o.w, p.Dim("unchanged "+strings.Join(e.Paths, ", ")+" · "+e.Message+", no build"))
	case devloop.EventStopped:
		fmt.Fprintln(o.w, p.Dim("stopped"))
	}
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.TrimSpace(strings.Join(lines, "\n"))
}

func indent(s string) string { return "  " + strings.ReplaceAll(s, "\n", "\n  ") }
