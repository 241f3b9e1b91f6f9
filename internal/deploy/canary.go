package deploy

import (
	"fmt"
	"net/http"
	"path"
	"strings"

	istioapi "istio.io/api/networking/v1"
	istionet "istio.io/client-go/pkg/apis/networking/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// Canary says how to route a canary: requests carrying Header: Value go
// to it, and Weight percent of the others.
type Canary struct {
	// Header and Value colour requests for the canary
	// (X-Env-Version: v2-canary); Value is also its version label.
	Header, Value string
	// Weight is the percentage of uncoloured requests it gets (0-100).
	Weight int32
	// Overlay is the environment the canary runs beside (default prod).
	Overlay string
}

// ParseCanaryHeader reads NAME=VALUE, checking that NAME is an HTTP
// header name and VALUE can be a Kubernetes label value.
func ParseCanaryHeader(s string) (name, value string, err error) {
	name, value, ok := strings.Cut(s, "=")
	name, value = strings.TrimSpace(name), strings.TrimSpace(value)
	if !ok || name == "" || value == "" {
		return "", "", fmt.Errorf("--header %q: want NAME=VALUE, e.g. X-Env-Version=v2-canary", s)
	}
	if !validHeaderName(name) {
		return "", "", fmt.Errorf("--header: %q is not an HTTP header name (letters, digits and !#$%%&'*+-.^_`|~)", name)
	}
	if errs := validation.IsValidLabelValue(value); len(errs) > 0 || value == StableVersion {
		return "", "", fmt.Errorf("--header: value %q becomes the canary's version label, so it must be a Kubernetes label value other than %q: %s", value, StableVersion, strings.Join(append(errs, "at most 63 letters, digits, '-', '_' or '.'"), "; "))
	}
	return http.CanonicalHeaderKey(name), value, nil
}

func validHeaderName(s string) bool {
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("!#$%&'*+-.^_`|~", r)) {
			return false
		}
	}
	return s != "" && len(s) <= 256
}

func (c *Canary) check() error {
	if _, _, err := ParseCanaryHeader(c.Header + "=" + c.Value); err != nil {
		return err
	}
	if c.Weight < 0 || c.Weight > 100 {
		return fmt.Errorf("--weight %d: a percentage from 0 to 100", c.Weight)
	}
	if c.Overlay == "" {
		c.Overlay = "prod"
	}
	return nil
}

func (p *plan) canaryName() string { return p.Name + "-canary" }

// canaryDeployment is the base Deployment with the canary's version label,
// one replica, and no autoscaler.
func (p *plan) canaryDeployment(c Canary) any {
	d := p.deployment(p.canaryName(), c.Value)
	d.Spec.Replicas = ptr(int32(1))
	return d
}

// virtualService sends coloured requests to the canary and Weight percent
// of the rest (Istio matches lower-case header names).
func (p *plan) virtualService(c Canary) *istionet.VirtualService {
	vs := &istionet.VirtualService{TypeMeta: typeMeta("networking.istio.io/v1", "VirtualService"), ObjectMeta: p.meta(p.Name)}
	dest := func(host string, w int32) *istioapi.HTTPRouteDestination {
		return &istioapi.HTTPRouteDestination{Destination: &istioapi.Destination{Host: host}, Weight: w}
	}
	vs.Spec.Hosts = []string{p.Name}
	vs.Spec.Http = []*istioapi.HTTPRoute{
		{
			Name:  "coloured-to-canary",
			Match: []*istioapi.HTTPMatchRequest{{Headers: map[string]*istioapi.StringMatch{strings.ToLower(c.Header): {MatchType: &istioapi.StringMatch_Exact{Exact: c.Value}}}}},
			Route: []*istioapi.HTTPRouteDestination{dest(p.canaryName(), 100)},
		},
		{Name: "weighted", Route: []*istioapi.HTTPRouteDestination{dest(p.Name, 100-c.Weight), dest(p.canaryName(), c.Weight)}},
	}
	return vs
}

// httpRoute is the same routing for the Gateway API, attached to the
// Service itself (the GAMMA mesh pattern).
func (p *plan) httpRoute(c Canary) *gwv1.HTTPRoute {
	port := gwv1.PortNumber(80)
	backend := func(name string, w int32) gwv1.HTTPBackendRef {
		return gwv1.HTTPBackendRef{BackendRef: gwv1.BackendRef{
			BackendObjectReference: gwv1.BackendObjectReference{Name: gwv1.ObjectName(name), Port: &port},
			Weight:                 ptr(w),
		}}
	}
	exact := gwv1.HeaderMatchExact
	r := &gwv1.HTTPRoute{TypeMeta: typeMeta("gateway.networking.k8s.io/v1", "HTTPRoute"), ObjectMeta: p.meta(p.Name)}
	r.Spec.ParentRefs = []gwv1.ParentReference{{Group: ptr(gwv1.Group("")), Kind: ptr(gwv1.Kind("Service")), Name: gwv1.ObjectName(p.Name), Port: &port}}
	r.Spec.Rules = []gwv1.HTTPRouteRule{
		{
			Matches:     []gwv1.HTTPRouteMatch{{Headers: []gwv1.HTTPHeaderMatch{{Type: &exact, Name: gwv1.HTTPHeaderName(c.Header), Value: c.Value}}}},
			BackendRefs: []gwv1.HTTPBackendRef{backend(p.canaryName(), 1)},
		},
		{BackendRefs: []gwv1.HTTPBackendRef{backend(p.Name, 100-c.Weight), backend(p.canaryName(), c.Weight)}},
	}
	return r
}

// canaryDir is the folder [GenerateCanary] writes.
const canaryDir = "overlays/canary/"

// CanaryOwns are the folders [GenerateCanary] writes.
var CanaryOwns = []string{canaryDir}

// GenerateCanary builds overlays/canary: the chosen overlay plus a canary
// Deployment and Service (version label c.Value), an Istio
// VirtualService and a Gateway API HTTPRoute that send requests carrying
// the header to the canary and c.Weight percent of the others.
func GenerateCanary(opts Options, c Canary) (Tree, error) {
	if err := opts.normalise(); err != nil {
		return nil, err
	}
	if err := c.check(); err != nil {
		return nil, err
	}
	if _, err := SelectOverlays([]string{c.Overlay}); err != nil {
		return nil, err
	}
	sf, err := checkFacts(opts.Facts)
	if err != nil {
		return nil, err
	}
	p := &plan{Options: opts, facts: sf}
	t := Tree{}
	files := []struct {
		name string
		obj  any
	}{
		{"deployment.yaml", p.canaryDeployment(c)},
		{"service.yaml", p.service(p.canaryName(), c.Value)},
		{"virtualservice.yaml", p.virtualService(c)},
		{"httproute.yaml", p.httpRoute(c)},
	}
	k := newKustomization("Kustomization")
	k.Resources = []string{path.Join("..", c.Overlay)}
	for _, f := range files {
		if err := t.put(canaryDir+f.name, f.obj); err != nil {
			return nil, err
		}
		k.Resources = append(k.Resources, f.name)
	}
	t[canaryDir+"deployment.yaml"] = commentBefore(t[canaryDir+"deployment.yaml"], "terminationGracePeriodSeconds:", p.grace().How)
	return t, t.put(canaryDir+"kustomization.yaml", k)
}
