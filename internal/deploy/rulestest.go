package deploy

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// promtool's unit test file format.
//
// [promtool test rules]: https://prometheus.io/docs/prometheus/latest/configuration/unit_testing_rules/
type promtoolTests struct {
	RuleFiles          []string       `json:"rule_files"`
	EvaluationInterval string         `json:"evaluation_interval"`
	Tests              []promtoolTest `json:"tests"`
}

type promtoolTest struct {
	Name          string          `json:"name"`
	Interval      string          `json:"interval"`
	InputSeries   []inputSeries   `json:"input_series"`
	AlertRuleTest []alertRuleTest `json:"alert_rule_test"`
}

type inputSeries struct {
	Series string `json:"series"`
	Values string `json:"values"`
}

type alertRuleTest struct {
	EvalTime  string     `json:"eval_time"`
	Alertname string     `json:"alertname"`
	ExpAlerts []expAlert `json:"exp_alerts"`
}

type expAlert struct {
	ExpLabels      map[string]string `json:"exp_labels"`
	ExpAnnotations map[string]string `json:"exp_annotations"`
}

// testRoute is the route label the test series carry.
func (rs *ruleSet) testRoute() string {
	for _, r := range rs.p.facts.Routes {
		if strings.HasPrefix(r, "/") && !strings.ContainsAny(r, `"\{}`) {
			return "GET " + r
		}
	}
	return "GET /"
}

func (rs *ruleSet) series(metric string, labels map[string]string, values string) inputSeries {
	var kv []string
	for _, k := range sortedKeys(labels) {
		kv = append(kv, fmt.Sprintf("%s=%q", k, labels[k]))
	}
	return inputSeries{Series: metric + "{" + strings.Join(kv, ",") + "}", Values: values}
}

// requests are the counter series of one route: ok and 5xx per minute.
func (rs *ruleSet) requests(ok, errors string) []inputSeries {
	l := func(status string) map[string]string {
		return map[string]string{"route": rs.testRoute(), "method": "GET", "status": status, TrackLabel: StableVersion}
	}
	return []inputSeries{rs.series(rs.m.Requests, l("200"), ok), rs.series(rs.m.Requests, l("500"), errors)}
}

// durations are the histogram series at the SLO's bucket and the count.
func (rs *ruleSet) durations(fast, all string) []inputSeries {
	l := map[string]string{"route": rs.testRoute(), "method": "GET", "status": "200", TrackLabel: StableVersion}
	b := map[string]string{"le": float(rs.p.SLO.Latency.Seconds())}
	for k, v := range l {
		b[k] = v
	}
	return []inputSeries{rs.series(rs.m.Duration+"_bucket", b, fast), rs.series(rs.m.Duration+"_count", l, all)}
}

// expect is the alert suffix fires with extra labels, or, with tier "",
// that it does not fire.
func (rs *ruleSet) expect(at, suffix string, labels map[string]string) alertRuleTest {
	t := alertRuleTest{EvalTime: at, Alertname: rs.p.alertName(suffix), ExpAlerts: []expAlert{}}
	if labels == nil {
		return t
	}
	rule, ok := rs.find(suffix)
	if !ok {
		return t
	}
	all := map[string]string{}
	for k, v := range rule.Labels {
		all[k] = v
	}
	for k, v := range labels {
		all[k] = v
	}
	ann := map[string]string{}
	for k, v := range rule.Annotations {
		ann[k] = strings.NewReplacer("{{ $labels.route }}", all["route"], "{{ $labels.pod }}", all["pod"]).Replace(v)
	}
	t.ExpAlerts = []expAlert{{ExpLabels: all, ExpAnnotations: ann}}
	return t
}

func (rs *ruleSet) find(suffix string) (ruleRef, bool) {
	for _, g := range rs.groups {
		for _, r := range g.Rules {
			if r.Alert == rs.p.alertName(suffix) {
				return ruleRef{Labels: r.Labels, Annotations: r.Annotations}, true
			}
		}
	}
	return ruleRef{}, false
}

type ruleRef struct{ Labels, Annotations map[string]string }

// promtoolTests are the cases the issue asks for, at 10 requests a second
// (600 a minute) on one route: a burst of failures pages within 5 minutes;
// a slow 2x burn opens a ticket and no page; normal traffic fires nothing.
func (rs *ruleSet) promtoolTests() promtoolTests {
	route := map[string]string{"route": rs.testRoute()}
	eb := rs.p.SLO.errorBudget()
	// Per minute: 2x the error budget, and half of it.
	twice, half := float(600*2*eb/(1-2*eb)), float(600*0.5*eb/(1-0.5*eb))
	quiet := float(600 * (1 - 0.5*rs.p.SLO.latencyBudget()))
	tests := []promtoolTest{
		{
			Name: "a burst of failures (10x the traffic, all 5xx) pages within 5 minutes", Interval: "1m",
			InputSeries: rs.requests("0+600x120", "0x60 6000+6000x59"),
			AlertRuleTest: []alertRuleTest{
				rs.expect("60m", "AvailabilityBudgetBurnFast", nil),
				rs.expect("65m", "AvailabilityBudgetBurnFast", route),
			},
		},
		{
			Name: "a slow 2x burn over hours opens a ticket, not a page", Interval: "1m",
			InputSeries: rs.requests("0+600x480", "0+"+twice+"x480"),
			AlertRuleTest: []alertRuleTest{
				rs.expect("480m", "AvailabilityBudgetBurnFast", nil),
				rs.expect("480m", "AvailabilityBudgetBurnSlow", route),
			},
		},
		{
			Name: "normal traffic (half the budgets) fires nothing", Interval: "1m",
			InputSeries: append(rs.requests("0+600x480", "0+"+half+"x480"), rs.durations("0+"+quiet+"x480", "0+600x480")...),
			AlertRuleTest: []alertRuleTest{
				rs.expect("480m", "AvailabilityBudgetBurnFast", nil), rs.expect("480m", "AvailabilityBudgetBurnSlow", nil),
				rs.expect("480m", "LatencyBudgetBurnFast", nil), rs.expect("480m", "LatencyBudgetBurnSlow", nil),
				rs.expect("480m", "CanaryLingering", nil),
			},
		},
		{
			// The p99 budget is 1 %: the 1h window crosses 14.4 % after
			// 8.6 minutes of every request being slow, then for: 2m.
			Name: "every request turning slow pages within 15 minutes", Interval: "1m",
			InputSeries: rs.durations("0+600x60 36000x59", "0+600x120"),
			AlertRuleTest: []alertRuleTest{
				rs.expect("60m", "LatencyBudgetBurnFast", nil),
				rs.expect("75m", "LatencyBudgetBurnFast", route),
			},
		},
	}
	tests = append(tests, rs.saturationTests()...)
	return promtoolTests{RuleFiles: []string{"rules.yaml"}, EvaluationInterval: "1m", Tests: tests}
}

func (rs *ruleSet) saturationTests() []promtoolTest {
	pod := map[string]string{"pod": rs.p.Name + "-0"}
	var tests []promtoolTest
	if m := rs.m; m.DBInUse != "" && m.DBMaxOpen != "" {
		db := map[string]string{"pod": pod["pod"], "db_name": "app"}
		tests = append(tests, promtoolTest{
			Name: "a database pool 90% in use for 5 minutes opens a ticket", Interval: "1m",
			InputSeries: []inputSeries{rs.series(m.DBInUse, db, "5x5 9x15"), rs.series(m.DBMaxOpen, db, "10x20")},
			AlertRuleTest: []alertRuleTest{
				rs.expect("5m", "DBPoolSaturated", nil),
				rs.expect("12m", "DBPoolSaturated", db),
			},
		})
	}
	if m := rs.m; m.CPU != "" && m.MaxProcs != "" {
		tests = append(tests, promtoolTest{
			Name: "CPU at 90% of GOMAXPROCS for 5 minutes opens a ticket", Interval: "1m",
			InputSeries: []inputSeries{rs.series(m.CPU, pod, "0+54x20"), rs.series(m.MaxProcs, pod, "1x20")},
			AlertRuleTest: []alertRuleTest{
				rs.expect("3m", "CPUSaturated", nil),
				rs.expect("12m", "CPUSaturated", pod),
			},
		})
	}
	return tests
}

func sortedKeys(m map[string]string) []string {
	return slices.Sorted(maps.Keys(m))
}
