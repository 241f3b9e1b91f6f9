package deploy

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/golocal/golocal/metrics"
)

// SLO are the service level objectives the alert rules defend, per route.
type SLO struct {
	// Availability is the share of requests that must not fail with a
	// 5xx, in percent: 99.9 leaves an error budget of 0.1 %.
	Availability float64
	// Latency is the threshold that Percentile percent of requests must
	// beat; it is a bucket boundary of the duration histogram.
	Latency time.Duration
	// Percentile is the latency objective's percentile (99 for p99).
	Percentile float64
}

// DefaultSLO is availability=99.9,latency=250ms@p99.
var DefaultSLO = SLO{Availability: 99.9, Latency: 250 * time.Millisecond, Percentile: 99}

// String is the --slo form.
func (s SLO) String() string {
	return fmt.Sprintf("availability=%s,latency=%s@p%s", trimFloat(s.Availability), s.Latency, trimFloat(s.Percentile))
}

func trimFloat(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// ParseSLO reads --slo: comma-separated availability=PERCENT and
// latency=DURATION@pPERCENTILE; what is left out keeps [DefaultSLO]'s
// value. The latency threshold must be a bucket boundary of the kit's
// duration histogram ([metrics.DefaultBuckets]), since the rules count
// requests at or under it from that bucket.
func ParseSLO(s string) (SLO, error) {
	slo := DefaultSLO
	seen := map[string]bool{}
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		key, val, ok := strings.Cut(part, "=")
		key = strings.TrimSpace(key)
		if !ok {
			return SLO{}, fmt.Errorf("slo %q: want KEY=VALUE, e.g. availability=99.9 or latency=250ms@p99", part)
		}
		if seen[key] {
			return SLO{}, fmt.Errorf("slo: %s is given twice", key)
		}
		seen[key] = true
		var err error
		switch key {
		case "availability":
			slo.Availability, err = parsePercent("availability", strings.TrimSuffix(strings.TrimSpace(val), "%"))
		case "latency":
			slo.Latency, slo.Percentile, err = parseLatency(strings.TrimSpace(val))
		default:
			err = fmt.Errorf("slo: unknown objective %q: use availability=PERCENT and latency=DURATION@pPERCENTILE", key)
		}
		if err != nil {
			return SLO{}, err
		}
	}
	return slo, nil
}

// parsePercent accepts 0 < p < 100: 100 % leaves no error budget (every
// error would page) and 0 % promises nothing.
func parsePercent(what, s string) (float64, error) {
	p, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(p) || math.IsInf(p, 0) {
		return 0, fmt.Errorf("slo %s %q is not a number: write a percentage such as 99.9", what, s)
	}
	if p <= 0 || p >= 100 {
		return 0, fmt.Errorf("slo %s %s%% is out of range: it must be above 0 and below 100 (100%% leaves no error budget, so every error would page); try 99.9", what, s)
	}
	if 100-p < 1e-4 {
		return 0, fmt.Errorf("slo %s %s%% leaves an error budget under 0.0001%%: no traffic can measure it; try 99.99", what, s)
	}
	return p, nil
}

func parseLatency(s string) (time.Duration, float64, error) {
	d, pct, ok := strings.Cut(s, "@")
	if !ok {
		return 0, 0, fmt.Errorf("slo latency %q has no percentile: write it as DURATION@pPERCENTILE, e.g. 250ms@p99", s)
	}
	lat, err := time.ParseDuration(strings.TrimSpace(d))
	if err != nil || lat <= 0 {
		return 0, 0, fmt.Errorf("slo latency %q: %q is not a positive duration such as 250ms", s, d)
	}
	pct = strings.TrimSpace(pct)
	if !strings.HasPrefix(pct, "p") {
		return 0, 0, fmt.Errorf("slo latency %q: the percentile %q must look like p99 or p99.9", s, pct)
	}
	p, err := parsePercent("latency percentile", pct[1:])
	if err != nil {
		return 0, 0, err
	}
	if !slices.Contains(metrics.DefaultBuckets, lat.Seconds()) {
		return 0, 0, fmt.Errorf("slo latency %s is not a bucket boundary of the request duration histogram, so no rule can count requests under it; use one of %s", lat, bucketList())
	}
	return lat, p, nil
}

func bucketList() string {
	var b []string
	for _, s := range metrics.DefaultBuckets {
		b = append(b, time.Duration(s*float64(time.Second)).String())
	}
	return strings.Join(b, ", ")
}

// errorBudget is the allowed failing share of the availability objective.
func (s SLO) errorBudget() float64 { return 1 - s.Availability/100 }

// latencyBudget is the allowed share of requests slower than Latency.
func (s SLO) latencyBudget() float64 { return 1 - s.Percentile/100 }
