package devloop

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Flags are the settings given on golocal dev's command line, before they
// are merged with golocal.toml. A list flag that was not given is nil; a
// list flag given empty (--tags "") is a non-nil empty slice, and replaces
// the file's list all the same.
type Flags struct {
	Dir     string   // -C: run as if started there ("" is ".")
	Package string   // the PKG argument
	Args    []string // app arguments after --
	Config  string   // --config: a settings file other than golocal.toml

	Addr string // --addr
	LAN  bool   // --lan: listen on every interface

	// Lists a flag replaces in the file (nil: not given).
	Tags, Watch, Extensions []string
	// Lists a flag adds to the file's.
	BuildFlags, Exclude, Env []string

	Debug, NoFastBuild, NoSocketPassing bool

	// Grace and ReadyTimeout: zero means not given (the defaults apply); a
	// negative value, or GraceSet/ReadySet with zero, is refused.
	Grace, ReadyTimeout time.Duration
	GraceSet, ReadySet  bool
}

// Settings are Flags merged with golocal.toml and the environment: the
// runner's Options and the dev front's address.
type Settings struct {
	Options Options
	// Addr is the front's host:port; the host is "" with --lan (every
	// interface) and loopback otherwise unless given.
	Addr string
	// Root is the module root: golocal.toml lives there, and the error
	// overlay reads excerpts only from inside it.
	Root string
	// Fallback is set when Addr is golocal's own default (no --addr,
	// golocal.toml addr or PORT): then a taken port moves on to the next
	// free one, as Vite does, instead of stopping.
	Fallback bool
}

// A UsageError is a setting that cannot be right: the command line or the
// settings file must change. Other errors from MergeSettings (no module
// found, an unreadable file) are about the machine.
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

func usagef(format string, args ...any) error {
	return &UsageError{Msg: fmt.Sprintf(format, args...)}
}

// Default durations for a stopped app's drain and a new app's readiness.
const (
	DefaultGrace        = 3 * time.Second
	DefaultReadyTimeout = 30 * time.Second
)

// MergeSettings merges flags with golocal.toml (from the module root, or
// f.Config) and the environment (PORT): flags win over the file, the file
// over PORT, PORT over the default 127.0.0.1:8080.
func MergeSettings(f Flags, getenv func(string) string) (Settings, error) {
	var s Settings
	dir, root, err := settingsRoot(f.Dir)
	if err != nil {
		return s, err
	}
	cfg, err := settingsFile(f.Config, root)
	if err != nil {
		return s, err
	}
	if s.Options, err = mergeOptions(f, cfg, dir, root, getenv); err != nil {
		return s, err
	}
	s.Root = root
	if s.Addr, s.Fallback, err = frontAddr(f.Addr, cfg.Addr, f.LAN, getenv); err != nil {
		return s, err
	}
	return s, nil
}

// settingsRoot resolves -C and finds the module root above it.
func settingsRoot(d string) (dir, root string, err error) {
	if d == "" {
		d = "."
	}
	dir, err = filepath.Abs(d)
	if err != nil {
		return "", "", err
	}
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return "", "", usagef("--dir %s: not a folder", d)
	}
	root, err = FindModuleRoot(dir)
	return dir, root, err
}

// settingsFile reads golocal.toml from the module root, or the --config
// file, which must exist.
func settingsFile(explicit, root string) (Config, error) {
	path := explicit
	if path == "" {
		path = filepath.Join(root, ConfigFileName)
	}
	cfg, found, err := LoadConfig(path)
	if err != nil {
		return Config{}, &UsageError{Msg: err.Error()}
	}
	if explicit != "" && !found {
		return Config{}, usagef("--config %s: file not found", explicit)
	}
	return cfg, nil
}

// mergeOptions builds the runner's Options: flags over the file.
func mergeOptions(f Flags, cfg Config, dir, root string, getenv func(string) string) (Options, error) {
	pick := func(fromFlag, fromFile []string) []string {
		if fromFlag != nil {
			return fromFlag
		}
		return fromFile
	}
	o := Options{
		Dir:             dir,
		Package:         f.Package,
		Args:            f.Args,
		Getenv:          getenv,
		Tags:            pick(f.Tags, cfg.Build.Tags),
		BuildFlags:      append(append([]string(nil), cfg.Build.Flags...), f.BuildFlags...),
		KeepDebugInfo:   f.Debug || cfg.Build.Debug,
		NoFastBuild:     f.NoFastBuild,
		WatchRoots:      pick(f.Watch, cfg.Watch.Roots),
		Extensions:      pick(f.Extensions, cfg.Watch.Extensions),
		Exclude:         append(append([]string(nil), cfg.Watch.Exclude...), f.Exclude...),
		Grace:           DefaultGrace,
		ReadyTimeout:    DefaultReadyTimeout,
		NoSocketPassing: f.NoSocketPassing,
	}
	if o.Package == "" && cfg.Package != "" {
		// golocal.toml paths are relative to the module root.
		o.Package, o.Dir = cfg.Package, root
	}
	if len(o.Args) == 0 {
		o.Args = cfg.Args
	}
	for k, v := range cfg.Env {
		o.Env = append(o.Env, k+"="+v)
	}
	for _, kv := range f.Env {
		if k, _, ok := strings.Cut(kv, "="); !ok || k == "" {
			return o, usagef("--env %q: want KEY=VALUE", kv)
		}
		o.Env = append(o.Env, kv)
	}
	for _, bf := range o.BuildFlags {
		if bf == "-o" || strings.HasPrefix(bf, "-o=") {
			return o, usagef("--build-flag %s: golocal dev chooses the output file itself", bf)
		}
	}
	return mergeDurations(o, f)
}

func mergeDurations(o Options, f Flags) (Options, error) {
	if f.Grace < 0 || (f.Grace == 0 && f.GraceSet) {
		return o, usagef("--grace %v: want a positive duration such as 3s (how long a stopped app may drain before SIGKILL)", f.Grace)
	}
	if f.ReadyTimeout < 0 || (f.ReadyTimeout == 0 && f.ReadySet) {
		return o, usagef("--ready-timeout %v: want a positive duration such as 30s (how long a new app may take to serve)", f.ReadyTimeout)
	}
	if f.Grace > 0 {
		o.Grace = f.Grace
	}
	if f.ReadyTimeout > 0 {
		o.ReadyTimeout = f.ReadyTimeout
	}
	return o, nil
}

// DefaultFrontPort is the dev front's port when neither --addr,
// golocal.toml nor PORT chooses one.
const DefaultFrontPort = "8080"

// frontAddr chooses the dev front's address: the flag, else the file,
// else 127.0.0.1:$PORT, else 127.0.0.1:8080 (fallback true). A bare port
// means loopback; --lan means every interface.
func frontAddr(flag, file string, lan bool, getenv func(string) string) (addr string, fallback bool, err error) {
	addr = flag
	if addr == "" {
		addr = file
	}
	if addr == "" {
		port := DefaultFrontPort
		if p := getenv("PORT"); p != "" {
			port = p
		} else {
			fallback = true
		}
		addr = "127.0.0.1:" + port
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		if _, perr := strconv.Atoi(addr); perr != nil {
			return "", false, usagef("address %q: want HOST:PORT or PORT (%v)", addr, err)
		}
		host, port = "127.0.0.1", addr
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return "", false, usagef("address %q: port must be a number from 0 to 65535", addr)
	}
	switch {
	case lan:
		host = ""
	case host == "":
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port), fallback, nil
}

// IsUsage reports whether err is a UsageError.
func IsUsage(err error) bool {
	var u *UsageError
	return errors.As(err, &u)
}
