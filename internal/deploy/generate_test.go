package deploy

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
)

func testFacts(t testing.TB) Facts {
	t.Helper()
	f, err := ReadFacts(filepath.Join("testdata", "facts.json"))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func generate(t testing.TB, mutate func(*Options)) Tree {
	t.Helper()
	o := Options{Name: "orders", Facts: testFacts(t)}
	if mutate != nil {
		mutate(&o)
	}
	tree, err := Generate(o)
	if err != nil {
		t.Fatal(err)
	}
	return tree
}

func TestEveryObjectDecodesStrictly(t *testing.T) {
	tree := generate(t, nil)
	all := map[string]int{}
	for _, p := range tree.Paths() {
		if !strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, "_test.yaml") || strings.HasPrefix(p, "monitoring/") {
			continue
		}
		for k, v := range decodeStrict(t, p, tree[p]) {
			all[k] += len(v)
		}
	}
	for _, k := range []string{"Deployment", "Service", "PodDisruptionBudget", "HorizontalPodAutoscaler", "NetworkPolicy", "ServiceMonitor", "Kustomization"} {
		if all[k] == 0 {
			t.Errorf("no %s generated; got %v", k, all)
		}
	}
}

func deploymentOf(t *testing.T, tree Tree) *appsv1.Deployment {
	t.Helper()
	objs := decodeStrict(t, "base/deployment.yaml", tree["base/deployment.yaml"])
	return objs["Deployment"][0].(*appsv1.Deployment)
}

func TestDeploymentFollowsFacts(t *testing.T) {
	d := deploymentOf(t, generate(t, nil))
	pod := d.Spec.Template.Spec
	c := pod.Containers[0]
	checks := []struct {
		what      string
		got, want any
	}{
		{"liveness path", c.LivenessProbe.HTTPGet.Path, "/livez"},
		{"startup path", c.StartupProbe.HTTPGet.Path, "/livez"},
		{"readiness path", c.ReadinessProbe.HTTPGet.Path, "/readyz"},
		{"probe port", c.ReadinessProbe.HTTPGet.Port.StrVal, "http"},
		{"readiness period within the 5 s lame duck", c.ReadinessProbe.PeriodSeconds, int32(2)},
		// 5.05 s measured + 10 s margin, rounded up.
		{"grace", *pod.TerminationGracePeriodSeconds, int64(16)},
		{"runAsNonRoot", *pod.SecurityContext.RunAsNonRoot, true},
		{"readOnlyRootFilesystem", *c.SecurityContext.ReadOnlyRootFilesystem, true},
		{"drop", c.SecurityContext.Capabilities.Drop[0], corev1.Capability("ALL")},
		{"seccomp", pod.SecurityContext.SeccompProfile.Type, corev1.SeccompProfileTypeRuntimeDefault},
		{"admin port", c.Ports[1].ContainerPort, int32(9090)},
		{"spread", len(pod.TopologySpreadConstraints), 2},
	}
	for _, ck := range checks {
		if ck.got != ck.want {
			t.Errorf("%s = %v, want %v", ck.what, ck.got, ck.want)
		}
	}
	env := map[string]corev1.EnvVar{}
	for _, e := range c.Env {
		env[e.Name] = e
	}
	if r := env["MEMORY_LIMIT_MIB"].ValueFrom; r == nil || r.ResourceFieldRef.Resource != "limits.memory" {
		t.Errorf("MEMORY_LIMIT_MIB does not come from limits.memory: %+v", env["MEMORY_LIMIT_MIB"])
	}
	if env["GOMEMLIMIT"].Value != "$(MEMORY_LIMIT_MIB)MiB" {
		t.Errorf("GOMEMLIMIT = %q", env["GOMEMLIMIT"].Value)
	}
	if s := env["ORDERS_SESSION_KEYS"]; s.Value != "" || s.ValueFrom == nil || s.ValueFrom.SecretKeyRef.Name != "orders-secrets" {
		t.Errorf("the required secret is not referenced from orders-secrets: %+v", s)
	}
}

// TestGraceFollowsDrain: the grace period is derived from the measured
// SIGTERM→exit time, so a longer lame duck gives a longer grace.
func TestGraceFollowsDrain(t *testing.T) {
	cases := []struct {
		drain, lead float64
		margin      time.Duration
		want        int64
	}{
		{5.05, 5.0, 0, 16},
		{0.2, 0, 0, 11},
		{20.01, 20, 0, 31},
		{20.01, 20, 5 * time.Second, 26},
	}
	for _, c := range cases {
		tree := generate(t, func(o *Options) {
			o.Facts.DrainSeconds, o.Facts.ReadinessLeadSeconds, o.GraceMargin = &c.drain, &c.lead, c.margin
		})
		d := deploymentOf(t, tree)
		if got := *d.Spec.Template.Spec.TerminationGracePeriodSeconds; got != c.want {
			t.Errorf("drain %.2fs margin %v: grace %d, want %d", c.drain, c.margin, got, c.want)
		}
		if !strings.Contains(string(tree["base/deployment.yaml"]), "# lame duck ") {
			t.Errorf("no comment explains the grace period")
		}
	}
}

func TestMissingProbesWritesNothing(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(*Facts)
		want   []string
	}{
		{"no health endpoints", func(f *Facts) { f.LivenessPath, f.ReadinessPath = "", "" }, []string{"liveness and startup probes", "readiness probe"}},
		{"no readiness", func(f *Facts) { f.ReadinessPath = "" }, []string{"readiness probe"}},
		{"no drain (verify --url)", func(f *Facts) { f.DrainSeconds = nil }, []string{"terminationGracePeriodSeconds"}},
		{"hostile path", func(f *Facts) { f.LivenessPath = "/livez?x=1\n" }, []string{"liveness"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := testFacts(t)
			c.mutate(&f)
			tree, err := Generate(Options{Name: "orders", Facts: f})
			var mp *MissingProbesError
			if !errors.As(err, &mp) || tree != nil {
				t.Fatalf("Generate = %d files, %v; want a MissingProbesError and no tree", len(tree), err)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not name %q:\n%v", w, err)
				}
			}
		})
	}
}

func TestBadOptions(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(*Options)
		want   string
	}{
		{"bad name", func(o *Options) { o.Name = "Orders_Svc" }, `"orders-svc"`},
		{"empty name", func(o *Options) { o.Name = "" }, "not a Kubernetes name"},
		{"bad port", func(o *Options) { o.AppPort = 70000 }, "1-65535"},
		{"bad quantity", func(o *Options) {
			o.Overlays = []Overlay{{Name: "dev", Replicas: 1, MaxReplicas: 1, CPURequest: "lots", MemoryRequest: "1Mi", MemoryLimit: "1Mi"}}
		}, "quantity"},
		{"replicas", func(o *Options) { o.Overlays = []Overlay{{Name: "dev", Replicas: 3, MaxReplicas: 1}} }, "replicas"},
		{"negative margin", func(o *Options) { o.GraceMargin = -time.Second }, "negative"},
	}
	for _, c := range cases {
		o := Options{Name: "orders", Facts: testFacts(t)}
		c.mutate(&o)
		if _, err := Generate(o); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want it to mention %q", c.name, err, c.want)
		}
	}
}

func TestSelectOverlays(t *testing.T) {
	if _, err := SelectOverlays([]string{"prod", "qa"}); err == nil || !strings.Contains(err.Error(), `unknown overlay "qa"`) || !strings.Contains(err.Error(), "dev, staging, prod") {
		t.Errorf("unknown overlay: %v", err)
	}
	got, err := SelectOverlays([]string{"prod"})
	if err != nil || len(got) != 1 || got[0].Replicas != 3 {
		t.Errorf("SelectOverlays(prod) = %+v, %v", got, err)
	}
}

// requireTool returns the path of a tool, skipping without it unless
// GOLOCAL_REQUIRE_<ENV>=1 (CI), which makes its absence a failure.
func requireTool(t *testing.T, name, env string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("GOLOCAL_REQUIRE_"+env) == "1" {
			t.Fatalf("%s not found and GOLOCAL_REQUIRE_%s=1: %v", name, env, err)
		}
		t.Skipf("%s not installed (set GOLOCAL_REQUIRE_%s=1 to make this a failure)", name, env)
	}
	return p
}

func kustomize(t *testing.T, kubectl, dir string) []byte {
	t.Helper()
	cmd := exec.Command(kubectl, "kustomize", dir)
	out, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("kubectl kustomize %s: %v\n%s", dir, err, ee.Stderr)
		}
		t.Fatal(err)
	}
	return out
}

func TestKustomizeOverlays(t *testing.T) {
	kubectl := requireTool(t, "kubectl", "KUBECTL")
	dir := t.TempDir()
	if _, err := Write(dir, generate(t, func(o *Options) { o.Policy = testPolicy(t) }), WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, ov := range DefaultOverlays {
		t.Run(ov.Name, func(t *testing.T) {
			objs := decodeStrict(t, "overlay "+ov.Name, kustomize(t, kubectl, filepath.Join(dir, "overlays", ov.Name)))
			d := objs["Deployment"][0].(*appsv1.Deployment)
			cm := objs["ConfigMap"][0].(*corev1.ConfigMap)
			if *d.Spec.Replicas != ov.Replicas {
				t.Errorf("replicas %d, want %d", *d.Spec.Replicas, ov.Replicas)
			}
			if got := d.Spec.Template.Spec.Containers[0].Resources.Limits.Memory().String(); got != ov.MemoryLimit {
				t.Errorf("memory limit %s, want %s", got, ov.MemoryLimit)
			}
			if cm.Data["GOLOCAL_PROFILE"] != ov.Name {
				t.Errorf("ConfigMap profile %q, want %q", cm.Data["GOLOCAL_PROFILE"], ov.Name)
			}
			if ref := d.Spec.Template.Spec.Containers[0].EnvFrom[0].ConfigMapRef.Name; ref != cm.Name {
				t.Errorf("the Deployment reads ConfigMap %q, the overlay makes %q", ref, cm.Name)
			}
			t.Logf("%s: %s", ov.Name, kinds(objs))
		})
	}
}
