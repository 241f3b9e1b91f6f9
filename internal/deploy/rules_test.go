package deploy

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	monv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
)

func TestParseSLO(t *testing.T) {
	cases := []struct {
		in   string
		want SLO
		err  string
	}{
		{"", DefaultSLO, ""},
		{"availability=99.95", SLO{99.95, DefaultSLO.Latency, 99}, ""},
		{"availability=99.9%, latency=500ms@p99.9", SLO{99.9, 500 * time.Millisecond, 99.9}, ""},
		{"latency=1s@p95", SLO{99.9, time.Second, 95}, ""},
		{"availability=100", SLO{}, "no error budget"},
		{"availability=0", SLO{}, "out of range"},
		{"availability=-5", SLO{}, "out of range"},
		{"availability=101", SLO{}, "out of range"},
		{"availability=NaN", SLO{}, "not a number"},
		{"availability=99.99999", SLO{}, "under 0.0001%"},
		{"availability=high", SLO{}, "not a number"},
		{"latency=300ms", SLO{}, "no percentile"},
		{"latency=300ms@99", SLO{}, "must look like p99"},
		{"latency=250ms@p100", SLO{}, "no error budget"},
		{"latency=0s@p99", SLO{}, "positive duration"},
		{"latency=fast@p99", SLO{}, "positive duration"},
		{"latency=300ms@p99", SLO{}, "not a bucket boundary"},
		{"throughput=5", SLO{}, "unknown objective"},
		{"availability", SLO{}, "KEY=VALUE"},
		{"availability=99,availability=98", SLO{}, "twice"},
	}
	for _, c := range cases {
		got, err := ParseSLO(c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("ParseSLO(%q) = %v, %v; want error with %q", c.in, got, err, c.err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("ParseSLO(%q) = %+v, %v; want %+v", c.in, got, err, c.want)
		}
	}
}

func FuzzParseSLO(f *testing.F) {
	for _, s := range []string{"availability=99.9,latency=250ms@p99", "latency=1s@p99.99", "availability=1e-300", "latency=@p", ",,=,"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		slo, err := ParseSLO(s)
		if err != nil {
			return
		}
		if slo.errorBudget() <= 0 || slo.errorBudget() > 1 || slo.latencyBudget() <= 0 || slo.latencyBudget() > 1 || slo.Latency <= 0 {
			t.Fatalf("ParseSLO(%q) accepted %+v", s, slo)
		}
		if _, err := ParseSLO(slo.String()); err != nil {
			t.Fatalf("String() %q does not parse back: %v", slo.String(), err)
		}
	})
}

func TestRulesNeedRequestMetrics(t *testing.T) {
	f := testFacts(t)
	f.MetricNames = []string{"go_goroutines"}
	_, err := Generate(Options{Name: "orders", Facts: f})
	if err == nil || !strings.Contains(err.Error(), "_http_requests_total") {
		t.Fatalf("err = %v", err)
	}
}

func TestRulesDecodeStrictly(t *testing.T) {
	tree := generate(t, nil)
	objs := decodeStrict(t, "base/prometheusrule.yaml", tree["base/prometheusrule.yaml"])
	pr := objs["PrometheusRule"][0].(*monv1.PrometheusRule)
	tiers := map[string]int{}
	for _, g := range pr.Spec.Groups {
		for _, r := range g.Rules {
			if r.Alert != "" {
				tiers[r.Labels["severity"]]++
			}
		}
	}
	if tiers[TierPage] < 2 || tiers[TierTicket] < 3 || tiers[TierInfo] < 1 {
		t.Errorf("alerts by tier: %v", tiers)
	}
}

// writeMonitoring writes the tree and returns its monitoring folder.
func writeMonitoring(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if _, err := Write(dir, generate(t, nil), WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, "monitoring")
}

func run(t *testing.T, dir, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// TestPromtool checks the rules and runs their generated test cases: a
// burst pages within 5 minutes, a slow 2x burn opens only a ticket,
// normal traffic fires nothing.
func TestPromtool(t *testing.T) {
	promtool := requireTool(t, "promtool", "PROMTOOL")
	dir := writeMonitoring(t)
	t.Log(run(t, dir, promtool, "check", "rules", "rules.yaml"))
	out := run(t, dir, promtool, "test", "rules", "rules_test.yaml")
	if !strings.Contains(out, "SUCCESS") {
		t.Fatalf("promtool test rules:\n%s", out)
	}
	// The dashboard's queries are PromQL promtool accepts.
	var d dashboard
	b, err := os.ReadFile(filepath.Join(dir, "dashboard.json"))
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil {
		t.Fatal(err)
	}
	var rules []monv1.Rule
	for i, p := range d.Panels {
		for _, tg := range p.Targets {
			e := strings.NewReplacer("$route", ".*").Replace(tg.Expr)
			rules = append(rules, monv1.Rule{Record: fmt.Sprintf("dashboard:panel%d", i), Expr: expr(e)})
		}
	}
	y, err := toYAML(struct {
		Groups []monv1.RuleGroup `json:"groups"`
	}{[]monv1.RuleGroup{{Name: "dashboard", Rules: rules}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "dashboard-queries.yaml"), y, 0o644); err != nil {
		t.Fatal(err)
	}
	run(t, dir, promtool, "check", "rules", "dashboard-queries.yaml")
}

// TestPromtoolTestsCanFail: a rules file whose page never fires must fail
// the generated cases, or they prove nothing.
func TestPromtoolTestsCanFail(t *testing.T) {
	promtool := requireTool(t, "promtool", "PROMTOOL")
	dir := writeMonitoring(t)
	b, err := os.ReadFile(filepath.Join(dir, "rules.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	// Both page conditions: 14.4 and 6 times the 0.1 % budget.
	broken := strings.NewReplacer("> 0.0144", "> 0.9", "> 0.006", "> 0.9").Replace(string(b))
	if broken == string(b) {
		t.Fatal("the page threshold 0.0144 (14.4 × 0.1%) is not in rules.yaml")
	}
	if err := os.WriteFile(filepath.Join(dir, "rules.yaml"), []byte(broken), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(promtool, "test", "rules", "rules_test.yaml")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err == nil {
		t.Fatalf("a page that cannot fire passed the tests:\n%s", out)
	}
}

// TestAlertmanagerRoutesAndInhibits checks the routing example with
// amtool, then runs a real Alertmanager with it: a firing page inhibits
// the ticket of the same objective and route, not another route's.
func TestAlertmanagerRoutesAndInhibits(t *testing.T) {
	amtool := requireTool(t, "amtool", "AMTOOL")
	dir := writeMonitoring(t)
	run(t, dir, amtool, "check-config", "alertmanager.yaml")
	for tier, want := range map[string]string{TierPage: "orders-page", TierTicket: "orders-ticket", TierInfo: "orders-info"} {
		out := run(t, dir, amtool, "config", "routes", "test", "--config.file=alertmanager.yaml", "service=orders", "severity="+tier)
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if got := lines[len(lines)-1]; got != want {
			t.Errorf("severity=%s routes to %q, want %s", tier, got, want)
		}
	}
	am, err := exec.LookPath("prometheus-alertmanager")
	if err != nil {
		am, err = exec.LookPath("alertmanager")
	}
	if err != nil {
		if os.Getenv("GOLOCAL_REQUIRE_AMTOOL") == "1" {
			t.Fatal("amtool is installed but not the alertmanager binary")
		}
		t.Skip("no alertmanager binary to prove inhibition with")
	}
	base := startAlertmanager(t, am, dir)
	labels := func(sev, route string) map[string]string {
		return map[string]string{"alertname": "x-" + sev, "service": "orders", "slo": "availability", "route": route, "severity": sev}
	}
	postAlerts(t, base, labels("page", "GET /orders"), labels("ticket", "GET /orders"), labels("ticket", "GET /other"))
	deadline := time.Now().Add(20 * time.Second)
	for {
		inhibited := alertStates(t, base)
		if inhibited["ticket GET /orders"] && !inhibited["ticket GET /other"] && !inhibited["page GET /orders"] {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("inhibited: %v; want only the ticket of GET /orders", inhibited)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func startAlertmanager(t *testing.T, bin, dir string) string {
	t.Helper()
	port := freePort(t)
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, "--config.file="+filepath.Join(dir, "alertmanager.yaml"),
		"--storage.path="+t.TempDir(), fmt.Sprintf("--web.listen-address=127.0.0.1:%d", port), "--cluster.listen-address=")
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); _ = cmd.Wait() })
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	for i := 0; ; i++ {
		if resp, err := http.Get(base + "/-/ready"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return base
			}
		}
		if i > 100 {
			t.Fatalf("alertmanager did not become ready:\n%s", log.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func postAlerts(t *testing.T, base string, alerts ...map[string]string) {
	t.Helper()
	var body []map[string]any
	for _, l := range alerts {
		body = append(body, map[string]any{"labels": l, "startsAt": time.Now().Add(-time.Minute).Format(time.RFC3339)})
	}
	b, _ := json.Marshal(body)
	resp, err := http.Post(base+"/api/v2/alerts", "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST alerts → %d", resp.StatusCode)
	}
}

// alertStates maps "severity route" to whether Alertmanager inhibits it.
func alertStates(t *testing.T, base string) map[string]bool {
	t.Helper()
	resp, err := http.Get(base + "/api/v2/alerts")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var alerts []struct {
		Labels map[string]string `json:"labels"`
		Status struct {
			InhibitedBy []string `json:"inhibitedBy"`
		} `json:"status"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&alerts); err != nil {
		t.Fatal(err)
	}
	m := map[string]bool{}
	for _, a := range alerts {
		m[a.Labels["severity"]+" "+a.Labels["route"]] = len(a.Status.InhibitedBy) > 0
	}
	return m
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
