package deploy

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"

	"github.com/golocal/golocal/internal/verify"
)

// Facts are what the generator knows about the service. They come from
// `golocal verify`'s discovery ([Discover]) or from a saved `golocal verify
// --json` report ([ReadFacts]), never from a template.
type Facts = verify.Facts

// Discover runs verify's discovery against the main package opts describe
// (the lifecycle, probes and admin areas: probe paths, ports, the measured
// SIGTERM→exit drain and lame duck, the metric names) and returns its facts.
func Discover(ctx context.Context, opts verify.Options) (Facts, error) {
	opts.Selection = verify.Selection{Only: []string{string(verify.Lifecycle), string(verify.Probes), string(verify.Admin)}}
	rep, err := verify.Run(ctx, opts)
	if err != nil {
		return Facts{}, err
	}
	return rep.Facts, nil
}

// ReadFacts reads facts from a file written by `golocal verify --json`
// (the whole report) or holding only its "facts" object.
func ReadFacts(path string) (Facts, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Facts{}, fmt.Errorf("reading facts: %w; write them with golocal verify PKG --json > %s", err, path)
	}
	f, err := ParseFacts(b)
	if err != nil {
		return Facts{}, fmt.Errorf("%s: %w", path, err)
	}
	return f, nil
}

// ParseFacts decodes a verify report or a bare facts object. Unknown
// fields are ignored (the schema promises only additions).
func ParseFacts(b []byte) (Facts, error) {
	var probe struct {
		SchemaVersion *int            `json:"schema_version"`
		Facts         json.RawMessage `json:"facts"`
	}
	if err := json.Unmarshal(b, &probe); err != nil {
		return Facts{}, fmt.Errorf("not a golocal verify --json report or facts object: %v", err)
	}
	raw := json.RawMessage(b)
	if probe.SchemaVersion != nil {
		if *probe.SchemaVersion != verify.SchemaVersion {
			return Facts{}, fmt.Errorf("verify report schema_version %d; this golocal reads %d: rerun golocal verify --json", *probe.SchemaVersion, verify.SchemaVersion)
		}
		if len(bytes.TrimSpace(probe.Facts)) == 0 || string(probe.Facts) == "null" {
			return Facts{}, errors.New(`the report has no "facts" object: rerun golocal verify --json`)
		}
		raw = probe.Facts
	}
	var f Facts
	if err := json.Unmarshal(raw, &f); err != nil {
		return Facts{}, fmt.Errorf("facts: %v", err)
	}
	return f, nil
}

// maxDrainSeconds bounds a believable SIGTERM→exit time.
const maxDrainSeconds = 3600

// ServiceFacts are the facts the manifests use, checked and normalised.
type ServiceFacts struct {
	// LivenessPath and ReadinessPath are the probe paths on the app port.
	LivenessPath, ReadinessPath string
	// AdminPort is the admin listener's port, 0 without one.
	AdminPort int
	// MetricsPath is scraped on the admin port ("" without metrics).
	MetricsPath string
	// DrainSeconds is the measured SIGTERM→exit; LameDuckSeconds the part
	// of it spent answering 503 on readiness before the listener closed.
	DrainSeconds, LameDuckSeconds float64
	// RequiredSecrets are the variables the service refuses to start without.
	RequiredSecrets []string
	// MetricNames are the metric families the service exposes.
	MetricNames []string
	// Routes are the paths verify exercised.
	Routes []string
}

// MissingProbesError says which probes cannot be written and why; the
// generator writes nothing rather than a guess.
type MissingProbesError struct {
	Reasons []string
}

func (e *MissingProbesError) Error() string {
	return "cannot write the probes, so no manifests were written:\n  - " + strings.Join(e.Reasons, "\n  - ") +
		"\nadd health endpoints (package health: /livez and /readyz on the public handler) and run golocal verify again"
}

// checkFacts turns verify's facts into [ServiceFacts], or explains which
// probes cannot be written.
func checkFacts(f Facts) (ServiceFacts, error) {
	var reasons []string
	if !validProbePath(f.LivenessPath) {
		reasons = append(reasons, "liveness and startup probes: no liveness path answered 200 (verify tried /livez, /healthz, /health, …)")
	}
	if !validProbePath(f.ReadinessPath) {
		reasons = append(reasons, "readiness probe: no readiness path answered 200 (verify tried /readyz, /ready, …)")
	}
	if f.DrainSeconds == nil || *f.DrainSeconds < 0 || math.IsNaN(*f.DrainSeconds) || math.IsInf(*f.DrainSeconds, 0) {
		reasons = append(reasons, "terminationGracePeriodSeconds: the SIGTERM→exit drain was not measured (run verify in process mode, not with --url)")
	} else if *f.DrainSeconds > maxDrainSeconds {
		reasons = append(reasons, fmt.Sprintf("terminationGracePeriodSeconds: the measured SIGTERM→exit of %.0fs is over an hour; fix the service's shutdown (lame duck, grace) before deploying it", *f.DrainSeconds))
	}
	if len(reasons) > 0 {
		return ServiceFacts{}, &MissingProbesError{Reasons: reasons}
	}
	sf := ServiceFacts{
		LivenessPath:    f.LivenessPath,
		ReadinessPath:   f.ReadinessPath,
		MetricsPath:     f.MetricsPath,
		DrainSeconds:    *f.DrainSeconds,
		RequiredSecrets: f.RequiredSecrets,
		MetricNames:     f.MetricNames,
		Routes:          f.Routes,
	}
	if f.ReadinessLeadSeconds != nil && *f.ReadinessLeadSeconds > 0 && *f.ReadinessLeadSeconds <= sf.DrainSeconds {
		sf.LameDuckSeconds = *f.ReadinessLeadSeconds
	}
	if f.AdminURL != "" {
		port, err := urlPort(f.AdminURL)
		if err != nil {
			return ServiceFacts{}, fmt.Errorf("facts: admin_url: %w", err)
		}
		sf.AdminPort = port
	}
	return sf, nil
}

// validProbePath accepts an absolute path without query, fragment or
// spaces: what a kubelet httpGet probe can request.
func validProbePath(p string) bool {
	return strings.HasPrefix(p, "/") && !strings.ContainsAny(p, "?# \t\r\n") && len(p) < 256
}

func urlPort(raw string) (int, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return 0, fmt.Errorf("%q is not a URL: %v", raw, err)
	}
	_, p, err := net.SplitHostPort(u.Host)
	if err != nil {
		return 0, fmt.Errorf("%q has no port", raw)
	}
	n, err := strconv.Atoi(p)
	if err != nil || n < 1 || n > 65535 {
		return 0, fmt.Errorf("%q: port %q is not 1-65535", raw, p)
	}
	return n, nil
}

// Notes are things about the facts the manifests cannot fix by
// themselves, for the command to print.
func Notes(f Facts) []string {
	var notes []string
	if f.AdminURL != "" {
		if u, err := url.Parse(f.AdminURL); err == nil {
			if ip := net.ParseIP(u.Hostname()); (ip != nil && ip.IsLoopback()) || u.Hostname() == "localhost" {
				notes = append(notes, fmt.Sprintf("the admin listener (%s) is bound to loopback, so Prometheus in another pod cannot scrape it through the ServiceMonitor: in the cluster bind it on the pod's address (serve.Admin.AllowNonLoopback with admin.Options.AllowNonLoopback); the NetworkPolicy admits only the monitoring namespace to it", f.AdminURL))
			}
		}
	}
	if f.AdminURL == "" || f.MetricsPath == "" {
		notes = append(notes, "no admin /metrics was found, so no ServiceMonitor was written and the alerts will see no data")
	}
	return notes
}
