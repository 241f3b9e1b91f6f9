package verify

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"

	"github.com/golocal/golocal/internal/term"
)

// SchemaVersion is the version of the JSON report (docs/verify-json.md).
// It changes only when a field is removed or changes meaning.
const SchemaVersion = 1

// Report is the outcome of [Run] and the --json output.
type Report struct {
	SchemaVersion int      `json:"schema_version"`
	Facts         Facts    `json:"facts"`
	Results       []Result `json:"checks"`
	Summary       Summary  `json:"summary"`
	// Score is 100 × (passes + half the warnings) / checks that ran.
	Score int `json:"score"`
	// ExitCode is 0 when every required check that ran passed, else 1.
	ExitCode    int              `json:"exit_code"`
	Seconds     float64          `json:"seconds"`
	AreaSeconds map[Area]float64 `json:"area_seconds"`
}

// Summary counts results by status.
type Summary struct {
	Pass           int      `json:"pass"`
	Warn           int      `json:"warn"`
	Fail           int      `json:"fail"`
	NotRun         int      `json:"not_run"`
	RequiredFailed []string `json:"required_failed"`
}

func (r *Report) summarise() {
	r.Summary = Summary{RequiredFailed: []string{}}
	for _, c := range r.Results {
		switch c.Status {
		case Pass:
			r.Summary.Pass++
		case Warn:
			r.Summary.Warn++
		case Fail:
			r.Summary.Fail++
			r.Summary.RequiredFailed = append(r.Summary.RequiredFailed, c.ID)
		case NotRun:
			r.Summary.NotRun++
		}
	}
	if ran := r.Summary.Pass + r.Summary.Warn + r.Summary.Fail; ran > 0 {
		r.Score = (200*r.Summary.Pass + 100*r.Summary.Warn) / (2 * ran)
	}
	if r.Summary.Fail > 0 {
		r.ExitCode = 1
	}
}

// Failed returns the ids of the checks with status s.
func (r *Report) IDs(s Status) []string {
	var ids []string
	for _, c := range r.Results {
		if c.Status == s {
			ids = append(ids, c.ID)
		}
	}
	return ids
}

// WriteText prints the checklist grouped by area, then the summary line.
func WriteText(w io.Writer, r *Report, p term.Palette) error {
	var b strings.Builder
	fmt.Fprintf(&b, "golocal verify %s (profile %s)\n", r.Facts.URL, r.Facts.Profile)
	if r.Facts.AdminURL != "" {
		fmt.Fprintf(&b, "admin %s\n", r.Facts.AdminURL)
	}
	for _, area := range Areas {
		first := true
		for _, c := range r.Results {
			if c.Area != area {
				continue
			}
			if first {
				fmt.Fprintf(&b, "\n%s (%.1fs)\n", p.Bold(string(area)), r.AreaSeconds[area])
				first = false
			}
			writeResult(&b, c, p)
		}
	}
	drain := "not measured"
	if r.Facts.DrainSeconds != nil {
		drain = fmt.Sprintf("%.2fs", *r.Facts.DrainSeconds)
	}
	fmt.Fprintf(&b, "\n%d pass, %d warn, %d fail, %d not run; score %d/100; SIGTERM→exit %s; %.1fs\n",
		r.Summary.Pass, r.Summary.Warn, r.Summary.Fail, r.Summary.NotRun, r.Score, drain, r.Seconds)
	if len(r.Summary.RequiredFailed) > 0 {
		fmt.Fprintf(&b, "required checks failed: %s\n", strings.Join(r.Summary.RequiredFailed, ", "))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func writeResult(b *strings.Builder, c Result, p term.Palette) {
	mark := map[Status]string{Pass: p.Green("pass"), Warn: p.Yellow("warn"), Fail: p.Red("FAIL"), NotRun: p.Dim("n/a ")}[c.Status]
	fmt.Fprintf(b, "  %s  %s\n", mark, c.ID)
	indent := func(label, s string) {
		if s == "" {
			return
		}
		fmt.Fprintf(b, "        %s%s\n", label, strings.ReplaceAll(s, "\n", "\n        "))
	}
	if c.Status != Pass {
		indent("", c.Evidence)
		indent("why not run: ", map[bool]string{true: c.Reason}[c.Status == NotRun])
		indent("reason: ", map[bool]string{true: c.Reason}[c.Status == Warn])
		indent("fix: ", map[bool]string{true: c.Fix}[c.Status != NotRun])
		indent("see: ", map[bool]string{true: c.Reference}[c.Status != NotRun])
	}
}

// junit is the JUnit XML shape CI systems read.
type junitSuites struct {
	XMLName xml.Name     `xml:"testsuites"`
	Suites  []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Skipped  int         `xml:"skipped,attr"`
	Time     float64     `xml:"time,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      float64       `xml:"time,attr"`
	Failure   *junitMessage `xml:"failure"`
	Skipped   *junitMessage `xml:"skipped"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitMessage struct {
	Message string `xml:"message,attr"`
	Body    string `xml:",chardata"`
}

// WriteJUnit writes one testsuite per area, one testcase per check: a
// fail is a failure, a not_run is skipped, a warn passes with its reason
// in system-out.
func WriteJUnit(w io.Writer, r *Report) error {
	out := junitSuites{}
	for _, area := range Areas {
		s := junitSuite{Name: "verify." + string(area), Time: r.AreaSeconds[area]}
		for _, c := range r.Results {
			if c.Area != area {
				continue
			}
			jc := junitCase{Name: c.ID, Classname: "verify." + string(area), Time: c.Seconds, SystemOut: c.Evidence}
			switch c.Status {
			case Fail:
				jc.Failure = &junitMessage{Message: firstLine(c.Evidence), Body: c.Evidence + "\nfix: " + c.Fix + "\nsee: " + c.Reference}
				s.Failures++
			case NotRun:
				jc.Skipped = &junitMessage{Message: c.Reason}
				s.Skipped++
			case Warn:
				jc.SystemOut = "warning: " + c.Reason + "\n" + c.Evidence
			}
			s.Cases = append(s.Cases, jc)
			s.Tests++
		}
		if s.Tests > 0 {
			out.Suites = append(out.Suites, s)
		}
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(out); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
