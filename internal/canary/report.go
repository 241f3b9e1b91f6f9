package canary

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/golocal/golocal/internal/term"
)

// SchemaVersion is the version of the --json report (docs/canary-json.md).
const SchemaVersion = 1

// Report is the whole judgement, as --json prints it.
type Report struct {
	SchemaVersion int    `json:"schema_version"`
	Verdict       string `json:"verdict"`
	// Reasons explain the verdict in sentences, worst first.
	Reasons  []string         `json:"reasons"`
	Routing  string           `json:"routing"`
	Versions [2]VersionReport `json:"versions"`
	// Identical is set when both executables are the same bytes.
	Identical bool `json:"identical"`
	// Crash names a version that ended during the run.
	Crash           *Crash          `json:"crash,omitempty"`
	Overall         RouteReport     `json:"overall"`
	Routes          []RouteReport   `json:"routes"`
	Mirror          []RouteDiffs    `json:"mirror,omitempty"`
	Thresholds      Thresholds      `json:"thresholds"`
	DurationSeconds float64         `json:"duration_seconds"`
	Timeline        []TimelinePoint `json:"timeline"`
}

// VersionReport describes one version.
type VersionReport struct {
	Name   string `json:"name"`
	Source string `json:"source"`
	SHA256 string `json:"sha256,omitempty"`
	PID    int    `json:"pid"`
	URL    string `json:"url,omitempty"`
	Admin  string `json:"admin,omitempty"`
	Scrape Scrape `json:"metrics"`
}

// Crash is a version that ended while it was being compared.
type Crash struct {
	Version string `json:"version"`
	How     string `json:"how"`
	// Output is the end of what the version printed.
	Output string `json:"output"`
}

// TimelinePoint is one second of traffic per version.
type TimelinePoint struct {
	Second   int    `json:"second"`
	Requests [2]int `json:"requests"`
	Errors   [2]int `json:"errors"`
}

// Judge turns what was recorded into a report: each route judged, the
// error rate over all routes judged, a crash or too little traffic said.
func (t Thresholds) Judge(routes []RouteData, timeline []bucket, crash *Crash) Report {
	rep := Report{SchemaVersion: SchemaVersion, Thresholds: t, Crash: crash, Routes: []RouteReport{}}
	var all RouteData
	all.Route = "all routes"
	for _, d := range routes {
		rep.Routes = append(rep.Routes, t.JudgeRoute(d))
		for v := range 2 {
			all.Requests[v] += d.Requests[v]
			all.Errors[v] += d.Errors[v]
		}
	}
	// Over all routes only the error rate is judged: latencies of
	// different routes are different distributions.
	rep.Overall = t.JudgeRoute(RouteData{Route: all.Route, Requests: all.Requests, Errors: all.Errors})
	rep.Overall.Reasons = nil
	if rep.Overall.Errors != nil {
		v, reason := t.errorVerdict(*rep.Overall.Errors)
		rep.Overall.Verdict = v
		if reason != "" {
			rep.Overall.Reasons = []string{reason}
		}
	}
	for i, b := range timeline {
		rep.Timeline = append(rep.Timeline, TimelinePoint{Second: i, Requests: b.Requests, Errors: b.Errors})
	}
	rep.Verdict, rep.Reasons = t.overall(rep)
	return rep
}

// overall decides the run's verdict from its parts.
func (t Thresholds) overall(rep Report) (string, []string) {
	var fails, marginals []string
	if rep.Crash != nil {
		fails = append(fails, fmt.Sprintf("the %s crashed during the run: it %s", rep.Crash.Version, rep.Crash.How))
	}
	if rep.Overall.Verdict == Fail {
		fails = append(fails, "all routes: "+strings.Join(rep.Overall.Reasons, "; "))
	} else if rep.Overall.Verdict == Marginal {
		marginals = append(marginals, "all routes: "+strings.Join(rep.Overall.Reasons, "; "))
	}
	judged := 0
	for _, r := range rep.Routes {
		switch r.Verdict {
		case Fail:
			fails = append(fails, r.Route+": "+strings.Join(r.Reasons, "; "))
		case Marginal:
			marginals = append(marginals, r.Route+": "+strings.Join(r.Reasons, "; "))
		}
		if r.Latency != nil {
			judged++
		}
	}
	if len(fails) > 0 {
		return Fail, append(fails, marginals...)
	}
	if judged == 0 {
		return Inconclusive, []string{t.missing(rep)}
	}
	if len(marginals) > 0 {
		return Marginal, marginals
	}
	return Pass, []string{fmt.Sprintf("%d of %d routes judged, none worse", judged, len(rep.Routes))}
}

// missing says how much more traffic a verdict needs.
func (t Thresholds) missing(rep Report) string {
	if len(rep.Routes) == 0 {
		return fmt.Sprintf("too little traffic for a verdict: no request reached the versions; each needs at least %d on a route", t.MinSamples)
	}
	best := rep.Routes[0]
	for _, r := range rep.Routes[1:] {
		if r.MissingSamples[0]+r.MissingSamples[1] < best.MissingSamples[0]+best.MissingSamples[1] {
			best = r
		}
	}
	return fmt.Sprintf("too little traffic for a verdict: no route has %d successful requests on each version; the closest, %s, needs %d more on the baseline and %d more on the candidate",
		t.MinSamples, best.Route, best.MissingSamples[Baseline], best.MissingSamples[Candidate])
}

// WriteText prints the report as a table with the verdict and its reasons.
func WriteText(w io.Writer, rep Report, p term.Palette) error {
	var b strings.Builder
	writeTable(&b, rep, p)
	if len(rep.Mirror) > 0 {
		writeMirror(&b, rep.Mirror)
	}
	fmt.Fprintf(&b, "\nverdict: %s\n", paintVerdict(p, rep.Verdict))
	for _, r := range rep.Reasons {
		fmt.Fprintf(&b, "  %s\n", r)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeTable prints one line per route and version.
func writeTable(b *strings.Builder, rep Report, p term.Palette) {
	tw := tabwriter.NewWriter(b, 2, 8, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "route\tversion\treqs\terr%\tp50 ms\tp95 ms\tp99 ms\tverdict\t")
	for _, r := range rep.Routes {
		for v, s := range [2]LatencySummary{r.Baseline, r.Candidate} {
			name, verdict := r.Route, paintVerdict(p, r.Verdict)
			if v == 1 {
				name, verdict = "", ""
			}
			fmt.Fprintf(tw, "%s\t%s\t%d\t%.1f\t%.2f\t%.2f\t%.2f\t%s\t\n", name, Version(v), s.Requests, 100*s.ErrorRate, s.P50, s.P95, s.P99, verdict)
		}
	}
	tw.Flush()
	for v, vr := range rep.Versions {
		if db := vr.Scrape.DB; db != nil {
			fmt.Fprintf(b, "%s db: pool %.0f/%.0f in use (peak %.0f%%), waited %.0f times %.3fs", Version(v), db.InUse, db.MaxOpen, 100*db.PeakSaturation, db.WaitCount, db.WaitSeconds)
			if db.QueryMetric != "" {
				fmt.Fprintf(b, ", query mean %.2f ms over %.0f", db.QueryMeanMs, db.QueryCount)
			}
			b.WriteByte('\n')
		}
	}
}

func writeMirror(b *strings.Builder, mirror []RouteDiffs) {
	b.WriteString("\nmirror comparison (baseline answered, candidate compared):\n")
	for _, m := range mirror {
		fmt.Fprintf(b, "  %s: %d of %d answers differed\n", m.Route, m.Differed, m.Compared)
		for _, d := range m.Examples {
			fmt.Fprintf(b, "    %s: baseline %s, candidate %s\n", d.Field, d.Baseline, d.Candidate)
		}
	}
}

func paintVerdict(p term.Palette, v string) string {
	switch v {
	case Pass:
		return p.Green(v)
	case Marginal, Insufficient:
		return p.Yellow(v)
	case Fail, Inconclusive:
		return p.Red(v)
	}
	return v
}

// Live redraws a block of lines in place on a terminal: each Draw moves the
// cursor up over the previous block and clears it first.
type Live struct {
	w     io.Writer
	lines int
}

// NewLive draws on w.
func NewLive(w io.Writer) *Live { return &Live{w: w} }

// Draw replaces the previous block with text.
func (l *Live) Draw(text string) {
	var b strings.Builder
	if l.lines > 0 {
		fmt.Fprintf(&b, "\x1b[%dA\x1b[J", l.lines)
	}
	b.WriteString(text)
	l.lines = strings.Count(text, "\n")
	_, _ = io.WriteString(l.w, b.String())
}
