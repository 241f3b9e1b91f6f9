package canary

import (
	"math"
	"slices"
)

// This file holds the statistics the verdict stands on, written out rather
// than imported so that every number in a report can be traced to a
// formula:
//
//   - the Mann-Whitney U test (Wilcoxon rank-sum) on latency samples, with
//     average ranks for ties, the tie-corrected variance and the normal
//     approximation with a continuity correction, two-sided [Mann-Whitney];
//   - Cliff's delta and the Hodges-Lehmann shift as effect sizes, because a
//     p-value alone says nothing of how much slower [Cliff];
//   - the pooled two-proportion z-test on error rates [NIST two-proportion].
//
// [Mann-Whitney]: https://en.wikipedia.org/wiki/Mann%E2%80%93Whitney_U_test#Normal_approximation_and_tie_correction
// [Cliff]: https://en.wikipedia.org/wiki/Effect_size#Cliff's_delta
// [NIST two-proportion]: https://www.itl.nist.gov/div898/handbook/prc/section3/prc33.htm

// MannWhitney is the result of a Mann-Whitney U test of y against x.
type MannWhitney struct {
	// U is the statistic of y: the number of (x, y) pairs with y > x, ties
	// counting one half. Ux = NX*NY - U.
	U float64 `json:"u"`
	// Z is the normal approximation's statistic (continuity-corrected,
	// tie-corrected variance); positive when y tends to be larger.
	Z float64 `json:"z"`
	// P is the two-sided p-value.
	P float64 `json:"p"`
	// CliffsDelta is P(y > x) − P(y < x), from −1 to 1; positive when y
	// tends to be larger. |δ| ≥ 0.147 is small, ≥ 0.33 medium, ≥ 0.474
	// large (Romano et al., 2006).
	CliffsDelta float64 `json:"cliffs_delta"`
	// Shift is the Hodges-Lehmann estimate of y − x: the median of the
	// pairwise differences.
	Shift float64 `json:"shift"`
}

// MannWhitneyU tests whether y (the candidate) is stochastically larger or
// smaller than x (the baseline). Either sample empty gives NaN statistics
// and P = 1.
func MannWhitneyU(x, y []float64) MannWhitney {
	nx, ny := float64(len(x)), float64(len(y))
	if len(x) == 0 || len(y) == 0 {
		return MannWhitney{U: math.NaN(), Z: math.NaN(), P: 1, CliffsDelta: math.NaN(), Shift: math.NaN()}
	}
	rankSumY, tieTerm := rankSum(x, y)
	u := rankSumY - ny*(ny+1)/2
	n := nx + ny
	mean := nx * ny / 2
	variance := nx * ny / 12 * ((n + 1) - tieTerm/(n*(n-1)))
	res := MannWhitney{U: u, CliffsDelta: 2*u/(nx*ny) - 1, Shift: hodgesLehmann(x, y)}
	if variance <= 0 || math.IsNaN(variance) {
		// Every value equal (or one value each): nothing tells them apart.
		res.P = 1
		return res
	}
	d := u - mean
	switch {
	case d > 0.5:
		d -= 0.5
	case d < -0.5:
		d += 0.5
	default:
		d = 0
	}
	res.Z = d / math.Sqrt(variance)
	res.P = math.Erfc(math.Abs(res.Z) / math.Sqrt2)
	return res
}

// rankSum ranks x and y together (ties get their average rank) and returns
// the sum of y's ranks and Σ(t³ − t) over groups of t tied values.
func rankSum(x, y []float64) (sumY, tieTerm float64) {
	type obs struct {
		v    float64
		from int8 // 0 x, 1 y
	}
	all := make([]obs, 0, len(x)+len(y))
	for _, v := range x {
		all = append(all, obs{v, 0})
	}
	for _, v := range y {
		all = append(all, obs{v, 1})
	}
	slices.SortFunc(all, func(a, b obs) int {
		switch {
		case a.v < b.v:
			return -1
		case a.v > b.v:
			return 1
		}
		return 0
	})
	for i := 0; i < len(all); {
		j := i + 1
		for j < len(all) && all[j].v == all[i].v {
			j++
		}
		// Positions i..j-1 are tied: ranks i+1..j, average (i+1+j)/2.
		avg := float64(i+1+j) / 2
		for k := i; k < j; k++ {
			if all[k].from == 1 {
				sumY += avg
			}
		}
		t := float64(j - i)
		tieTerm += t*t*t - t
		i = j
	}
	return sumY, tieTerm
}

// maxPairs bounds the pairwise differences the Hodges-Lehmann shift looks
// at; larger samples are thinned to evenly spaced order statistics first,
// which keeps the median of differences within a quantile step of the
// exact one.
const maxPairs = 1 << 20

// hodgesLehmann is the median of y[j] − x[i] over all pairs.
func hodgesLehmann(x, y []float64) float64 {
	xs, ys := slices.Sorted(slices.Values(x)), slices.Sorted(slices.Values(y))
	for len(xs)*len(ys) > maxPairs {
		if len(xs) >= len(ys) {
			xs = thin(xs)
		} else {
			ys = thin(ys)
		}
	}
	diffs := make([]float64, 0, len(xs)*len(ys))
	for _, b := range ys {
		for _, a := range xs {
			diffs = append(diffs, b-a)
		}
	}
	slices.Sort(diffs)
	return medianSorted(diffs)
}

// thin keeps every other order statistic of a sorted sample.
func thin(s []float64) []float64 {
	out := make([]float64, 0, (len(s)+1)/2)
	for i := 0; i < len(s); i += 2 {
		out = append(out, s[i])
	}
	return out
}

func medianSorted(s []float64) float64 {
	n := len(s)
	if n == 0 {
		return math.NaN()
	}
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// Quantile is the q-th quantile (0..1) of a sorted sample, interpolated
// linearly between order statistics (type 7, the default of R and NumPy).
func Quantile(sorted []float64, q float64) float64 {
	n := len(sorted)
	if n == 0 {
		return math.NaN()
	}
	h := q * float64(n-1)
	lo := int(math.Floor(h))
	if lo >= n-1 {
		return sorted[n-1]
	}
	return sorted[lo] + (h-float64(lo))*(sorted[lo+1]-sorted[lo])
}

// TwoProportion is the result of a pooled two-proportion z-test of the
// candidate's error rate against the baseline's.
type TwoProportion struct {
	// RateX and RateY are the baseline's and the candidate's rates.
	RateX float64 `json:"rate_baseline"`
	RateY float64 `json:"rate_candidate"`
	// Diff is RateY − RateX, the absolute difference (the effect size).
	Diff float64 `json:"diff"`
	// Z is positive when the candidate's rate is higher.
	Z float64 `json:"z"`
	// P is the two-sided p-value; PHigher the one-sided p-value of "the
	// candidate's rate is higher".
	P       float64 `json:"p"`
	PHigher float64 `json:"p_higher"`
}

// TwoProportionZ tests errors ex of nx requests against ey of ny. With no
// requests on a side, or no errors at all, P is 1.
func TwoProportionZ(ex, nx, ey, ny int) TwoProportion {
	r := TwoProportion{P: 1, PHigher: 1}
	if nx <= 0 || ny <= 0 {
		return r
	}
	r.RateX, r.RateY = float64(ex)/float64(nx), float64(ey)/float64(ny)
	r.Diff = r.RateY - r.RateX
	pooled := float64(ex+ey) / float64(nx+ny)
	se := math.Sqrt(pooled * (1 - pooled) * (1/float64(nx) + 1/float64(ny)))
	if se == 0 {
		return r
	}
	r.Z = r.Diff / se
	r.P = math.Erfc(math.Abs(r.Z) / math.Sqrt2)
	r.PHigher = math.Erfc(r.Z/math.Sqrt2) / 2
	return r
}
