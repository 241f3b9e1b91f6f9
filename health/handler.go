package health

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Paths served by [Health.Handler], as [http.ServeMux] patterns.
var patterns = []string{
	"GET /livez", "GET /livez/{name}",
	"GET /readyz", "GET /readyz/{name}",
	"GET /health", "GET /health/{group}",
}

// Handler serves the probes with reasons withheld, like the Kubernetes API
// server's unauthenticated endpoints: failing checks print
// "[-]name failed: reason withheld" and JSON carries status and duration
// but no error text or details, because error messages leak internals
// (host names, SQL, file paths) to whoever can reach the port. Serve
// [Health.DetailedHandler] on the admin listener for the reasons.
//
// Paths (GET and HEAD; a mux that mounts this handler must route them here,
// see [Health.Register]):
//
//	/livez             all liveness checks        ("livez check passed")
//	/livez/<name>      one liveness check
//	/readyz            all readiness checks       ("readyz check passed")
//	/readyz/<name>     one readiness check
//	/health            every check, both kinds    (Actuator's /health)
//	/health/<group>    the checks of one group    (Actuator's health groups)
//
// Query parameters, as in Kubernetes: ?verbose lists every check even on
// success; ?exclude=name (repeatable) skips a check, reported as
// "[+]name excluded: ok", and names that match no check produce a
// "warn: some health checks cannot be excluded: no matches for ..." line.
//
// Status: 200 when every included check passes, 503 otherwise (Kubernetes
// answers 500; 503 Service Unavailable is what load balancers and the
// issue that specified this package expect, and both are "not ok" to a
// kubelet). Machines should read only the status code.
//
// A request whose Accept header prefers application/json over text/plain
// gets a JSON body: {"status":"up"|"down","checks":[{"name","status",
// "durationMs","checkedAt"}],"warnings":[...]}.
func (h *Health) Handler() http.Handler { return h.handler(false) }

// DetailedHandler is [Health.Handler] with reasons: failing lines read
// "[-]name failed: <error>" (exactly the Kubernetes log format), per-check
// paths answer "internal server error: <error>" as Kubernetes does, and
// JSON carries "error" and "details". Mount it on the admin listener or
// behind authentication.
func (h *Health) DetailedHandler() http.Handler { return h.handler(true) }

// Register mounts [Health.Handler] on mux at the paths listed there, so
// that the mux (and metrics reading r.Pattern) sees each route.
func (h *Health) Register(mux *http.ServeMux) {
	hh := h.handler(false)
	for _, p := range patterns {
		mux.Handle(p, hh)
	}
}

func (h *Health) handler(detailed bool) http.Handler {
	mux := http.NewServeMux()
	s := &server{h: h, detailed: detailed}
	mux.HandleFunc("GET /livez", func(w http.ResponseWriter, r *http.Request) {
		s.aggregate(w, r, "livez", h.ofKind(Liveness))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		s.aggregate(w, r, "readyz", h.ofKind(Readiness))
	})
	mux.HandleFunc("GET /livez/{name}", func(w http.ResponseWriter, r *http.Request) {
		s.single(w, r, Liveness, r.PathValue("name"))
	})
	mux.HandleFunc("GET /readyz/{name}", func(w http.ResponseWriter, r *http.Request) {
		s.single(w, r, Readiness, r.PathValue("name"))
	})
	mux.HandleFunc("GET /health", func(w http.ResponseWriter, r *http.Request) {
		s.aggregate(w, r, "health", h.all())
	})
	mux.HandleFunc("GET /health/{group}", func(w http.ResponseWriter, r *http.Request) {
		name := r.PathValue("group")
		checks, ok := h.group(name)
		if !ok {
			s.notFound(w, r, fmt.Sprintf("no health group named %q; groups: %s", name, listOrNone(h.groupNames())))
			return
		}
		s.aggregate(w, r, name, checks)
	})
	return mux
}

type server struct {
	h        *Health
	detailed bool
}

// checkJSON is one check in a JSON response.
type checkJSON struct {
	Name       string    `json:"name"`
	Status     string    `json:"status"` // "up", "down" or "excluded"
	Error      string    `json:"error,omitempty"`
	DurationMs float64   `json:"durationMs"`
	CheckedAt  time.Time `json:"checkedAt,omitzero"`
	Details    Details   `json:"details,omitempty"`
}

// reportJSON is a JSON response.
type reportJSON struct {
	Status   string      `json:"status"` // "up" or "down"
	Checks   []checkJSON `json:"checks"`
	Warnings []string    `json:"warnings,omitempty"`
}

const (
	statusUp       = "up"
	statusDown     = "down"
	statusExcluded = "excluded"
)

// probeCtx is a backstop for a probe waiting on a check's very first run;
// that wait is normally bounded by the check's own Timeout.
func probeCtx(r *http.Request) (context.Context, context.CancelFunc) {
	return context.WithTimeout(r.Context(), 30*time.Second)
}

func (s *server) aggregate(w http.ResponseWriter, r *http.Request, name string, checks []*check) {
	ctx, cancel := probeCtx(r)
	defer cancel()
	query := r.URL.Query()
	excluded := map[string]bool{}
	for _, e := range query["exclude"] {
		excluded[e] = true
	}
	var text bytes.Buffer
	report := reportJSON{Status: statusUp, Checks: make([]checkJSON, 0, len(checks))}
	failed := false
	for _, c := range checks {
		if excluded[c.Name] {
			delete(excluded, c.Name)
			fmt.Fprintf(&text, "[+]%s excluded: ok\n", c.Name)
			report.Checks = append(report.Checks, checkJSON{Name: c.Name, Status: statusExcluded})
			continue
		}
		res := c.result(ctx)
		cj := checkJSON{Name: c.Name, Status: statusUp, DurationMs: ms(res.Duration), CheckedAt: res.At.UTC()}
		if s.detailed {
			cj.Details = res.Details
		}
		if res.Err != nil {
			failed = true
			cj.Status = statusDown
			if s.detailed {
				cj.Error = res.Err.Error()
				fmt.Fprintf(&text, "[-]%s failed: %s\n", c.Name, oneLine(res.Err.Error()))
			} else {
				fmt.Fprintf(&text, "[-]%s failed: reason withheld\n", c.Name)
			}
		} else {
			fmt.Fprintf(&text, "[+]%s ok\n", c.Name)
		}
		report.Checks = append(report.Checks, cj)
	}
	if len(excluded) > 0 {
		names := make([]string, 0, len(excluded))
		for n := range excluded {
			names = append(names, n)
		}
		sort.Strings(names)
		quoted := make([]string, len(names))
		for i, n := range names {
			quoted[i] = strconv.Quote(n)
		}
		warn := "some health checks cannot be excluded: no matches for " + strings.Join(quoted, ",")
		fmt.Fprintf(&text, "warn: %s\n", warn)
		report.Warnings = append(report.Warnings, warn)
	}
	status := http.StatusOK
	if failed {
		status = http.StatusServiceUnavailable
		report.Status = statusDown
	}
	if WantsJSON(r.Header.Values("Accept")) {
		writeJSON(w, status, report)
		return
	}
	setTextHeaders(w)
	w.WriteHeader(status)
	switch {
	case failed:
		// Always verbose on failure, as Kubernetes is; http.Error's
		// trailing newline included.
		text.WriteString(name + " check failed\n")
		w.Write(text.Bytes())
	case query.Has("verbose"):
		text.WriteString(name + " check passed\n")
		w.Write(text.Bytes())
	default:
		w.Write([]byte("ok"))
	}
}

func (s *server) single(w http.ResponseWriter, r *http.Request, k Kind, name string) {
	c, ok := s.h.lookup(name)
	if !ok || c.Kind != k {
		msg := fmt.Sprintf("no %s check named %q", k, name)
		if ok {
			msg += fmt.Sprintf("; %q is a %s check", name, c.Kind)
		}
		s.notFound(w, r, msg)
		return
	}
	ctx, cancel := probeCtx(r)
	defer cancel()
	res := c.result(ctx)
	cj := checkJSON{Name: c.Name, Status: statusUp, DurationMs: ms(res.Duration), CheckedAt: res.At.UTC()}
	if s.detailed {
		cj.Details = res.Details
	}
	status := http.StatusOK
	reason := "reason withheld"
	if res.Err != nil {
		status = http.StatusServiceUnavailable
		cj.Status = statusDown
		if s.detailed {
			cj.Error = res.Err.Error()
			reason = oneLine(res.Err.Error())
		}
	}
	if WantsJSON(r.Header.Values("Accept")) {
		st := statusUp
		if res.Err != nil {
			st = statusDown
		}
		writeJSON(w, status, reportJSON{Status: st, Checks: []checkJSON{cj}})
		return
	}
	setTextHeaders(w)
	w.WriteHeader(status)
	if res.Err != nil {
		fmt.Fprintf(w, "internal server error: %s\n", reason)
		return
	}
	w.Write([]byte("ok"))
}

func (s *server) notFound(w http.ResponseWriter, r *http.Request, msg string) {
	if WantsJSON(r.Header.Values("Accept")) {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": msg})
		return
	}
	setTextHeaders(w)
	w.WriteHeader(http.StatusNotFound)
	fmt.Fprintln(w, msg)
}

func setTextHeaders(w http.ResponseWriter) {
	hd := w.Header()
	hd.Set("Content-Type", "text/plain; charset=utf-8")
	hd.Set("X-Content-Type-Options", "nosniff")
	// A cached probe answer is a wrong answer.
	hd.Set("Cache-Control", "no-store")
	hd.Add("Vary", "Accept")
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		// Only Details can fail to encode; say so instead of a blank 500.
		status = http.StatusInternalServerError
		body, _ = json.Marshal(map[string]string{"status": statusDown, "error": "health: encoding check details as JSON: " + err.Error()})
	}
	hd := w.Header()
	hd.Set("Content-Type", "application/json")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Cache-Control", "no-store")
	hd.Add("Vary", "Accept")
	w.WriteHeader(status)
	w.Write(append(body, '\n'))
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// oneLine keeps an error on its line in the line-oriented text format.
func oneLine(s string) string {
	return strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ").Replace(s)
}

func listOrNone(names []string) string {
	if len(names) == 0 {
		return "(none defined)"
	}
	return strings.Join(names, ", ")
}
