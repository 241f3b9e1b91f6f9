package deploy

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	monv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// Tiers of the alerts, highest first: a page wakes someone, a ticket is
// for working hours, info is for the dashboard. Alertmanager inhibits a
// lower tier while a higher one fires for the same SLO and route.
const (
	TierPage   = "page"
	TierTicket = "ticket"
	TierInfo   = "info"
)

// burnWindow is one multi-window multi-burn-rate condition of the SRE
// workbook: the budget burns Factor times too fast over both windows.
type burnWindow struct {
	Long, Short string
	Factor      float64
}

// The SRE workbook's recommended conditions for a 30-day budget: a page
// spends 2 % of it in an hour or 5 % in six; a ticket 10 % in a day or
// 10 % in three days.
//
// [SRE workbook]: https://sre.google/workbook/alerting-on-slos/#6-multiwindow-multi-burn-rate-alerts
var (
	pageBurns   = []burnWindow{{"1h", "5m", 14.4}, {"6h", "30m", 6}}
	ticketBurns = []burnWindow{{"1d", "2h", 3}, {"3d", "6h", 1}}
)

// sloWindows are the windows the recording rules precompute.
var sloWindows = []string{"5m", "30m", "1h", "2h", "6h", "1d", "3d"}

// metricNames are the service's metric families the rules read.
type metricNames struct {
	Requests, Duration string
	CPU, MaxProcs      string
	DBInUse, DBMaxOpen string
	StartTime          string
}

// findMetrics picks the request counter and duration histogram of the
// kit's metrics package (NAMESPACE_http_requests_total,
// NAMESPACE_http_request_duration_seconds) and the runtime gauges among
// the names the service exposes; SLO rules need the first two.
func findMetrics(names []string) (metricNames, error) {
	var m metricNames
	for _, n := range names {
		switch {
		case strings.HasSuffix(n, "http_requests_total") && m.Requests == "":
			m.Requests = n
		case strings.HasSuffix(n, "http_request_duration_seconds") && m.Duration == "":
			m.Duration = n
		}
	}
	if m.Requests == "" || m.Duration == "" {
		return m, fmt.Errorf("the service's /metrics has no *_http_requests_total counter and *_http_request_duration_seconds histogram (it exposes %d families), so no SLO alert can be written: instrument the handler with package metrics and run golocal verify again", len(names))
	}
	has := func(n string) string {
		if slices.Contains(names, n) {
			return n
		}
		return ""
	}
	m.CPU, m.MaxProcs = has("process_cpu_seconds_total"), has("go_sched_gomaxprocs_threads")
	m.DBInUse, m.DBMaxOpen = has("go_sql_in_use_connections"), has("go_sql_max_open_connections")
	m.StartTime = has("process_start_time_seconds")
	return m, nil
}

// ruleSet is the generated rules, kept as data so the promtool tests can
// name the alerts and their labels.
type ruleSet struct {
	p      *plan
	m      metricNames
	groups []monv1.RuleGroup
}

func (p *plan) ruleNames(what string) string { return p.Name + ":" + what }

// alertName makes Orders + suffix.
func (p *plan) alertName(suffix string) string {
	parts := strings.Split(p.Name, "-")
	for i, s := range parts {
		parts[i] = strings.ToUpper(s[:1]) + s[1:]
	}
	return strings.Join(parts, "") + suffix
}

func (p *plan) rules() (*ruleSet, error) {
	m, err := findMetrics(p.facts.MetricNames)
	if err != nil {
		return nil, err
	}
	rs := &ruleSet{p: p, m: m}
	rs.groups = []monv1.RuleGroup{
		{Name: p.Name + "-slo-recording", Rules: rs.recording()},
		{Name: p.Name + "-slo-alerts", Rules: rs.sloAlerts()},
		{Name: p.Name + "-saturation", Rules: rs.saturation()},
	}
	return rs, nil
}

func expr(s string) intstr.IntOrString { return intstr.FromString(s) }

func dur(s string) *monv1.Duration { d := monv1.Duration(s); return &d }

// float prints f with 10 significant digits, so 14.4 × 0.001 is 0.0144.
func float(f float64) string { return strconv.FormatFloat(f, 'g', 10, 64) }

// recording precomputes the error and slow ratios per route over each
// window, so the alerts stay cheap and readable.
func (rs *ruleSet) recording() []monv1.Rule {
	le := float(rs.p.SLO.Latency.Seconds())
	var rules []monv1.Rule
	for _, w := range sloWindows {
		rules = append(rules,
			monv1.Rule{Record: rs.p.ruleNames("request_errors:ratio_rate" + w), Expr: expr(fmt.Sprintf(
				`sum by (route) (rate(%[1]s{status=~"5.."}[%[2]s])) / sum by (route) (rate(%[1]s[%[2]s]))`, rs.m.Requests, w))},
			monv1.Rule{Record: rs.p.ruleNames("request_slow:ratio_rate" + w), Expr: expr(fmt.Sprintf(
				`1 - sum by (route) (rate(%[1]s_bucket{le="%[3]s"}[%[2]s])) / sum by (route) (rate(%[1]s_count[%[2]s]))`, rs.m.Duration, w, le))},
		)
	}
	return rules
}

// sloObjective is one SLO the burn-rate alerts defend.
type sloObjective struct {
	Key, Record, Title string
	Budget             float64
}

func (rs *ruleSet) objectives() []sloObjective {
	s := rs.p.SLO
	return []sloObjective{
		{"availability", "request_errors", fmt.Sprintf("availability %s%% (5xx)", trimFloat(s.Availability)), s.errorBudget()},
		{"latency", "request_slow", fmt.Sprintf("latency p%s under %s", trimFloat(s.Percentile), s.Latency), s.latencyBudget()},
	}
}

func (rs *ruleSet) burnExpr(o sloObjective, ws []burnWindow) string {
	var parts []string
	for _, w := range ws {
		th := float(w.Factor * o.Budget)
		parts = append(parts, fmt.Sprintf("(%s > %s and %s > %s)",
			rs.p.ruleNames(o.Record+":ratio_rate"+w.Long), th, rs.p.ruleNames(o.Record+":ratio_rate"+w.Short), th))
	}
	return strings.Join(parts, "\nor\n")
}

// sloAlerts are the page (fast burn) and ticket (slow burn) alerts of
// each objective, per route.
func (rs *ruleSet) sloAlerts() []monv1.Rule {
	var rules []monv1.Rule
	for _, o := range rs.objectives() {
		name := strings.ToUpper(o.Key[:1]) + o.Key[1:]
		rules = append(rules,
			rs.alert(name+"BudgetBurnFast", TierPage, o.Key, "2m", rs.burnExpr(o, pageBurns),
				fmt.Sprintf("%s: route {{ $labels.route }} spends the %s error budget fast (2%% of 30 days in 1h, or 5%% in 6h)", rs.p.Name, o.Title)),
			rs.alert(name+"BudgetBurnSlow", TierTicket, o.Key, "15m", rs.burnExpr(o, ticketBurns),
				fmt.Sprintf("%s: route {{ $labels.route }} spends the %s error budget faster than it refills (10%% of 30 days in 1d or 3d)", rs.p.Name, o.Title)),
		)
	}
	return rules
}

// saturation alerts are tickets (CPU, DB pool) and info (restarts, a
// canary left running), from the service's own runtime metrics.
func (rs *ruleSet) saturation() []monv1.Rule {
	var rules []monv1.Rule
	m := rs.m
	if m.CPU != "" && m.MaxProcs != "" {
		rules = append(rules, rs.alert("CPUSaturated", TierTicket, "", "5m",
			fmt.Sprintf("rate(%s[5m]) / %s > 0.85", m.CPU, m.MaxProcs),
			rs.p.Name+": {{ $labels.pod }} has used over 85% of its CPUs (GOMAXPROCS) for 5 minutes"))
	}
	if m.DBInUse != "" && m.DBMaxOpen != "" {
		rules = append(rules, rs.alert("DBPoolSaturated", TierTicket, "", "5m",
			fmt.Sprintf("%s / (%s > 0) > 0.85", m.DBInUse, m.DBMaxOpen),
			rs.p.Name+": {{ $labels.pod }} has had over 85% of its database connections in use for 5 minutes"))
	}
	if m.StartTime != "" {
		rules = append(rules, rs.alert("Restarting", TierInfo, "", "",
			fmt.Sprintf("changes(%s[30m]) > 2", m.StartTime),
			rs.p.Name+": {{ $labels.pod }} restarted more than twice in 30 minutes"))
	}
	rules = append(rules, rs.alert("CanaryLingering", TierInfo, "", "6h",
		fmt.Sprintf("count(count by (%s) (%s)) > 1", TrackLabel, m.Requests),
		rs.p.Name+": more than one version has served traffic for 6 hours: promote the canary or roll it back"))
	return rules
}

func (rs *ruleSet) alert(suffix, tier, slo, forDur, e, summary string) monv1.Rule {
	labels := map[string]string{"severity": tier, "service": rs.p.Name}
	if slo != "" {
		labels["slo"] = slo
	}
	r := monv1.Rule{
		Alert:       rs.p.alertName(suffix),
		Expr:        expr(e),
		Labels:      labels,
		Annotations: map[string]string{"summary": summary, "runbook": "docs/deploy.md#alerts"},
	}
	if forDur != "" {
		r.For = dur(forDur)
	}
	return r
}

// prometheusRule wraps the groups for the Prometheus Operator.
func (rs *ruleSet) prometheusRule() *monv1.PrometheusRule {
	return &monv1.PrometheusRule{
		TypeMeta:   typeMeta("monitoring.coreos.com/v1", "PrometheusRule"),
		ObjectMeta: rs.p.meta(rs.p.Name),
		Spec:       monv1.PrometheusRuleSpec{Groups: rs.groups},
	}
}

// rulesFile is the plain Prometheus rules file (promtool's input).
func (rs *ruleSet) rulesFile() ([]byte, error) {
	return toYAML(struct {
		Groups []monv1.RuleGroup `json:"groups"`
	}{rs.groups})
}
