package canary

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/golocal/golocal/internal/browsertest"
)

// startRun runs opts in the background and returns the front's URL and a
// function that ends the run and returns its report.
func startRun(t *testing.T, opts Options) (*url.URL, func() Report) {
	t.Helper()
	ready := make(chan *url.URL, 1)
	opts.OnListening = func(u *url.URL) { ready <- u }
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan Report, 1)
	go func() {
		rep, err := Run(ctx, opts)
		if err != nil {
			t.Error(err)
		}
		done <- rep
	}()
	select {
	case u := <-ready:
		return u, func() Report { cancel(); return <-done }
	case rep := <-done:
		cancel()
		t.Fatalf("the run ended before serving: %+v", rep)
	}
	return nil, nil
}

func get(t *testing.T, u string) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
}

func TestPageRendersInChromium(t *testing.T) {
	b := browsertest.New(t)
	opts := svcOptions(t, "SVC_SLOW_ROUTE=/about", "SVC_SLOW_MS=5")
	opts.Targets = nil
	front, finish := startRun(t, opts)
	defer finish()
	for range 80 {
		get(t, front.String()+"/about")
	}
	if err := b.Navigate(front.String() + PagePath); err != nil {
		t.Fatal(err)
	}
	if err := b.WaitFor(`document.querySelectorAll('path.dist-baseline, path.dist-candidate').length >= 2`, 10*time.Second); err != nil {
		t.Fatalf("the page has no overlaid distributions: %v", err)
	}
	lengths, err := browsertest.Eval[[]float64](b, `[...document.querySelectorAll('path.dist-baseline, path.dist-candidate')].map(p => p.getTotalLength())`)
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range lengths {
		if l < 100 {
			t.Errorf("distribution %d is drawn %v px long; want a visible shape", i, l)
		}
	}
	if n, err := browsertest.Eval[int](b, `document.querySelectorAll('polyline.err-baseline, polyline.err-candidate').length`); err != nil || n != 2 {
		t.Errorf("error-rate chart lines: %d (%v), want 2", n, err)
	}
	if errs := b.Errors(); len(errs) > 0 {
		t.Errorf("console errors: %v", errs)
	}
}
