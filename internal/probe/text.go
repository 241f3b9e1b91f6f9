package probe

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/golocal/golocal/internal/lint"
	"github.com/golocal/golocal/internal/term"
)

// barWidth is the width of the timing waterfall in characters.
const barWidth = 40

// WriteText writes the human view: per hop the connection, the status and
// a waterfall bar per phase (like httpstat), then the findings grouped by
// severity with evidence, fix and reference, the score and grade, and the
// SLO. Colour comes from p (only on a terminal, never with NO_COLOR).
// rep.Error, when set, is left out: it is a diagnostic that `golocal probe`
// prints once, on stderr, with exit code 3.
func WriteText(w io.Writer, rep *Report, p term.Palette) error {
	ew := &errWriter{w: w}
	for _, n := range rep.Notes {
		ew.printf("%s\n", p.Dim("note: "+n))
	}
	for i, h := range rep.Hops {
		if len(rep.Hops) > 1 {
			ew.printf("%s\n", p.Bold(fmt.Sprintf("hop %d/%d", i+1, len(rep.Hops))))
		}
		writeHop(ew, h, p)
	}
	if rep.Stats != nil {
		ew.printf("\n%s\n", p.Bold(fmt.Sprintf("over %d runs (final hop)", rep.Stats[PhaseTotal].N)))
		ew.printf("  %-14s %10s %10s %10s %10s\n", "phase", "min", "median", "p90", "max")
		for _, ph := range Phases {
			s := rep.Stats[ph]
			ew.printf("  %-14s %10s %10s %10s %10s\n", ph, fmtMS(s.Min), fmtMS(s.Median), fmtMS(s.P90), fmtMS(s.Max))
		}
	}
	// A failed request is not repeated here: the command prints its
	// message once, on stderr (see WriteText's doc).
	if rep.Lint != nil {
		writeLint(ew, rep.Lint, p)
	}
	if len(rep.SLO) > 0 {
		ew.printf("\n%s\n", p.Bold("SLO"))
		for _, s := range rep.SLO {
			mark := p.Green("ok    ")
			if !s.OK {
				mark = p.Red("BREACH")
			}
			ew.printf("  %s %-14s %s (%s) <= %s\n", mark, s.Phase, fmtMS(s.Value), s.Of, fmtMS(s.Limit))
		}
	}
	return ew.err
}

func fmtMS(v ms) string {
	return fmt.Sprintf("%.2fms", float64(time.Duration(v).Microseconds())/1000)
}

func writeHop(ew *errWriter, h HopJSON, p term.Palette) {
	ew.printf("%s %s\n", p.Cyan(h.Method), p.Cyan(h.URL))
	if h.RemoteAddr != "" {
		ew.printf("connected to %s from %s\n", h.RemoteAddr, h.LocalAddr)
	}
	if h.TLS != nil {
		ew.printf("%s, %s, ALPN %s\n", h.TLS.Version, h.TLS.Cipher, orDash(h.TLS.ALPN))
		for i, c := range h.TLS.Chain {
			ew.printf("  cert %d: %s (issuer %s), expires %s (%d days)", i, c.Subject, c.Issuer, c.NotAfter.Format(time.DateOnly), c.DaysLeft)
			if len(c.SANs) > 0 {
				ew.printf(", SANs %s", strings.Join(c.SANs, " "))
			}
			ew.printf("\n")
		}
		for _, w := range h.TLS.Warnings {
			ew.printf("  %s %s\n", p.Yellow("warn:"), w)
		}
	}
	if h.Status != 0 || h.ClientError != "" {
		status := fmt.Sprintf("%s %d", h.Proto, h.Status)
		if h.Status == 0 {
			status = h.Proto + " (refused by Go's client)"
		}
		ew.printf("%s  head %d B, body %d B", p.Bold(status), h.HeadBytes, h.BodyBytes)
		if h.WireBytes > 0 {
			ew.printf(", %d B on the wire", h.WireBytes)
		}
		ew.printf("\n")
		for _, f := range h.Headers {
			ew.printf("  %s: %s\n", p.Dim(f.Name), f.Value)
		}
	}
	if h.ClientError != "" {
		ew.printf("%s %s\n", p.Yellow("Go's net/http refused this response:"), h.ClientError)
	}
	for _, e := range h.RawErrors {
		ew.printf("  %s %s\n", p.Dim("raw:"), e)
	}
	writeBars(ew, h, p)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// writeBars draws one line per phase: its cumulative time, its own
// duration, and a bar placed where it happened within the total.
func writeBars(ew *errWriter, h HopJSON, p term.Palette) {
	if h.Timings[PhaseConnect] == 0 {
		// Nothing connected: a table of dashes says nothing. A lookup
		// that ran is still worth its line.
		if h.DNS && h.Timings[PhaseNameLookup] > 0 {
			ew.printf("  namelookup %s; nothing connected\n", fmtMS(h.Timings[PhaseNameLookup]))
		}
		return
	}
	end := time.Duration(h.Timings[PhaseTotal])
	prev := time.Duration(0)
	for _, ph := range Phases {
		if end < time.Duration(h.Timings[ph]) {
			end = time.Duration(h.Timings[ph])
		}
	}
	ew.printf("\n  %-14s %10s %10s\n", "phase", "at", "took")
	for _, ph := range Phases {
		at := time.Duration(h.Timings[ph])
		if at == 0 {
			label := "-"
			if ph == PhaseAppConnect && h.TLS == nil {
				label = "(no TLS)"
			}
			ew.printf("  %-14s %10s %10s\n", ph, label, "")
			continue
		}
		took := max(at-prev, 0)
		from, to := scale(prev, end), scale(at, end)
		if to == from && to < barWidth {
			to++
		}
		bar := strings.Repeat(" ", from) + strings.Repeat("█", to-from) + strings.Repeat(" ", max(barWidth-to, 0))
		ew.printf("  %-14s %10s %10s |%s|\n", ph, fmtMS(ms(at)), "+"+fmtMS(ms(took)), p.Cyan(bar))
		prev = at
	}
	if h.FirstInterim != nil {
		ew.printf("  %-14s %10s\n", "first 1xx", fmtMS(*h.FirstInterim))
	}
	ew.printf("\n")
}

func scale(d, end time.Duration) int {
	if end <= 0 {
		return 0
	}
	return min(barWidth, int(int64(d)*barWidth/int64(end)))
}

func writeLint(ew *errWriter, rep *lint.Report, p term.Palette) {
	groups := []struct {
		sev   lint.Severity
		title string
		paint func(string) string
	}{{lint.Error, "errors", p.Red}, {lint.Warn, "warnings", p.Yellow}, {lint.Info, "info", p.Dim}}
	for _, g := range groups {
		n := rep.Count(g.sev)
		if n == 0 {
			continue
		}
		ew.printf("%s\n", g.paint(fmt.Sprintf("%s (%d)", g.title, n)))
		for _, f := range rep.Findings {
			if f.Severity != g.sev {
				continue
			}
			ew.printf("  %s %s\n", g.paint(f.Rule), f.Message)
			if f.Evidence != "" {
				ew.printf("      evidence:  %s\n", f.Evidence)
			}
			ew.printf("      fix:       %s\n", f.Fix)
			if f.Link != "" {
				ew.printf("      reference: %s — %s\n", f.Reference, f.Link)
			} else {
				ew.printf("      reference: %s\n", f.Reference)
			}
		}
	}
	if len(rep.Findings) == 0 {
		ew.printf("%s\n", p.Green("no findings"))
	}
	if len(rep.Skipped) > 0 {
		ew.printf("%s\n", p.Dim(fmt.Sprintf("%d rules not evaluated on this response (--json lists them with the reason)", len(rep.Skipped))))
	}
	grade := rep.Grade
	switch {
	case strings.HasPrefix(grade, "A"):
		grade = p.Green(grade)
	case strings.HasPrefix(grade, "B"), strings.HasPrefix(grade, "C"):
		grade = p.Yellow(grade)
	default:
		grade = p.Red(grade)
	}
	ew.printf("\n%s %d/100, grade %s (HTTP Observatory scheme; %d with bonuses)\n", p.Bold("score"), rep.Score, grade, rep.ObservatoryScore)
	// Say where the points went: a grade without its reasons sends people to
	// the Observatory's documentation to reverse-engineer it.
	for _, t := range rep.Tests {
		if t.Modifier < 0 {
			fix := ""
			if len(t.Rules) > 0 {
				fix = " (fix: see " + strings.Join(t.Rules, " / ") + " above)"
			}
			ew.printf("  %s %s: %s%s\n", p.Red(fmt.Sprintf("%+d", t.Modifier)), t.Name, t.Result, fix)
		}
	}
	if httpOnly(rep) {
		ew.printf("  %s\n", p.Dim("plain http: the HTTPS tests (redirection, strict-transport-security) cannot pass here; probe the deployed https:// URL for the grade users will see"))
	}
	for _, s := range rep.Stricter {
		ew.printf("  %s\n", p.Dim(s))
	}
}

// httpOnly reports whether the probed URL was plain http (the Observatory's
// HSTS test says so), which is how every local development server answers.
func httpOnly(rep *lint.Report) bool {
	for _, t := range rep.Tests {
		if t.Result == "hsts-not-implemented-no-https" {
			return true
		}
	}
	return false
}

// errWriter keeps the first write error so the printing code stays flat.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) printf(format string, args ...any) {
	if e.err == nil {
		_, e.err = fmt.Fprintf(e.w, format, args...)
	}
}
