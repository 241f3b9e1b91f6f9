package svc

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/pprof"
	"net/url"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/golocal/golocal/admin"
	"github.com/golocal/golocal/health"
	"github.com/golocal/golocal/metrics"
	"github.com/golocal/golocal/middleware"
	"github.com/golocal/golocal/problem"
)

const home = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>good</title></head>
<body><h1>Items</h1><a href="/items">items</a>
<form method="post" action="/items"><input name="name"><button>add</button></form></body></html>
`

func (s *service) handler(h *health.Health, m *metrics.Metrics) (http.Handler, error) {
	mux := http.NewServeMux()
	if !s.broken("probes.liveness") {
		mux.Handle("GET /livez", s.slow("probes.liveness-latency", h.Handler()))
	}
	if !s.broken("probes.readiness") {
		mux.Handle("GET /readyz", s.slow("probes.readiness-latency", h.Handler()))
	}
	mux.Handle("GET /livez/{name}", h.Handler())
	mux.Handle("GET /readyz/{name}", h.Handler())
	mux.HandleFunc("GET /{$}", s.home)
	mux.HandleFunc("GET /items", s.list)
	mux.HandleFunc("POST /items", s.create)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, http.StatusNotFound, "no such page")
	})
	if s.broken("admin.no-pprof-public") {
		mux.HandleFunc("GET /debug/pprof/", pprof.Index)
	}
	if s.broken("admin.no-metrics-public") {
		mux.Handle("GET /metrics", m.Handler())
	}
	so := middleware.StackOptions{Logger: s.log, NoAccessLog: s.broken("logs.trace-id", "logs.requests")}
	if !s.broken("admin.metrics-per-route") {
		so.Metrics = m.Middleware
	}
	if s.broken("http.large-body", "limits.body-cap", "limits.chunked-body-cap") {
		so.MaxBodyBytes = -1
	}
	stack, err := middleware.Stack(so)
	if err != nil {
		return nil, err
	}
	out := s.outer(stack(mux))
	if s.broken("admin.metrics-cardinality") {
		byPath := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "good_requests_by_path_total", Help: "requests by raw path"}, []string{"path"})
		if err := m.Registry().Register(byPath); err != nil {
			return nil, err
		}
		next := out
		out = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			byPath.WithLabelValues(r.URL.Path).Inc()
			next.ServeHTTP(w, r)
		})
	}
	return out, nil
}

// outer holds the breaks that must act before the kit's stack.
func (s *service) outer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.broken("crash") && strings.HasPrefix(r.URL.Path, "/verify-") {
			s.log.Error("crashing on purpose", "path", r.URL.Path)
			os.Exit(2)
		}
		if s.broken("http.large-header") {
			for _, vs := range r.Header {
				for _, v := range vs {
					if len(v) > 512<<10 {
						http.Error(w, "header too large", http.StatusInternalServerError)
						return
					}
				}
			}
		}
		if s.broken("lifecycle.drain") && s.stopping.Load() {
			http.Error(w, "stopping", http.StatusInternalServerError)
			return
		}
		if s.broken("http.lint-root") && r.URL.Path == "/" ||
			s.broken("http.lint-api") && r.URL.Path == "/items" && r.Method == http.MethodGet {
			w.Header().Set("Access-Control-Allow-Origin", "*")
			w.Header().Set("Access-Control-Allow-Credentials", "true")
		}
		next.ServeHTTP(w, r)
	})
}

func (s *service) slow(id string, h http.Handler) http.Handler {
	if !s.broken(id) {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(700 * time.Millisecond)
		h.ServeHTTP(w, r)
	})
}

func (s *service) home(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	body := home
	if s.broken("logs.no-secret-in-responses") {
		body += "<!-- " + strings.Join(os.Environ(), " ") + " -->"
	}
	fmt.Fprint(w, body)
}

func (s *service) list(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	items := append([]string{}, s.items...)
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"items": items})
}

// fail answers an error as problem+json (or, broken, as text).
func (s *service) fail(w http.ResponseWriter, r *http.Request, status int, detail string) {
	if s.broken("http.no-stack-traces") {
		detail += "\n" + string(debug.Stack())
	}
	if s.broken("http.problem-json") {
		http.Error(w, detail, status)
		return
	}
	if s.broken("http.lint-404") && status == http.StatusNotFound || s.broken("http.lint-error") && status != http.StatusNotFound {
		w.Header().Set("Access-Control-Allow-Origin", "*")
		w.Header().Set("Access-Control-Allow-Credentials", "true")
	}
	problem.Write(w, r, &problem.Details{Status: status, Detail: detail})
}

func (s *service) create(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return // Limit answers 413
	}
	if err != nil {
		s.fail(w, r, http.StatusBadRequest, "reading the body: "+err.Error())
		return
	}
	if len(body) > 5<<20 && s.broken("http.large-body") {
		http.Error(w, "out of memory", http.StatusInternalServerError)
		return
	}
	name, status, detail := s.decode(r, body)
	if status != 0 {
		s.fail(w, r, status, detail)
		return
	}
	s.mu.Lock()
	s.items = append(s.items, name)
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusCreated)
	json.NewEncoder(w).Encode(map[string]string{"name": name})
}

// decode reads name from JSON or a form; a status of 0 means valid.
func (s *service) decode(r *http.Request, body []byte) (string, int, string) {
	var name string
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		if s.broken("http.hostile-json") && (!utf8.Valid(body) || strings.ContainsRune(string(body), 0)) {
			return "", http.StatusInternalServerError, "internal error"
		}
		var in struct {
			Name string `json:"name"`
		}
		if err := json.Unmarshal(body, &in); err != nil {
			return "", http.StatusBadRequest, "body is not JSON"
		}
		name = in.Name
	} else {
		vals, err := parseForm(body)
		if err != nil {
			return "", http.StatusBadRequest, "body is not a form"
		}
		name = vals
		if s.broken("http.hostile-form") && !utf8.ValidString(name) {
			return "", http.StatusInternalServerError, "internal error"
		}
	}
	if !utf8.ValidString(name) || strings.ContainsFunc(name, func(r rune) bool { return r < 0x20 || r == utf8.RuneError }) {
		return "", http.StatusUnprocessableEntity, "name must be UTF-8 text without control characters"
	}
	if name == "" {
		return "", http.StatusUnprocessableEntity, "name is required"
	}
	return name, 0, ""
}

func parseForm(body []byte) (string, error) {
	q, err := url.ParseQuery(string(body))
	if err != nil {
		return "", err
	}
	return q.Get("name"), nil
}

func (s *service) adminHandler(h *health.Health, m *metrics.Metrics) http.Handler {
	o := admin.Options{Metrics: m.Handler(), Health: h.DetailedHandler(), Config: map[string]any{"profile": os.Getenv("GOLOCAL_PROFILE"), "api_token": "[redacted]"}}
	if s.broken("logs.no-secret-in-debug") {
		o.Config = map[string]any{"env": os.Environ()}
	}
	if s.broken("admin.metrics-parse") {
		o.Metrics = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintln(w, "# TYPE broken counter\nbroken{a=\"1\" 1 2 3")
		})
	}
	// FAKE_BUILDINFO lets the tests audit build settings this machine's
	// builds cannot have (an old Go, -race, no -trimpath, a VCS stamp).
	switch os.Getenv("FAKE_BUILDINFO") {
	case "bad":
		o.BuildInfo = func() (*debug.BuildInfo, bool) {
			return &debug.BuildInfo{GoVersion: "go1.19.13", Path: "good", Settings: []debug.BuildSetting{{Key: "-race", Value: "true"}}}, true
		}
	case "good":
		o.BuildInfo = func() (*debug.BuildInfo, bool) {
			return &debug.BuildInfo{GoVersion: runtime.Version(), Path: "good", Settings: []debug.BuildSetting{{Key: "-trimpath", Value: "true"}, {Key: "vcs.revision", Value: "0123456789abcdef"}}}, true
		}
	}
	a := admin.New(o)
	if s.broken("http.admin-host") {
		// An admin surface that ignores the Host header: every request is
		// treated as if it named the loopback address (the kit's own check
		// is passed, as a hand-rolled admin mux would skip it).
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			r.Host = "127.0.0.1"
			a.ServeHTTP(w, r)
		})
	}
	return hostCheck(a)
}

// hostCheck refuses Host names other than loopback addresses and
// localhost (DNS rebinding).
func hostCheck(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host := r.Host
		if h, _, err := net.SplitHostPort(host); err == nil {
			host = h
		}
		ip := net.ParseIP(strings.Trim(host, "[]"))
		if host != "localhost" && (ip == nil || !ip.IsLoopback() && !ip.IsUnspecified()) {
			http.Error(w, "forbidden host", http.StatusForbidden)
			return
		}
		next.ServeHTTP(w, r)
	})
}

func (s *service) extraMetrics(m *metrics.Metrics) error {
	if s.broken("logs.no-secret-in-metrics") {
		g := prometheus.NewGauge(prometheus.GaugeOpts{Name: "good_config", Help: "config", ConstLabels: prometheus.Labels{"env": strings.Join(os.Environ(), " ")}})
		g.Set(1)
		return m.Registry().Register(g)
	}
	return nil
}

// limitListener caps concurrent connections (the limits.slowloris-latency break).
type limitListener struct {
	net.Listener
	sem chan struct{}
}

func (l *limitListener) Accept() (net.Conn, error) {
	l.sem <- struct{}{}
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.sem
		return nil, err
	}
	return &limitConn{Conn: c, release: func() { <-l.sem }}, nil
}

type limitConn struct {
	net.Conn
	release func()
	once    sync.Once
}

func (c *limitConn) Close() error {
	c.once.Do(c.release)
	return c.Conn.Close()
}
