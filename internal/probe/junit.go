package probe

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/golocal/golocal/internal/lint"
)

type junitSuites struct {
	XMLName xml.Name     `xml:"testsuites"`
	Suites  []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Skipped  int         `xml:"skipped,attr"`
	Time     string      `xml:"time,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Failure   *junitMessage `xml:"failure,omitempty"`
	Skipped   *junitMessage `xml:"skipped,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitMessage struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr,omitempty"`
	Body    string `xml:",chardata"`
}

// WriteJUnit writes the report as JUnit XML for CI: one test case for the
// request itself, one per catalog rule (failed when a finding of that rule
// is at or above failOn, skipped when the rule could not be evaluated;
// findings below the threshold go to system-out) and one per SLO budget.
func WriteJUnit(w io.Writer, rep *Report, failOn lint.Severity) error {
	s := junitSuite{Name: "golocal probe " + rep.URL, Time: "0"}
	if len(rep.Hops) > 0 {
		s.Time = fmt.Sprintf("%.6f", time.Duration(rep.Hops[len(rep.Hops)-1].Timings[PhaseTotal]).Seconds()) // JUnit counts seconds
	}
	req := junitCase{Name: "request", Classname: "probe"}
	if rep.Error != nil {
		req.Failure = &junitMessage{Message: rep.Error.Message, Type: string(rep.Error.Kind)}
	}
	for _, h := range rep.Hops {
		if h.ClientError != "" {
			req.Failure = &junitMessage{Message: "Go's net/http refused the response: " + h.ClientError, Type: "refused"}
		}
	}
	s.Cases = append(s.Cases, req)
	if rep.Lint != nil {
		skipped := map[string]string{}
		for _, sk := range rep.Lint.Skipped {
			skipped[sk.Rule] = sk.Reason
		}
		for _, r := range lint.Rules() {
			c := junitCase{Name: r.ID, Classname: "lint." + r.Family}
			var fail, out []string
			for _, f := range rep.Lint.Findings {
				if f.Rule != r.ID {
					continue
				}
				line := fmt.Sprintf("%s: %s\nevidence: %s\nfix: %s\nreference: %s", f.Severity, f.Message, f.Evidence, f.Fix, f.Reference)
				if f.Severity <= failOn {
					fail = append(fail, line)
				} else {
					out = append(out, line)
				}
			}
			switch {
			case len(fail) > 0:
				c.Failure = &junitMessage{Message: firstLine(fail[0]), Type: r.Severity.String(), Body: strings.Join(fail, "\n\n")}
			case skipped[r.ID] != "":
				c.Skipped = &junitMessage{Message: skipped[r.ID]}
			}
			c.SystemOut = strings.Join(out, "\n\n")
			s.Cases = append(s.Cases, c)
		}
	}
	for _, b := range rep.SLO {
		c := junitCase{Name: "slo " + string(b.Phase), Classname: "slo"}
		if !b.OK {
			c.Failure = &junitMessage{Message: fmt.Sprintf("%s %s (%s) is over the budget %s", b.Phase, fmtMS(b.Value), b.Of, fmtMS(b.Limit)), Type: "slo"}
		}
		s.Cases = append(s.Cases, c)
	}
	for _, c := range s.Cases {
		s.Tests++
		if c.Failure != nil {
			s.Failures++
		}
		if c.Skipped != nil {
			s.Skipped++
		}
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(junitSuites{Suites: []junitSuite{s}}); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}
