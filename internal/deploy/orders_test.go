package deploy

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	appsv1 "k8s.io/api/apps/v1"

	"github.com/golocal/golocal/internal/verify"
)

// ordersTree is the checked-in examples/orders/deploy tree.
const ordersDir = "../../examples/orders/deploy"

var (
	ordersBinOnce sync.Once
	ordersBin     string
	ordersBinErr  error
)

// TestMain removes the orders binary built for the tests.
func TestMain(m *testing.M) {
	code := m.Run()
	if ordersBin != "" {
		os.RemoveAll(filepath.Dir(ordersBin))
	}
	os.Exit(code)
}

// buildOrders builds examples/orders once per test binary.
func buildOrders(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs examples/orders")
	}
	ordersBinOnce.Do(func() {
		dir, err := os.MkdirTemp("", "deploy-orders-")
		if err != nil {
			ordersBinErr = err
			return
		}
		ordersBin = filepath.Join(dir, "orders")
		cmd := exec.Command("go", "build", "-o", ordersBin, "./examples/orders")
		cmd.Dir = "../.."
		if out, err := cmd.CombinedOutput(); err != nil {
			ordersBinErr = fmt.Errorf("go build ./examples/orders: %v\n%s", err, out)
		}
	})
	if ordersBinErr != nil {
		t.Fatal(ordersBinErr)
	}
	return ordersBin
}

func randomKey(t *testing.T) string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(b)
}

// runOrders starts the binary with the environment the prod overlay gives
// it (PORT mapped to a free loopback port) and returns the app and admin
// base URLs once it announces them.
func runOrders(t *testing.T, bin string, env []string) (app, admin string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin)
	cmd.Env = append(os.Environ(), env...)
	cmd.Dir = t.TempDir()
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); _ = cmd.Wait() })
	urls := regexp.MustCompile(`(listening on|admin on) (http://[0-9.:]+)`)
	found := make(chan [2]string, 1)
	go func() {
		var a [2]string
		var log bytes.Buffer
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			log.WriteString(sc.Text() + "\n")
			if m := urls.FindStringSubmatch(sc.Text()); m != nil {
				a[map[bool]int{true: 0, false: 1}[m[1] == "listening on"]] = m[2]
				if a[0] != "" && a[1] != "" {
					found <- a
				}
			}
		}
		_, _ = io.Copy(io.Discard, out)
		t.Logf("orders output:\n%s", log.String())
	}()
	select {
	case a := <-found:
		return a[0], a[1]
	case <-time.After(60 * time.Second):
		t.Fatal("orders did not announce its listeners within 60s")
	}
	return "", ""
}

func ordersDeployment(t *testing.T) *appsv1.Deployment {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(ordersDir, "base", "deployment.yaml"))
	if err != nil {
		t.Fatalf("examples/orders/deploy is missing (GOLOCAL_UPDATE_DEPLOY=1 go test ./internal/deploy -run TestOrdersTreeIsFresh writes it): %v", err)
	}
	return decodeStrict(t, "deployment.yaml", b)["Deployment"][0].(*appsv1.Deployment)
}

func get(t *testing.T, url string) (int, []byte) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// TestOrdersProbesAgainstBinary requests the manifests' probe paths and
// metrics path against the real orders binary, and checks that every
// metric the rules and the dashboard read is one it exposes.
func TestOrdersProbesAgainstBinary(t *testing.T) {
	bin := buildOrders(t)
	d := ordersDeployment(t)
	c := d.Spec.Template.Spec.Containers[0]
	env := map[string]string{}
	for _, e := range c.Env {
		env[e.Name] = e.Value
	}
	if env["PORT"] != strconv.Itoa(int(c.Ports[0].ContainerPort)) {
		t.Fatalf("PORT %q but containerPort %d", env["PORT"], c.Ports[0].ContainerPort)
	}
	app, admin := runOrders(t, bin, []string{
		"GOLOCAL_PROFILE=prod", fmt.Sprintf("PORT=%d", freePort(t)), "ORDERS_ADMIN_ADDR=127.0.0.1:0",
		"ORDERS_SESSION_KEYS=" + randomKey(t), "ORDERS_DATA_DIR=" + t.TempDir(),
	})
	for _, pr := range []struct {
		name string
		path string
	}{{"startup", c.StartupProbe.HTTPGet.Path}, {"liveness", c.LivenessProbe.HTTPGet.Path}, {"readiness", c.ReadinessProbe.HTTPGet.Path}} {
		if code, body := get(t, app+pr.path); code != http.StatusOK {
			t.Errorf("%s probe GET %s → %d (kubelet wants 200-399): %s", pr.name, pr.path, code, body)
		}
	}
	code, body := get(t, admin+"/metrics")
	if code != http.StatusOK {
		t.Fatalf("GET admin /metrics → %d", code)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	exposed := map[string]bool{}
	for name := range fams {
		exposed[name] = true
	}
	for _, name := range referencedMetrics(t) {
		base := strings.TrimSuffix(strings.TrimSuffix(name, "_bucket"), "_count")
		if !exposed[name] && !exposed[base] {
			t.Errorf("the rules or dashboard read %s, which orders does not expose", name)
		}
	}
}

// referencedMetrics are the service metric names in the checked-in rules
// and dashboard (recording rule names, which contain ':', excluded).
func referencedMetrics(t *testing.T) []string {
	t.Helper()
	var names []string
	ident := regexp.MustCompile(`\b([a-z_][a-z0-9_]*)(\{|\[| /| >|\)|$)`)
	for _, f := range []string{"monitoring/rules.yaml", "monitoring/dashboard.json"} {
		b, err := os.ReadFile(filepath.Join(ordersDir, f))
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range ident.FindAllStringSubmatch(string(b), -1) {
			n := m[1]
			if strings.Contains(n, "_") && (strings.HasPrefix(n, "orders_") || strings.HasPrefix(n, "go_") || strings.HasPrefix(n, "process_")) && !slices.Contains(names, n) {
				names = append(names, n)
			}
		}
	}
	t.Logf("the rules and dashboard read %v", names)
	if len(names) < 4 {
		t.Fatalf("found only %v in the rules and dashboard", names)
	}
	return names
}

// TestOrdersGraceCoversDrainAndFollowsLameDuck runs verify's discovery on
// the orders binary with a short and a long lame duck: the grace period
// written from each covers the drain verify measures, and grows with it.
func TestOrdersGraceCoversDrainAndFollowsLameDuck(t *testing.T) {
	bin := buildOrders(t)
	checked := ordersDeployment(t)
	grace := map[string]int64{}
	// "" is the prod profile's own lame duck (5 s), as the checked-in tree.
	for _, lameDuck := range []string{"", "12s"} {
		var env []string
		if lameDuck != "" {
			env = []string{"ORDERS_LAME_DUCK=" + lameDuck}
		}
		facts, err := Discover(context.Background(), verify.Options{Binary: bin, Dir: t.TempDir(), Env: env})
		if err != nil {
			t.Fatal(err)
		}
		if facts.DrainSeconds == nil {
			t.Fatalf("lame duck %s: verify measured no drain", lameDuck)
		}
		tree, err := Generate(Options{Name: "orders", Facts: facts})
		if err != nil {
			t.Fatal(err)
		}
		d := decodeStrict(t, "deployment", tree["base/deployment.yaml"])["Deployment"][0].(*appsv1.Deployment)
		g := *d.Spec.Template.Spec.TerminationGracePeriodSeconds
		grace[lameDuck] = g
		lead := 0.0
		if facts.ReadinessLeadSeconds != nil {
			lead = *facts.ReadinessLeadSeconds
		}
		t.Logf("lame duck %q: SIGTERM→exit %.2fs, readiness lead %.2fs → grace %ds", lameDuck, *facts.DrainSeconds, lead, g)
		if float64(g) < *facts.DrainSeconds {
			t.Errorf("lame duck %s: grace %ds is under the measured drain %.2fs", lameDuck, g, *facts.DrainSeconds)
		}
		if cg := *checked.Spec.Template.Spec.TerminationGracePeriodSeconds; lameDuck == "" && float64(cg) < *facts.DrainSeconds {
			t.Errorf("examples/orders/deploy's grace %ds is under the drain verify measures now, %.2fs", cg, *facts.DrainSeconds)
		}
	}
	if grace["12s"]-grace[""] < 6 {
		t.Errorf("grace %v: a 7 s longer lame duck did not lengthen the grace period by about 7 s", grace)
	}
}
