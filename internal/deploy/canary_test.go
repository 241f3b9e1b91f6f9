package deploy

import (
	"path/filepath"
	"strings"
	"testing"

	istionet "istio.io/client-go/pkg/apis/networking/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"
	"sigs.k8s.io/yaml"
)

var testCanary = Canary{Header: "X-Env-Version", Value: "v2-canary", Weight: 5}

func canaryTree(t *testing.T) Tree {
	t.Helper()
	tree, err := GenerateCanary(Options{Name: "orders", Facts: testFacts(t)}, testCanary)
	if err != nil {
		t.Fatal(err)
	}
	return tree
}

func TestCanaryRoutesColouredRequests(t *testing.T) {
	tree := canaryTree(t)
	objs := map[string][]any{}
	for _, p := range tree.Paths() {
		for k, v := range decodeStrict(t, p, tree[p]) {
			objs[k] = append(objs[k], v...)
		}
	}
	d := objs["Deployment"][0].(*appsv1.Deployment)
	if d.Name != "orders-canary" || d.Spec.Template.Labels[LabelVersion] != "v2-canary" || *d.Spec.Replicas != 1 {
		t.Errorf("canary Deployment %s labels %v", d.Name, d.Spec.Template.Labels)
	}
	if svc := objs["Service"][0].(*corev1.Service); svc.Spec.Selector[LabelVersion] != "v2-canary" {
		t.Errorf("canary Service selects %v", svc.Spec.Selector)
	}
	vs := objs["VirtualService"][0].(*strictVirtualService)
	first, rest := vs.Spec.Http[0], vs.Spec.Http[1]
	if m := first.Match[0].Headers["x-env-version"]; m == nil || m.GetExact() != "v2-canary" || first.Route[0].Destination.Host != "orders-canary" {
		t.Errorf("VirtualService header route: %v", first)
	}
	if rest.Route[0].Weight != 95 || rest.Route[1].Weight != 5 || rest.Route[1].Destination.Host != "orders-canary" {
		t.Errorf("VirtualService weights: %v", rest)
	}
	hr := objs["HTTPRoute"][0].(*gwv1.HTTPRoute)
	h := hr.Spec.Rules[0].Matches[0].Headers[0]
	if string(h.Name) != "X-Env-Version" || h.Value != "v2-canary" || hr.Spec.Rules[0].BackendRefs[0].Name != "orders-canary" {
		t.Errorf("HTTPRoute header rule: %+v", hr.Spec.Rules[0])
	}
	if w := hr.Spec.Rules[1].BackendRefs; *w[0].Weight != 95 || *w[1].Weight != 5 {
		t.Errorf("HTTPRoute weights: %+v", w)
	}
}

func TestIstioStrictDecodingRejectsUnknownFields(t *testing.T) {
	doc := []byte("apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n  name: x\nspec:\n  hosts: [x]\n  htpp: []\n")
	var lax istionet.VirtualService
	if err := yaml.UnmarshalStrict(doc, &lax); err != nil {
		t.Logf("Istio's own decoder now rejects unknown fields too: %v", err)
	}
	var strict strictVirtualService
	if err := yaml.UnmarshalStrict(doc, &strict); err == nil || !strings.Contains(err.Error(), "htpp") {
		t.Fatalf("an unknown VirtualService field decoded: %v", err)
	}
}

func TestCanaryBadInput(t *testing.T) {
	for _, c := range []struct {
		header, want string
	}{
		{"X-Env-Version", "NAME=VALUE"},
		{"=v2", "NAME=VALUE"},
		{"X Env=v2", "not an HTTP header name"},
		{"X-Env-Version=stable", "other than"},
		{"X-Env-Version=v2 canary!", "label value"},
		{"X-Env-Version=" + strings.Repeat("a", 64), "label value"},
	} {
		if _, _, err := ParseCanaryHeader(c.header); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("--header %q: %v, want %q", c.header, err, c.want)
		}
	}
	for _, c := range []struct {
		canary Canary
		want   string
	}{
		{Canary{Header: "X-A", Value: "b", Weight: 101}, "0 to 100"},
		{Canary{Header: "X-A", Value: "b", Weight: -1}, "0 to 100"},
		{Canary{Header: "X-A", Value: "b", Overlay: "qa"}, "unknown overlay"},
	} {
		if _, err := GenerateCanary(Options{Name: "orders", Facts: testFacts(t)}, c.canary); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want %q", c.canary, err, c.want)
		}
	}
}

func TestCanaryKustomize(t *testing.T) {
	kubectl := requireTool(t, "kubectl", "KUBECTL")
	dir := t.TempDir()
	if _, err := Write(dir, generate(t, nil), WriteOptions{Owns: K8sOwns}); err != nil {
		t.Fatal(err)
	}
	if _, err := Write(dir, canaryTree(t), WriteOptions{Owns: CanaryOwns}); err != nil {
		t.Fatal(err)
	}
	objs := decodeStrict(t, "overlay canary", kustomize(t, kubectl, filepath.Join(dir, "overlays", "canary")))
	cm := objs["ConfigMap"][0].(*corev1.ConfigMap)
	if len(objs["Deployment"]) != 2 || len(objs["VirtualService"]) != 1 || len(objs["HTTPRoute"]) != 1 {
		t.Fatalf("overlay canary: %s", kinds(objs))
	}
	for _, o := range objs["Deployment"] {
		d := o.(*appsv1.Deployment)
		if ref := d.Spec.Template.Spec.Containers[0].EnvFrom[0].ConfigMapRef.Name; ref != cm.Name {
			t.Errorf("%s reads ConfigMap %q, the overlay makes %q", d.Name, ref, cm.Name)
		}
	}
}
