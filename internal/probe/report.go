package probe

import (
	"context"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/golocal/golocal/internal/lint"
)

// SchemaVersion is the version of the JSON report (docs/probe-json.md).
// It changes only when a field is removed or changes meaning; new fields
// may appear without a change.
const SchemaVersion = 1

// Config is a whole `golocal probe`: the request options plus repeats,
// active checks and thresholds.
type Config struct {
	Options
	// Runs repeats the probe (-n); 0 means 1. Timing statistics are over
	// the final hop of every run; lint reads the first run.
	Runs int
	// Origin, when set, enables the active CORS checks (--origin).
	Origin string
	// Conneg varies Accept, Accept-Encoding and Accept-Language.
	Conneg bool
	// PlainHTTP asks the http:// URL of an https URL on the default port
	// (rule redirect-https).
	PlainHTTP bool
	// SLO are time budgets; a breach makes the exit code 1.
	SLO SLO
	// FailOn is the least severe finding that fails the probe (default Error).
	FailOn lint.Severity
	// Notes are printed with the report (e.g. "assuming http://").
	Notes []string
	// Now is the clock for certificate expiry; nil means time.Now.
	Now func() time.Time
}

// Report is the outcome of [Probe] and the --json output. Field names and
// meanings are stable within a SchemaVersion.
type Report struct {
	SchemaVersion int       `json:"schema_version"`
	URL           string    `json:"url"`
	Notes         []string  `json:"notes,omitempty"`
	Runs          int       `json:"runs"`
	Hops          []HopJSON `json:"hops"`
	// Stats are per phase over the final hop of every run (only with -n > 1).
	Stats map[Phase]StatJSON `json:"stats_ms,omitempty"`
	// Lint is the linter's report on the final response; nil when there was
	// no response to lint.
	Lint *lint.Report `json:"lint"`
	SLO  []SLOResult  `json:"slo,omitempty"`
	// Error is set when the request failed (exit code 3).
	Error    *ErrorJSON `json:"error"`
	FailOn   string     `json:"fail_on"`
	ExitCode int        `json:"exit_code"`

	// Results are the runs themselves (not in JSON).
	Results []*Result `json:"-"`
}

// HopJSON is one hop in the JSON report.
type HopJSON struct {
	URL          string       `json:"url"`
	Method       string       `json:"method"`
	Status       int          `json:"status"`
	Proto        string       `json:"proto,omitempty"`
	RemoteAddr   string       `json:"remote_addr,omitempty"`
	LocalAddr    string       `json:"local_addr,omitempty"`
	Timings      map[Phase]ms `json:"timings_ms"`
	FirstInterim *ms          `json:"first_interim_ms,omitempty"`
	Reached      Phase        `json:"reached,omitempty"`
	DNS          bool         `json:"dns_lookup"`
	TLS          *TLSInfo     `json:"tls,omitempty"`
	HeadBytes    int64        `json:"head_bytes"`
	BodyBytes    int64        `json:"body_bytes"`
	WireBytes    int64        `json:"wire_bytes,omitempty"`
	Headers      []HeaderJSON `json:"headers"`
	ClientError  string       `json:"client_error,omitempty"`
	RawErrors    []string     `json:"raw_errors,omitempty"`
	Error        *ErrorJSON   `json:"error,omitempty"`
}

// HeaderJSON is one response header field as sent (escaped).
type HeaderJSON struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// StatJSON is a phase's statistics in milliseconds.
type StatJSON struct {
	Min    ms  `json:"min"`
	Median ms  `json:"median"`
	P90    ms  `json:"p90"`
	Max    ms  `json:"max"`
	N      int `json:"n"`
}

// ErrorJSON is a request failure.
type ErrorJSON struct {
	Kind    ErrorKind `json:"kind"`
	Message string    `json:"message"`
}

// SLOResult is one budget checked.
type SLOResult struct {
	Phase Phase `json:"phase"`
	Limit ms    `json:"limit_ms"`
	Value ms    `json:"value_ms"`
	// Of says which value was compared: "run" or "median".
	Of string `json:"of"`
	OK bool   `json:"ok"`
}

// Probe runs cfg.Runs probes of u, the active checks and the linter, and
// checks the SLO. It never panics; a failed request is in Report.Error.
func Probe(ctx context.Context, u *url.URL, cfg Config) *Report {
	runs := max(cfg.Runs, 1)
	now := time.Now
	if cfg.Now != nil {
		now = cfg.Now
	}
	rep := &Report{SchemaVersion: SchemaVersion, URL: u.String(), Notes: cfg.Notes, Runs: runs, FailOn: cfg.FailOn.String()}
	var finals []Timings
	for i := 0; i < runs; i++ {
		opts := cfg.Options
		// Lint reads the first run: only it needs the raw HTTP/2 view.
		opts.noRawH2 = opts.noRawH2 || i > 0
		res := Run(ctx, u, opts)
		rep.Results = append(rep.Results, res)
		if res.Err != nil {
			break
		}
		finals = append(finals, res.Final().Timings)
		if ctx.Err() != nil {
			break
		}
	}
	first := rep.Results[0]
	for _, h := range first.Hops {
		rep.Hops = append(rep.Hops, hopJSON(h, now()))
	}
	if err := failed(rep.Results); err != nil {
		rep.Error = &ErrorJSON{Kind: err.Kind, Message: err.Message}
	}
	if final := first.Final(); final != nil && first.Err == nil {
		if cfg.Origin != "" || cfg.Conneg || cfg.PlainHTTP {
			final.Exchange.Active = runActive(ctx, final.URL, final, cfg.Options, cfg.Origin, cfg.Conneg, cfg.PlainHTTP)
		}
		rep.Lint = lint.Run(final.Exchange, lint.Options{})
	}
	if runs > 1 && len(finals) > 0 {
		rep.Stats = map[Phase]StatJSON{}
		for p, s := range Summarize(finals) {
			rep.Stats[p] = StatJSON{ms(s.Min), ms(s.Median), ms(s.P90), ms(s.Max), s.N}
		}
	}
	if rep.Error == nil {
		rep.SLO = checkSLO(cfg.SLO, finals)
	}
	rep.ExitCode = rep.exitCode(cfg.FailOn)
	return rep
}

// Do is the one-call entry point for other packages (golocal verify uses
// it): it parses rawURL as the command line does ([ParseURL]), then runs
// [Probe]. The report is never nil. err is non-nil when the URL cannot be
// probed or the request failed; it is then an [*Error] and rep.Error says
// the same. Otherwise rep.Lint holds the findings on the final response
// (rep.Final() is that response, with its [lint.Exchange]) and
// rep.ExitCode says whether a finding at or above cfg.FailOn, a refused
// response or an SLO breach fails it.
func Do(ctx context.Context, rawURL string, cfg Config) (*Report, error) {
	u, note, err := ParseURL(rawURL)
	if err != nil {
		rep := URLErrorReport(rawURL, err, cfg.FailOn)
		return rep, &Error{Kind: ErrURL, Message: err.Error(), Err: err}
	}
	if note != "" {
		cfg.Notes = append(slices.Clip(cfg.Notes), note)
	}
	rep := Probe(ctx, u, cfg)
	if e := failed(rep.Results); e != nil {
		return rep, e
	}
	return rep, nil
}

// Final returns the final hop of the first run (the response that was
// linted), or nil when the probe made no request.
func (r *Report) Final() *Hop {
	if r == nil || len(r.Results) == 0 {
		return nil
	}
	return r.Results[0].Final()
}

// URLErrorReport is the report of a probe that could not start because
// the URL the user gave is unusable (see [ParseURL]): no hops, Error of
// kind "url" with err's message, exit code 3.
func URLErrorReport(rawURL string, err error, failOn lint.Severity) *Report {
	return &Report{
		SchemaVersion: SchemaVersion, URL: escape(rawURL), Runs: 0, Hops: []HopJSON{},
		Error:  &ErrorJSON{Kind: ErrURL, Message: err.Error()},
		FailOn: failOn.String(), ExitCode: ExitRequestFailed,
	}
}

func failed(results []*Result) *Error {
	for _, r := range results {
		if r.Err != nil {
			return r.Err
		}
	}
	return nil
}

func checkSLO(slo SLO, runs []Timings) []SLOResult {
	var out []SLOResult
	for _, b := range slo {
		var v time.Duration
		of := "run"
		if len(runs) == 1 {
			v = runs[0].Get(b.Phase)
		} else {
			vals := make([]time.Duration, len(runs))
			for i, r := range runs {
				vals[i] = r.Get(b.Phase)
			}
			slices.Sort(vals)
			v, of = Percentile(vals, 50), "median"
		}
		// A phase never reached (the body never ended, Go refused the
		// response) breaches its budget; appconnect is 0 without TLS.
		reached := v > 0 || b.Phase == PhaseAppConnect
		out = append(out, SLOResult{Phase: b.Phase, Limit: ms(b.Limit), Value: ms(v), Of: of, OK: reached && v <= b.Limit})
	}
	return out
}

// Exit codes of a probe, as `golocal probe` uses them.
const (
	ExitOK            = 0
	ExitFailure       = 1 // a finding at or above --fail-on, a refused response, or an SLO breach
	ExitRequestFailed = 3
)

func (r *Report) exitCode(failOn lint.Severity) int {
	if r.Error != nil {
		return ExitRequestFailed
	}
	for _, s := range r.SLO {
		if !s.OK {
			return ExitFailure
		}
	}
	for _, h := range r.Hops {
		if h.ClientError != "" {
			return ExitFailure
		}
	}
	if r.Lint != nil {
		for _, f := range r.Lint.Findings {
			if f.Severity <= failOn {
				return ExitFailure
			}
		}
	}
	return ExitOK
}

func hopJSON(h *Hop, now time.Time) HopJSON {
	j := HopJSON{
		URL: escape(h.URL.String()), Method: h.Method, Status: h.Status, Proto: h.Proto,
		RemoteAddr: h.RemoteAddr, LocalAddr: h.LocalAddr, Reached: h.Timings.Reached, DNS: h.Timings.DNS,
		TLS:       SummarizeTLS(h.TLS, h.VerifyError, now),
		HeadBytes: h.HeadBytes, BodyBytes: h.BodyBytes, WireBytes: h.WireBytes,
		Timings: map[Phase]ms{}, Headers: []HeaderJSON{},
	}
	if h.Err == nil {
		// A refusal that is a finding; a failed request says why in Error.
		j.ClientError = escape(h.ClientError)
	}
	for _, p := range Phases {
		j.Timings[p] = ms(h.Timings.Get(p))
	}
	if h.Timings.FirstInterim > 0 {
		fi := ms(h.Timings.FirstInterim)
		j.FirstInterim = &fi
	}
	if h.Err != nil {
		j.Error = &ErrorJSON{Kind: h.Err.Kind, Message: h.Err.Message}
	}
	if h.Raw != nil {
		for _, f := range h.Raw.Fields {
			j.Headers = append(j.Headers, HeaderJSON{escape(f.Name), escape(f.Value)})
		}
		for _, e := range h.Raw.Errors {
			j.RawErrors = append(j.RawErrors, escape(e))
		}
	} else if h.Header == nil && h.H2Fields != nil {
		// Go's HTTP/2 client refused the response: the fields as the raw
		// HTTP/2 exchange decoded them, in order, names as sent.
		for _, f := range h.H2Fields {
			if !strings.HasPrefix(f.Name, ":") {
				j.Headers = append(j.Headers, HeaderJSON{escape(f.Name), escape(f.Value)})
			}
		}
	} else {
		keys := make([]string, 0, len(h.Header))
		for k := range h.Header {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			for _, v := range h.Header[k] {
				j.Headers = append(j.Headers, HeaderJSON{escape(k), escape(v)})
			}
		}
	}
	return j
}
