package canary

import (
	"fmt"
	"math"
)

// Verdicts, from best to worst. Insufficient is a route's verdict when it
// has too few samples; Inconclusive the overall verdict when nothing could
// be judged.
const (
	Pass         = "pass"
	Marginal     = "marginal"
	Fail         = "fail"
	Insufficient = "insufficient"
	Inconclusive = "inconclusive"
)

// Thresholds decide the verdicts (docs/canary.md explains each). A
// latency difference fails only when it is significant (p), large in rank
// terms (Cliff's delta) and large in milliseconds (the Hodges-Lehmann
// shift): on loopback a 0.2 ms difference can be significant and still
// not matter.
type Thresholds struct {
	// MinSamples is the fewest requests per version and route (successful
	// ones for latency) a route needs to be judged; the normal
	// approximation of U is poor below about 20.
	MinSamples int `json:"min_samples"`
	// FailP and MarginalP are the p-value cut-offs.
	FailP     float64 `json:"fail_p"`
	MarginalP float64 `json:"marginal_p"`
	// FailDelta and MarginalDelta are the smallest Cliff's delta (the
	// candidate slower) that fails or is marginal: 0.33 is "medium",
	// 0.147 "small".
	FailDelta     float64 `json:"fail_delta"`
	MarginalDelta float64 `json:"marginal_delta"`
	// MinShiftMs and MinShiftFraction: the candidate must be slower by at
	// least max(MinShiftMs, MinShiftFraction × baseline median) for a
	// latency verdict other than pass.
	MinShiftMs       float64 `json:"min_shift_ms"`
	MinShiftFraction float64 `json:"min_shift_fraction"`
	// FailErrorDiff and MarginalErrorDiff are the smallest absolute error
	// rate increases (0.01 is one percentage point) that fail or are
	// marginal, given a significant one-sided two-proportion test.
	FailErrorDiff     float64 `json:"fail_error_diff"`
	MarginalErrorDiff float64 `json:"marginal_error_diff"`
}

// DefaultThresholds are the documented defaults.
var DefaultThresholds = Thresholds{
	MinSamples: 20,
	FailP:      0.01, MarginalP: 0.05,
	FailDelta: 0.33, MarginalDelta: 0.147,
	MinShiftMs: 1, MinShiftFraction: 0.10,
	FailErrorDiff: 0.01, MarginalErrorDiff: 0.005,
}

// LatencySummary is one version's figures on a route.
type LatencySummary struct {
	Requests  int     `json:"requests"`
	Errors    int     `json:"errors"`
	ErrorRate float64 `json:"error_rate"`
	Samples   int     `json:"latency_samples"`
	P50       float64 `json:"p50_ms"`
	P95       float64 `json:"p95_ms"`
	P99       float64 `json:"p99_ms"`
}

// RouteReport is the judgement of one route.
type RouteReport struct {
	Route     string         `json:"route"`
	Verdict   string         `json:"verdict"`
	Reasons   []string       `json:"reasons"`
	Baseline  LatencySummary `json:"baseline"`
	Candidate LatencySummary `json:"candidate"`
	// Latency is nil when either side had too few successful samples.
	Latency *MannWhitney `json:"latency,omitempty"`
	// Errors is nil when either side had too few requests.
	Errors *TwoProportion `json:"errors,omitempty"`
	// MissingSamples is how many more requests each version needs on this
	// route before it can be judged ([baseline, candidate]).
	MissingSamples [2]int `json:"missing_samples"`
}

func summarize(d RouteData, v Version) LatencySummary {
	s := LatencySummary{Requests: d.Requests[v], Errors: d.Errors[v], Samples: len(d.Latencies[v])}
	if s.Requests > 0 {
		s.ErrorRate = float64(s.Errors) / float64(s.Requests)
	}
	if l := d.Latencies[v]; len(l) > 0 {
		s.P50, s.P95, s.P99 = round3(Quantile(l, 0.50)), round3(Quantile(l, 0.95)), round3(Quantile(l, 0.99))
	}
	return s
}

func round3(f float64) float64 { return math.Round(f*1000) / 1000 }

// JudgeRoute applies the thresholds to one route's samples.
func (t Thresholds) JudgeRoute(d RouteData) RouteReport {
	r := RouteReport{Route: d.Route, Verdict: Pass, Baseline: summarize(d, Baseline), Candidate: summarize(d, Candidate)}
	for v := range 2 {
		r.MissingSamples[v] = max(0, t.MinSamples-len(d.Latencies[v]), t.MinSamples-d.Requests[v])
	}
	if d.Requests[Baseline] >= t.MinSamples && d.Requests[Candidate] >= t.MinSamples {
		e := TwoProportionZ(d.Errors[Baseline], d.Requests[Baseline], d.Errors[Candidate], d.Requests[Candidate])
		r.Errors = &e
		r.raise(t.errorVerdict(e))
	}
	if len(d.Latencies[Baseline]) >= t.MinSamples && len(d.Latencies[Candidate]) >= t.MinSamples {
		mw := MannWhitneyU(d.Latencies[Baseline], d.Latencies[Candidate])
		r.Latency = &mw
		r.raise(t.latencyVerdict(mw, Quantile(d.Latencies[Baseline], 0.5)))
	}
	if r.Latency == nil && r.Errors == nil {
		r.Verdict = Insufficient
		r.Reasons = append(r.Reasons, fmt.Sprintf("too little traffic: needs %d more requests on the baseline and %d more on the candidate (at least %d each)", r.MissingSamples[Baseline], r.MissingSamples[Candidate], t.MinSamples))
	}
	return r
}

// raise records a finding and keeps the worst verdict.
func (r *RouteReport) raise(verdict, reason string) {
	if reason != "" {
		r.Reasons = append(r.Reasons, reason)
	}
	if rank(verdict) > rank(r.Verdict) {
		r.Verdict = verdict
	}
}

func rank(v string) int {
	switch v {
	case Marginal:
		return 1
	case Fail:
		return 2
	}
	return 0
}

// latencyVerdict judges the candidate's latency against the baseline's.
func (t Thresholds) latencyVerdict(mw MannWhitney, baseMedian float64) (string, string) {
	minShift := max(t.MinShiftMs, t.MinShiftFraction*baseMedian)
	numbers := fmt.Sprintf("latency: candidate slower by %.2f ms (Hodges-Lehmann), Cliff's delta %.2f, Mann-Whitney p=%.2g", mw.Shift, mw.CliffsDelta, mw.P)
	switch {
	case mw.P < t.FailP && mw.CliffsDelta >= t.FailDelta && mw.Shift >= minShift:
		return Fail, numbers
	case mw.P < t.MarginalP && mw.CliffsDelta >= t.MarginalDelta && mw.Shift >= minShift/2:
		return Marginal, numbers
	}
	return Pass, ""
}

// errorVerdict judges the candidate's error rate against the baseline's.
func (t Thresholds) errorVerdict(e TwoProportion) (string, string) {
	numbers := fmt.Sprintf("errors: candidate %.2f%% vs baseline %.2f%% (+%.2f points), two-proportion z=%.2f, p=%.2g", 100*e.RateY, 100*e.RateX, 100*e.Diff, e.Z, e.PHigher)
	switch {
	case e.PHigher < t.FailP && e.Diff >= t.FailErrorDiff:
		return Fail, numbers
	case e.PHigher < t.MarginalP && e.Diff >= t.MarginalErrorDiff:
		return Marginal, numbers
	}
	return Pass, ""
}
