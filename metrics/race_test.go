//go:build race

package metrics_test

// raceEnabled: the race detector instruments code with allocations of its
// own, so allocation counts are checked only without it.
const raceEnabled = true
