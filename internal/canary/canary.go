package canary

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/golocal/golocal/internal/term"
)

// Options describe one canary run.
type Options struct {
	Build BuildSpec
	// Run's Binary is filled from the build.
	Run     RunSpec
	Routing Routing
	// Addr is the front's address ("127.0.0.1:8080", "127.0.0.1:0").
	Addr string
	// Targets, RPS and LoadDuration generate traffic (--load, --replay);
	// without Targets the run waits for outside traffic until Duration
	// passes or ctx is done.
	Targets      []Target
	RPS          float64
	LoadDuration time.Duration
	Duration     time.Duration
	// IgnoreFields are JSON fields mirroring does not compare.
	IgnoreFields []string
	Thresholds   Thresholds
	// Log receives the banner and notes; Live, when set, a table redrawn
	// in place every second and the load's progress bar.
	Log     io.Writer
	Live    io.Writer
	Palette term.Palette
	// OnListening is called with the front's URL once it serves.
	OnListening func(front *url.URL)
}

// Run builds both versions, starts them, puts the front before them,
// sends or waits for traffic, and judges. Errors: *BuildError (a version
// did not build) and *StartError (one did not start) mean the comparison
// never ran; a crash during the run is a failing report, not an error.
func Run(ctx context.Context, o Options) (Report, error) {
	if o.Log == nil {
		o.Log = io.Discard
	}
	if o.Thresholds.MinSamples == 0 {
		o.Thresholds = DefaultThresholds
	}
	tmp, err := os.MkdirTemp("", "golocal-canary-")
	if err != nil {
		return Report{}, err
	}
	defer os.RemoveAll(tmp)
	o.Build.TempDir, o.Run.TempDir = tmp, tmp
	fmt.Fprintf(o.Log, "canary: building the baseline (%s) and the candidate (working tree)\n", o.Build.Baseline)
	built, err := BuildVersions(ctx, o.Build)
	if err != nil {
		return Report{}, err
	}
	if built.Identical {
		fmt.Fprintf(o.Log, "canary: %s\n", o.Palette.Yellow("the baseline and the candidate are identical binaries (sha256 "+built.SHA256[0][:12]+"); comparing anyway: any difference found is noise"))
	}
	o.Run.Binary = built.Binary
	versions, err := StartVersions(ctx, o.Run)
	if err != nil {
		return Report{}, err
	}
	s := newSession(o, built, versions)
	defer s.stopVersions()
	return s.run(ctx)
}

// session is one run after both versions serve.
type session struct {
	o        Options
	built    *Built
	versions [2]*Running
	rec      *Recorder
	router   *Router
	scraper  *Scraper
	front    *Front
	started  time.Time
	stopped  chan struct{}
	stopOnce sync.Once
	mu       sync.Mutex
	crash    *Crash
}

func newSession(o Options, built *Built, versions [2]*Running) *session {
	s := &session{o: o, built: built, versions: versions, router: &Router{}, started: time.Now(), stopped: make(chan struct{})}
	s.rec = NewRecorder(s.started)
	s.scraper = NewScraper([2]*url.URL{versions[0].Admin, versions[1].Admin}, s.router)
	s.front = NewFront(FrontOptions{Routing: o.Routing, Baseline: versions[0].Proc.URL(), Candidate: versions[1].Proc.URL(),
		Recorder: s.rec, Router: s.router, Diffs: NewDiffs(o.IgnoreFields), Page: PageHandler(s.state)})
	return s
}

// stopVersions stops both versions once; a version ending afterwards is
// not a crash.
func (s *session) stopVersions() {
	s.stopOnce.Do(func() { close(s.stopped) })
	var wg sync.WaitGroup
	for _, r := range s.versions {
		wg.Go(r.Proc.Stop)
	}
	wg.Wait()
}

func (s *session) run(ctx context.Context) (Report, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	Watch(s.versions, s.stopped, func(v Version, how string) {
		s.mu.Lock()
		s.crash = &Crash{Version: v.String(), How: how, Output: s.versions[v].Proc.Output()}
		s.mu.Unlock()
		cancel()
	})
	ln, err := net.Listen("tcp", s.o.Addr)
	if err != nil {
		return Report{}, fmt.Errorf("the front cannot listen on %s: %w; choose another address with --addr", s.o.Addr, err)
	}
	srv := &http.Server{Handler: s.front, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer func() {
		sctx, c := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer c()
		_ = srv.Shutdown(sctx)
		s.front.Close()
	}()
	frontURL := &url.URL{Scheme: "http", Host: ln.Addr().String()}
	s.banner(frontURL)
	s.scraper.Once(ctx)
	go s.scraper.Run(ctx, time.Second)
	if s.o.Live != nil {
		go s.live(ctx)
	}
	if s.o.OnListening != nil {
		s.o.OnListening(frontURL)
	}
	if err := s.traffic(ctx, frontURL); err != nil && ctx.Err() == nil {
		return Report{}, err
	}
	s.scraper.Once(context.WithoutCancel(ctx))
	s.stopVersions()
	return s.state().Report, nil
}

// traffic generates the load, or waits for outside traffic.
func (s *session) traffic(ctx context.Context, front *url.URL) error {
	if len(s.o.Targets) == 0 {
		var timeout <-chan time.Time
		if s.o.Duration > 0 {
			t := time.NewTimer(s.o.Duration)
			defer t.Stop()
			timeout = t.C
		}
		select {
		case <-ctx.Done():
		case <-timeout:
		}
		return nil
	}
	share := 0.5
	if s.o.Routing.Mode == ByWeight || s.o.Routing.Mode == Mirror {
		share = 0
	}
	lo := LoadOptions{Front: front, Targets: s.o.Targets, RPS: s.o.RPS, Duration: s.o.LoadDuration, Routing: s.o.Routing, CandidateShare: share}
	if s.o.Live != nil {
		lo.Progress = func(done, total int) {
			fmt.Fprintf(s.o.Live, "\r%s ", ProgressBar(done, total, 30))
			if done == total {
				fmt.Fprintln(s.o.Live)
			}
		}
	}
	return Load(ctx, lo)
}

func (s *session) banner(front *url.URL) {
	p := s.o.Palette
	fmt.Fprintf(s.o.Log, "canary: front on %s (page: %s%s)\n", p.Cyan(front.String()), front, PagePath)
	for v, r := range s.versions {
		admin := "none found"
		if r.Admin != nil {
			admin = r.Admin.String()
		}
		fmt.Fprintf(s.o.Log, "canary: %-9s %s on %s, admin %s\n", Version(v), s.built.Source[v], r.Proc.URL(), admin)
	}
	fmt.Fprintf(s.o.Log, "canary: routing: %s\n", s.o.Routing.Describe())
}

// live redraws the table every second until ctx is done.
func (s *session) live(ctx context.Context) {
	l := NewLive(s.o.Live)
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if len(s.o.Targets) > 0 {
			continue // the progress bar has the line; the table comes at the end
		}
		var b strings.Builder
		writeTable(&b, s.state().Report, s.o.Palette)
		l.Draw(b.String())
	}
}

// state is the report as it stands now.
func (s *session) state() State {
	routes, timeline := s.rec.Snapshot()
	s.mu.Lock()
	crash := s.crash
	s.mu.Unlock()
	rep := s.o.Thresholds.Judge(routes, timeline, crash)
	rep.Routing = s.o.Routing.Describe()
	rep.Identical = s.built.Identical
	rep.DurationSeconds = time.Since(s.started).Seconds()
	rep.Mirror = s.front.Diffs().Snapshot()
	scrapes := s.scraper.Last()
	for v, r := range s.versions {
		vr := VersionReport{Name: Version(v).String(), Source: s.built.Source[v], SHA256: s.built.SHA256[v], PID: r.Proc.Pid(), URL: r.Proc.URL().String(), Scrape: scrapes[v]}
		if r.Admin != nil {
			vr.Admin = r.Admin.String()
		}
		rep.Versions[v] = vr
	}
	return State{Report: rep, Routes: routes}
}

// IsSetupError reports whether err means a version could not be built or
// started (exit 3).
func IsSetupError(err error) bool {
	var be *BuildError
	var se *StartError
	return errors.As(err, &be) || errors.As(err, &se)
}
