package canary

import (
	"math"
	"testing"
)

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

// Published and hand-computed Mann-Whitney values.
func TestMannWhitneyU(t *testing.T) {
	for _, tc := range []struct {
		name     string
		x, y     []float64
		u, p     float64
		delta    float64
		shift    float64
		pTol     float64
		wantPOne bool
	}{
		// SciPy's documentation example (mannwhitneyu, males vs females,
		// method="asymptotic"): U1 = 17, p = 0.11134688653314041.
		{name: "scipy example", x: []float64{20, 11, 17, 12}, y: []float64{19, 22, 16, 29, 24}, u: 17, p: 0.11134688653314041, delta: 2*17.0/20 - 1, shift: 7, pTol: 1e-12},
		// Complete separation, n = 3 + 3: U = 9, mean 4.5, variance
		// 9/12*7 = 5.25, z = (9-4.5-0.5)/sqrt(5.25) = 1.7457,
		// p = erfc(1.7457/√2) = 0.080856.
		{name: "separated", x: []float64{1, 2, 3}, y: []float64{4, 5, 6}, u: 9, p: 0.0808556, delta: 1, shift: 3, pTol: 1e-6},
		// Ties: x = 1 1 2, y = 2 3 3. Ranks: 1,1 → 1.5; 2,2 → 3.5;
		// 3,3 → 5.5. R_y = 3.5+5.5+5.5 = 14.5, U = 14.5 - 6 = 8.5.
		// Tie term Σ(t³-t) = 6*3 = 18; variance = 9/12*(7 - 18/30) = 4.8;
		// z = (8.5-4.5-0.5)/sqrt(4.8) = 1.59752; p = 0.110149. Pairwise
		// differences 0,1,1,1,1,2,2,2,2: median 1.
		{name: "ties", x: []float64{1, 1, 2}, y: []float64{2, 3, 3}, u: 8.5, p: 0.110149, delta: 2*8.5/9 - 1, shift: 1, pTol: 1e-5},
		{name: "all equal", x: []float64{5, 5, 5}, y: []float64{5, 5}, u: 3, p: 1, delta: 0, shift: 0, pTol: 0},
		{name: "same samples", x: []float64{1, 2, 3, 4}, y: []float64{1, 2, 3, 4}, u: 8, p: 1, delta: 0, shift: 0, pTol: 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := MannWhitneyU(tc.x, tc.y)
			if !near(got.U, tc.u, 1e-9) || !near(got.P, tc.p, tc.pTol) || !near(got.CliffsDelta, tc.delta, 1e-9) || !near(got.Shift, tc.shift, 1e-9) {
				t.Errorf("got %+v, want U=%v p=%v δ=%v shift=%v", got, tc.u, tc.p, tc.delta, tc.shift)
			}
		})
	}
}

func TestMannWhitneyEmptyAndSymmetry(t *testing.T) {
	if got := MannWhitneyU(nil, []float64{1}); got.P != 1 || !math.IsNaN(got.U) {
		t.Errorf("empty sample: %+v", got)
	}
	x, y := []float64{3, 1, 4, 1, 5, 9, 2, 6}, []float64{5, 3, 5, 8, 9, 7, 9, 3, 2}
	a, b := MannWhitneyU(x, y), MannWhitneyU(y, x)
	if !near(a.P, b.P, 1e-12) || !near(a.Z, -b.Z, 1e-12) || !near(a.CliffsDelta, -b.CliffsDelta, 1e-12) || !near(a.U+b.U, float64(len(x)*len(y)), 1e-9) {
		t.Errorf("swapping the samples is not symmetric: %+v vs %+v", a, b)
	}
}

func TestHodgesLehmannThinned(t *testing.T) {
	// 2000 × 2000 pairs exceed maxPairs: the thinned estimate must still
	// find a constant shift of 20.
	x, y := make([]float64, 2000), make([]float64, 2000)
	for i := range x {
		x[i] = float64(i%97) * 0.1
		y[i] = x[i] + 20
	}
	if s := hodgesLehmann(x, y); !near(s, 20, 0.11) {
		t.Errorf("shift %v, want 20", s)
	}
}

func TestTwoProportionZ(t *testing.T) {
	for _, tc := range []struct {
		name               string
		ex, nx, ey, ny     int
		z, p, pHigher, tol float64
	}{
		// 10/200 vs 30/200: pooled 0.1, se = sqrt(.1*.9*(2/200)) = 0.03,
		// z = 0.1/0.03 = 3.3333, p = erfc(3.3333/√2) = 0.000858,
		// one-sided 0.000429.
		{name: "more errors", ex: 10, nx: 200, ey: 30, ny: 200, z: 3.333333, p: 0.000858, pHigher: 0.000429, tol: 1e-6},
		// Fewer errors on the candidate: z negative, one-sided p near 1.
		{name: "fewer errors", ex: 30, nx: 200, ey: 10, ny: 200, z: -3.333333, p: 0.000858, pHigher: 0.999571, tol: 1e-6},
		{name: "no errors", ex: 0, nx: 100, ey: 0, ny: 100, z: 0, p: 1, pHigher: 1, tol: 0},
		{name: "no requests", ex: 0, nx: 0, ey: 1, ny: 10, z: 0, p: 1, pHigher: 1, tol: 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := TwoProportionZ(tc.ex, tc.nx, tc.ey, tc.ny)
			if !near(got.Z, tc.z, tc.tol) || !near(got.P, tc.p, tc.tol) || !near(got.PHigher, tc.pHigher, tc.tol) {
				t.Errorf("got %+v, want z=%v p=%v p_higher=%v", got, tc.z, tc.p, tc.pHigher)
			}
		})
	}
}

func TestQuantile(t *testing.T) {
	s := []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	for q, want := range map[float64]float64{0: 1, 0.5: 5.5, 0.95: 9.55, 0.99: 9.91, 1: 10} {
		if got := Quantile(s, q); !near(got, want, 1e-9) {
			t.Errorf("Quantile(%v) = %v, want %v", q, got, want)
		}
	}
	if !math.IsNaN(Quantile(nil, 0.5)) {
		t.Error("quantile of nothing is not NaN")
	}
}
