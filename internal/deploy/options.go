package deploy

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"k8s.io/apimachinery/pkg/api/resource"
)

// Overlay is one environment of the kustomize tree, named after a profile
// of package config (dev, staging, prod).
type Overlay struct {
	// Name is the overlay folder and the GOLOCAL_PROFILE the pods get.
	Name string
	// Replicas is the Deployment's replicas and the autoscaler's minimum;
	// MaxReplicas its maximum.
	Replicas, MaxReplicas int32
	// CPURequest, MemoryRequest and MemoryLimit size the container;
	// GOMEMLIMIT follows MemoryLimit through the downward API.
	CPURequest, MemoryRequest, MemoryLimit string
}

// DefaultOverlays are the overlays written when none are chosen.
var DefaultOverlays = []Overlay{
	{Name: "dev", Replicas: 1, MaxReplicas: 2, CPURequest: "50m", MemoryRequest: "64Mi", MemoryLimit: "128Mi"},
	{Name: "staging", Replicas: 2, MaxReplicas: 4, CPURequest: "100m", MemoryRequest: "128Mi", MemoryLimit: "256Mi"},
	{Name: "prod", Replicas: 3, MaxReplicas: 10, CPURequest: "250m", MemoryRequest: "256Mi", MemoryLimit: "512Mi"},
}

// Options say what to generate. Name and Facts are required.
type Options struct {
	// Name names every object and is the app.kubernetes.io/name label.
	Name string
	// Image is the container image (default Name; overlays may set
	// kustomize images).
	Image string
	// AppPort is the container port the service listens on, given to it
	// as PORT (default 8080).
	AppPort int32
	// Facts are the service's facts (see [Discover], [ReadFacts]).
	Facts Facts
	// Overlays are the environments (default [DefaultOverlays]).
	Overlays []Overlay
	// GraceMargin is added to the measured SIGTERM→exit time to make
	// terminationGracePeriodSeconds (default 10 s).
	GraceMargin time.Duration
	// MonitoringNamespace is where Prometheus runs: the only namespace the
	// NetworkPolicy lets reach the admin port (default monitoring).
	MonitoringNamespace string
	// SLO are the objectives the alert rules defend (default
	// availability=99.9,latency=300ms@p99).
	SLO SLO
	// Policy, when set, adds a ClusterImagePolicy to the prod overlay.
	Policy *ImagePolicy
}

var dnsLabel = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)

// OverlayNames lists the names of the default overlays.
func OverlayNames() []string {
	names := make([]string, len(DefaultOverlays))
	for i, o := range DefaultOverlays {
		names[i] = o.Name
	}
	return names
}

// SelectOverlays returns the default overlays named, in the order given,
// or an error naming an unknown one.
func SelectOverlays(names []string) ([]Overlay, error) {
	var out []Overlay
	for _, n := range names {
		i := slices.IndexFunc(DefaultOverlays, func(o Overlay) bool { return o.Name == n })
		if i < 0 {
			return nil, fmt.Errorf("unknown overlay %q: the overlays are the config profiles %s", n, strings.Join(OverlayNames(), ", "))
		}
		out = append(out, DefaultOverlays[i])
	}
	return out, nil
}

// normalise fills defaults and rejects what cannot be written.
func (o *Options) normalise() error {
	if !dnsLabel.MatchString(o.Name) || len(o.Name) > 40 {
		return fmt.Errorf("name %q is not a Kubernetes name: use lower-case letters, digits and '-', at most 40 characters (for example %q)", o.Name, suggestName(o.Name))
	}
	if o.Image == "" {
		o.Image = o.Name
	}
	if o.AppPort == 0 {
		o.AppPort = 8080
	}
	if o.AppPort < 1 || o.AppPort > 65535 {
		return fmt.Errorf("app port %d is not 1-65535", o.AppPort)
	}
	if o.Overlays == nil {
		o.Overlays = DefaultOverlays
	}
	for _, ov := range o.Overlays {
		if err := ov.check(); err != nil {
			return err
		}
	}
	if o.GraceMargin == 0 {
		o.GraceMargin = 10 * time.Second
	}
	if o.GraceMargin < 0 {
		return fmt.Errorf("grace margin %v is negative", o.GraceMargin)
	}
	if o.MonitoringNamespace == "" {
		o.MonitoringNamespace = "monitoring"
	}
	if o.SLO == (SLO{}) {
		o.SLO = DefaultSLO
	}
	if o.Policy != nil {
		return o.Policy.check()
	}
	return nil
}

func (ov Overlay) check() error {
	if !dnsLabel.MatchString(ov.Name) {
		return fmt.Errorf("overlay name %q is not a folder-safe name", ov.Name)
	}
	if ov.Replicas < 1 || ov.MaxReplicas < ov.Replicas {
		return fmt.Errorf("overlay %s: replicas %d..%d: want 1 ≤ replicas ≤ max replicas", ov.Name, ov.Replicas, ov.MaxReplicas)
	}
	for _, q := range []string{ov.CPURequest, ov.MemoryRequest, ov.MemoryLimit} {
		if _, err := resource.ParseQuantity(q); err != nil {
			return fmt.Errorf("overlay %s: %q is not a Kubernetes quantity (like 250m or 512Mi)", ov.Name, q)
		}
	}
	return nil
}

func suggestName(s string) string {
	s = strings.ToLower(s)
	s = regexp.MustCompile(`[^a-z0-9-]+`).ReplaceAllString(s, "-")
	s = strings.Trim(s, "-")
	if s == "" {
		return "my-service"
	}
	if len(s) > 40 {
		s = strings.TrimRight(s[:40], "-")
	}
	return s
}
