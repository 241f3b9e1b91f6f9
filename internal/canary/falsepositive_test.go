package canary

import (
	"context"
	"io"
	"testing"
	"time"
)

// TestIdenticalBuildsPass runs the same binary as baseline and candidate
// 20 times (both started afresh each run, 1.5 s of load) and counts the
// verdicts: the acceptance bar is a false-positive rate of at most 5%, so
// at least 19 passes.
func TestIdenticalBuildsPass(t *testing.T) {
	if testing.Short() {
		t.Skip("20 runs; skipped with -short")
	}
	bin := builtSvc(t)
	const runs = 20
	passed := 0
	for i := range runs {
		tmp := t.TempDir()
		versions, err := StartVersions(context.Background(), RunSpec{Binary: [2]string{bin, bin}, Env: svcEnv(t), AdminEnv: "ADMIN_ADDR", TempDir: tmp, Grace: 2 * time.Second})
		if err != nil {
			t.Fatal(err)
		}
		o := Options{Routing: Routing{Mode: ByWeight, Weight: 50}, Addr: "127.0.0.1:0", Thresholds: DefaultThresholds,
			Targets: []Target{{"GET", "/"}, {"GET", "/items/1"}, {"GET", "/about"}}, RPS: 120, LoadDuration: 1500 * time.Millisecond, Log: io.Discard}
		s := newSession(o, &Built{Binary: [2]string{bin, bin}, Source: [2]string{"binary", "binary"}, Identical: true}, versions)
		rep, err := s.run(context.Background())
		s.stopVersions()
		if err != nil {
			t.Fatal(err)
		}
		if rep.Verdict == Pass || rep.Verdict == Marginal {
			passed++
		} else {
			t.Logf("run %d: %s %v", i+1, rep.Verdict, rep.Reasons)
		}
	}
	t.Logf("identical builds: %d of %d runs passed", passed, runs)
	if passed < runs-1 {
		t.Errorf("identical builds passed %d of %d runs; want at least %d (false-positive rate <= 5%%)", passed, runs, runs-1)
	}
}
