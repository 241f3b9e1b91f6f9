package admin

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/pprof"
	"net/netip"
	"os"
	"reflect"
	"runtime/debug"
	"slices"
	"strings"

	"github.com/golocal/golocal/config"
	"github.com/golocal/golocal/internal/hostcheck"
	"github.com/golocal/golocal/internal/route"
)

// Options configures [New]. Every field is optional; endpoints whose
// source is nil are not mounted (they answer 404).
type Options struct {
	// Metrics serves /metrics, typically metrics.(*Metrics).Handler().
	Metrics http.Handler

	// Health, if set, is mounted at /livez, /readyz and /health (and their
	// sub-paths), typically health.(*Health).DetailedHandler(), which shows
	// failure reasons that the public handler withholds.
	Health http.Handler

	// Config is shown as JSON at /debug/config. Accepted forms:
	//
	//   - func() any: called on every request (shows the live value);
	//   - a value with a Redacted() any method: that method's result;
	//   - a struct or pointer to struct: passed through config.Dump, so
	//     fields tagged secret:"true" show as "[redacted]";
	//   - anything else (a map from config.Dump, say): encoded as is, and
	//     must therefore already be redacted.
	//
	// The result of a func or Redacted method gets the same treatment.
	Config any

	// BuildInfo returns what /debug/buildinfo shows; nil means
	// [debug.ReadBuildInfo].
	BuildInfo func() (*debug.BuildInfo, bool)

	// AllowNonLoopback accepts requests from non-loopback peers, and any
	// IP address as Host. Only for an admin port whose network path is
	// protected otherwise (a pod IP reachable only by the scraper);
	// forwarded requests are refused whatever this says.
	AllowNonLoopback bool

	// AllowHosts are further Host names the admin endpoints answer (a
	// Service name a scraper uses, say), beyond loopback addresses,
	// localhost and *.localhost. See [Check] for why names are checked.
	AllowHosts []string
}

// forwardingHeaders mark a request that came through a proxy or a CDN: a
// proxy in front of the admin port would make every request look like it
// came from loopback, which is exactly what the loopback rule relies on.
// Forwarded is RFC 7239, Via RFC 9110 §7.6.3; the others are de facto
// (True-Client-IP from Akamai and Cloudflare, CF-Connecting-IP from
// Cloudflare). Names are in canonical form, as http.Header keys are.
var forwardingHeaders = []string{
	"Forwarded", "Via",
	"X-Forwarded-For", "X-Forwarded-Host", "X-Real-Ip",
	"True-Client-Ip", "X-Client-Ip", "Cf-Connecting-Ip",
}

// ErrForwarded, ErrHost and ErrNotLoopback are the reasons [Check]
// refuses a request.
var (
	ErrForwarded   = errors.New("admin endpoints refuse proxied requests")
	ErrHost        = errors.New("admin endpoints refuse unknown Host names")
	ErrNotLoopback = errors.New("admin endpoints answer loopback clients only")
)

// Check reports whether r may reach the admin endpoints:
//
//   - it must carry no forwarding header (Forwarded, RFC 7239; Via;
//     X-Forwarded-For; X-Forwarded-Host; X-Real-IP; True-Client-IP;
//     X-Client-IP; CF-Connecting-IP);
//   - its Host must be a loopback address, localhost or *.localhost (any
//     IP address when allowNonLoopback): a web page whose name an attacker
//     rebinds to 127.0.0.1 reaches a loopback port from the victim's
//     browser, but still sends its own name as Host ([DNS rebinding]);
//   - unless allowNonLoopback, it must come from a loopback address.
//
// The error says which rule failed and what to do. It is what [New]'s
// handler applies (with [Options.AllowHosts] added), usable without it.
//
// [DNS rebinding]: https://en.wikipedia.org/wiki/DNS_rebinding
func Check(r *http.Request, allowNonLoopback bool) error {
	return check(r, allowNonLoopback, nil)
}

func check(r *http.Request, allowNonLoopback bool, hosts []string) error {
	for _, h := range forwardingHeaders {
		if _, ok := r.Header[h]; ok {
			return fmt.Errorf("%w: the request carries %s, so it came through a proxy; connect to the admin port directly from the host, for example curl http://127.0.0.1:PORT%s", ErrForwarded, h, r.URL.Path)
		}
	}
	if p := (hostcheck.Policy{Hosts: hosts, AnyIP: allowNonLoopback}); !p.Allowed(r.Host) {
		return fmt.Errorf("%w: %s", ErrHost, p.Explain(r.Host, "add NAME to admin.Options.AllowHosts, or use http://127.0.0.1:PORT"))
	}
	if allowNonLoopback {
		return nil
	}
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		// Not an IP peer (a unix socket, a test recorder): nothing proves
		// it is remote, but nothing proves it is local either.
		host, _, splitErr := net.SplitHostPort(r.RemoteAddr)
		if splitErr != nil || host != "" {
			return fmt.Errorf("%w: peer address %q is not an IP address; serve the admin handler on a loopback TCP listener", ErrNotLoopback, r.RemoteAddr)
		}
		return fmt.Errorf("%w: no peer address", ErrNotLoopback)
	}
	if !ap.Addr().Unmap().IsLoopback() {
		return fmt.Errorf("%w: request from %s; use an SSH tunnel or kubectl port-forward to reach it from elsewhere", ErrNotLoopback, ap.Addr())
	}
	return nil
}

// New returns the admin handler: an explicit [http.ServeMux] (never
// http.DefaultServeMux) behind [Check], serving
//
//	/                      an index of these endpoints
//	/debug/pprof/...       net/http/pprof: index, cmdline, profile (CPU),
//	                       symbol, trace (runtime/trace) and named profiles
//	                       (heap, goroutine, allocs, block, mutex, threadcreate)
//	/metrics               Options.Metrics
//	/livez /readyz /health Options.Health
//	/debug/config          Options.Config as JSON
//	/debug/buildinfo       module path, versions, VCS settings as JSON
//
// Give it to serve.Options.Admin, which listens on loopback only.
//
// A word on net/http/pprof: importing it (as this package does) registers
// its handlers on http.DefaultServeMux as a side effect of the standard
// library. Never serve http.DefaultServeMux on a public listener; serve.Run
// refuses a nil handler rather than falling back to it.
func New(opts Options) http.Handler {
	mux := http.NewServeMux()
	var index []string
	add := func(pattern string, h http.Handler, describe string) {
		mux.Handle(pattern, h)
		if describe != "" {
			index = append(index, describe)
		}
	}
	add("GET /debug/pprof/", http.HandlerFunc(pprof.Index), "/debug/pprof/        profiles (go tool pprof http://HOST/debug/pprof/heap)")
	add("GET /debug/pprof/cmdline", cmdlineHandler(opts.Config, os.Args), "")
	add("GET /debug/pprof/profile", http.HandlerFunc(profileByRoute), "/debug/pprof/profile CPU profile (?seconds=30), samples labelled route=PATTERN")
	add("GET /debug/pprof/symbol", http.HandlerFunc(pprof.Symbol), "")
	add("POST /debug/pprof/symbol", http.HandlerFunc(pprof.Symbol), "") // go tool pprof posts addresses
	add("GET /debug/pprof/trace", http.HandlerFunc(pprof.Trace), "/debug/pprof/trace   execution trace (?seconds=5; go tool trace)")
	if opts.Metrics != nil {
		add("GET /metrics", opts.Metrics, "/metrics             Prometheus metrics")
	}
	if opts.Health != nil {
		for _, p := range []string{"/livez", "/livez/", "/readyz", "/readyz/", "/health", "/health/"} {
			mux.Handle(p, opts.Health)
		}
		index = append(index, "/livez /readyz       health checks with reasons (?verbose)")
	}
	if opts.Config != nil {
		add("GET /debug/config", configHandler(opts.Config), "/debug/config        configuration, secrets redacted")
	}
	readBuildInfo := opts.BuildInfo
	if readBuildInfo == nil {
		readBuildInfo = debug.ReadBuildInfo
	}
	add("GET /debug/buildinfo", buildInfoHandler(readBuildInfo), "/debug/buildinfo     module versions and VCS revision")
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "golocal admin endpoints:")
		for _, line := range index {
			fmt.Fprintln(w, "  "+line)
		}
	})
	return guard(mux, opts.AllowNonLoopback, slices.Clone(opts.AllowHosts))
}

func guard(next http.Handler, allowNonLoopback bool, hosts []string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := check(r, allowNonLoopback, hosts); err != nil {
			w.Header().Set("X-Content-Type-Options", "nosniff")
			http.Error(w, "403 Forbidden: "+err.Error(), http.StatusForbidden)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}

// profileByRoute is pprof.Profile with the requests served meanwhile
// labelled by route (see middleware.ProfileRoutes), so that
// go tool pprof -tagfocus='route=GET /orders/{id}' splits the profile.
func profileByRoute(w http.ResponseWriter, r *http.Request) {
	stop := route.StartProfiling()
	defer stop()
	pprof.Profile(w, r)
}

// cmdlineHandler replaces pprof.Cmdline, which prints os.Args as they are:
// a secret passed as a flag (--db-url=postgres://user:password@…) would be
// shown there while /debug/config hides it. The values of the flags that
// set secret keys of the configuration are redacted, as config.Dump does
// for /debug/config; with no configuration struct to tell which flags are
// secret, every flag value is. The format is pprof's: arguments separated
// by NUL bytes.
func cmdlineHandler(cfg any, args []string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, strings.Join(config.RedactArgs(configStruct(cfg), args), "\x00"))
	})
}

// configStruct unwraps Options.Config (a func or a Redacted method) to
// the value that names the configuration's keys.
func configStruct(v any) any {
	for range 4 {
		switch c := v.(type) {
		case func() any:
			v = c()
		case redactor:
			// The Redacted form may have lost the struct; the value
			// itself still knows its secret fields.
			if rv := reflect.Indirect(reflect.ValueOf(c)); rv.Kind() == reflect.Struct {
				return c
			}
			v = c.Redacted()
		default:
			return v
		}
	}
	return v
}

// redactor is implemented by configuration values that know how to hide
// their own secrets.
type redactor interface{ Redacted() any }

// resolveConfig turns Options.Config into the value to encode.
func resolveConfig(v any) any {
unwrap:
	for range 4 { // a func may return a redactor, which may return a struct
		switch c := v.(type) {
		case func() any:
			v = c()
		case redactor:
			v = c.Redacted()
		default:
			break unwrap
		}
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Pointer && !rv.IsNil() {
		rv = rv.Elem()
	}
	if rv.Kind() == reflect.Struct {
		return config.Dump(v)
	}
	return v
}

func configHandler(src any) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := json.MarshalIndent(resolveConfig(src), "", "  ")
		if err != nil {
			http.Error(w, "admin: encoding the configuration as JSON: "+err.Error()+"; give admin.Options.Config a map or struct of JSON-encodable values", http.StatusInternalServerError)
			return
		}
		writeJSON(w, body)
	})
}

// buildInfoJSON is /debug/buildinfo's body.
type buildInfoJSON struct {
	GoVersion string            `json:"goVersion"`
	Path      string            `json:"path"`
	Main      moduleJSON        `json:"main"`
	Settings  map[string]string `json:"settings"`
	Deps      []moduleJSON      `json:"deps"`
}

type moduleJSON struct {
	Path    string `json:"path"`
	Version string `json:"version"`
	Sum     string `json:"sum,omitempty"`
	Replace string `json:"replace,omitempty"`
}

func module(m *debug.Module) moduleJSON {
	out := moduleJSON{Path: m.Path, Version: m.Version, Sum: m.Sum}
	if m.Replace != nil {
		out.Replace = strings.TrimSpace(m.Replace.Path + " " + m.Replace.Version)
	}
	return out
}

func buildInfoHandler(read func() (*debug.BuildInfo, bool)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		bi, ok := read()
		if !ok || bi == nil {
			http.Error(w, "admin: no build information in this binary (built without module support?)", http.StatusNotFound)
			return
		}
		out := buildInfoJSON{GoVersion: bi.GoVersion, Path: bi.Path, Main: module(&bi.Main), Settings: map[string]string{}, Deps: []moduleJSON{}}
		for _, s := range bi.Settings {
			out.Settings[s.Key] = s.Value
		}
		for _, d := range bi.Deps {
			out.Deps = append(out.Deps, module(d))
		}
		body, _ := json.MarshalIndent(out, "", "  ") // only strings: cannot fail
		writeJSON(w, body)
	})
}

func writeJSON(w http.ResponseWriter, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Write(append(body, '\n'))
}
