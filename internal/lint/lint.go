package lint

import (
	"cmp"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Severity says how bad a finding is.
type Severity int

// Severities, most severe first (their order sorts findings).
const (
	// Error: a browser rejects or ignores it, or it is exploitable.
	Error Severity = iota
	// Warn: weak or likely wrong.
	Warn
	// Info: worth knowing.
	Info
)

// String returns "error", "warn" or "info".
func (s Severity) String() string {
	switch s {
	case Error:
		return "error"
	case Warn:
		return "warn"
	case Info:
		return "info"
	}
	return fmt.Sprintf("severity(%d)", int(s))
}

// MarshalText makes a Severity appear as its name in JSON.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Finding is one problem a rule found.
type Finding struct {
	Rule      string   `json:"rule"`
	Severity  Severity `json:"severity"`
	Message   string   `json:"message"`
	Evidence  string   `json:"evidence,omitempty"` // the header line, escaped so it is safe to print
	Fix       string   `json:"fix"`
	Reference string   `json:"reference"`
	Link      string   `json:"link,omitempty"` // the reference's URL
}

// Skipped names a rule that was not evaluated and why, e.g.
// {"cors-preflight", "needs --origin"}.
type Skipped struct {
	Rule   string `json:"rule"`
	Reason string `json:"reason"`
}

// Report is the outcome of [Run].
type Report struct {
	// Findings sorted by severity (errors first), then rule id.
	Findings []Finding `json:"findings"`
	// Skipped lists rules that could not be evaluated on this exchange.
	Skipped []Skipped `json:"skipped,omitempty"`
	// Score is the Observatory-style score clamped to 0–100; Grade its letter.
	Score int    `json:"score"`
	Grade string `json:"grade"`
	// ObservatoryScore is the score before clamping: the Observatory lets
	// bonuses lift it above 100.
	ObservatoryScore int `json:"observatory_score"`
	// Tests is the per-test breakdown of the score, in the Observatory's order.
	Tests []ScoreTest `json:"tests"`
	// Stricter says where golocal is stricter than the Observatory.
	Stricter []string `json:"stricter,omitempty"`
}

// Count returns how many findings have the given severity.
func (r *Report) Count(s Severity) int {
	n := 0
	for _, f := range r.Findings {
		if f.Severity == s {
			n++
		}
	}
	return n
}

// Has reports whether a finding with the given rule id is present.
func (r *Report) Has(rule string) bool {
	for _, f := range r.Findings {
		if f.Rule == rule {
			return true
		}
	}
	return false
}

// need is what a rule requires of an Exchange before it can run.
type need uint8

const (
	needRaw       need = 1 << iota // the raw HTTP/1.x view
	needH2                         // an HTTP/2 response
	needHTTPS                      // a response over TLS
	needPreflight                  // Active.Preflight (--origin)
	needAttacker                   // Active.Attacker (--origin)
)

// Rule describes one lint rule of the catalog. The catalog is the one
// source of docs/lint-rules.md (see [WriteCatalog]).
type Rule struct {
	ID        string
	Family    string
	Severity  Severity // the default; a finding may be more or less severe (e.g. session cookies)
	Reference string   // the specification or source, in words ("RFC 9112 §5.1")
	Summary   string   // what the rule checks, in a few words
	Why       string   // what goes wrong, and for whom, when the rule fires
	Fix       string   // the general fix (findings carry a fix for their case)
	Link      string   // where the reference can be read (https URL)
	needs     need
	check     func(*checker)
}

// Rules returns the catalog, in the order of docs/lint-rules.md.
func Rules() []Rule {
	return slices.Clone(catalog)
}

// maxFindingsPerRule bounds output on hostile input (100 000 bad lines):
// the rest is summarised in one finding.
const maxFindingsPerRule = 10

// Run applies every rule to ex and returns the findings, sorted by severity
// then rule id, with the Observatory-style score. It never panics on any
// input; a nil ex yields an empty report graded on nothing.
func Run(ex *Exchange, opts Options) *Report {
	if ex == nil {
		ex = &Exchange{}
	}
	c := newChecker(ex, opts)
	rep := &Report{Findings: []Finding{}}
	disabled := map[string]bool{}
	for _, id := range opts.Disable {
		disabled[id] = true
	}
	for i := range catalog {
		rule := &catalog[i]
		if disabled[rule.ID] {
			rep.Skipped = append(rep.Skipped, Skipped{rule.ID, "disabled"})
			continue
		}
		if reason := c.missing(rule.needs); reason != "" {
			rep.Skipped = append(rep.Skipped, Skipped{rule.ID, reason})
			continue
		}
		c.rule = rule
		c.count = 0
		c.skipReason = ""
		rule.check(c)
		if c.count > maxFindingsPerRule {
			c.findings = append(c.findings, Finding{
				Rule: rule.ID, Severity: rule.Severity, Reference: rule.Reference, Link: rule.Link,
				Message: fmt.Sprintf("%d more findings of this rule not shown", c.count-maxFindingsPerRule),
				Fix:     "fix the findings above; the same fix applies",
			})
		}
		if c.skipReason != "" {
			rep.Skipped = append(rep.Skipped, Skipped{rule.ID, c.skipReason})
		}
	}
	slices.SortStableFunc(c.findings, func(a, b Finding) int {
		return cmp.Or(cmp.Compare(a.Severity, b.Severity), strings.Compare(a.Rule, b.Rule))
	})
	rep.Findings = append(rep.Findings, c.findings...)
	score(c, rep)
	return rep
}

// checker carries one Run: the exchange, the field view the rules read,
// and the findings so far.
type checker struct {
	ex     *Exchange
	opts   Options
	fields []Field // the response fields in order, from the best view available
	view   string  // "raw", "h2" or "go"
	https  bool

	htmlCache *htmlInfo

	rule       *Rule
	count      int
	skipReason string
	findings   []Finding
}

func newChecker(ex *Exchange, opts Options) *checker {
	c := &checker{ex: ex, opts: opts}
	c.fields, c.view = fieldsOf(ex)
	c.https = ex.TLS != nil || (ex.URL != nil && strings.EqualFold(ex.URL.Scheme, "https"))
	return c
}

// fieldsOf returns the response fields from the most faithful view: the raw
// bytes, then HPACK fields, then Go's parsed header (order of keys sorted,
// since a map has none).
func fieldsOf(ex *Exchange) ([]Field, string) {
	if ex == nil {
		return nil, ""
	}
	if ex.Raw != nil {
		return ex.Raw.Fields, "raw"
	}
	if ex.H2Fields != nil {
		return ex.H2Fields, "h2"
	}
	var out []Field
	for _, k := range slices.Sorted(mapKeys(ex.Header)) {
		for _, v := range ex.Header[k] {
			out = append(out, Field{Name: k, Value: v, Line: []byte(k + ": " + v)})
		}
	}
	return out, "go"
}

func mapKeys(h http.Header) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range h {
			if !yield(k) {
				return
			}
		}
	}
}

func (c *checker) missing(n need) string {
	ex := c.ex
	if n&needRaw != 0 && ex.Raw == nil {
		if isH2(ex) {
			return "raw view exists only for HTTP/1.x; the response came over HTTP/2"
		}
		return "no raw capture of the response bytes"
	}
	if n&needH2 != 0 && !isH2(ex) {
		return "applies to HTTP/2 only; the response came over " + cmp.Or(ex.Proto, "HTTP/1.x")
	}
	if n&needHTTPS != 0 && !c.https {
		return "applies to HTTPS only"
	}
	if n&needPreflight != 0 && (ex.Active == nil || ex.Active.Preflight == nil) {
		return "needs an active preflight (--origin)"
	}
	if n&needAttacker != 0 && (ex.Active == nil || ex.Active.Attacker == nil) {
		return "needs an active request with an attacker Origin (--origin)"
	}
	return ""
}

func isH2(ex *Exchange) bool {
	return strings.HasPrefix(ex.Proto, "HTTP/2") || (ex.Raw == nil && ex.H2Fields != nil)
}

// skip records that the current rule could not be evaluated, e.g. because
// the response has no body to check.
func (c *checker) skip(reason string) { c.skipReason = reason }

// add records a finding of the current rule with its default severity.
func (c *checker) add(evidence, fix, format string, args ...any) {
	c.addSev(c.rule.Severity, evidence, fix, format, args...)
}

func (c *checker) addSev(sev Severity, evidence, fix, format string, args ...any) {
	c.count++
	if c.count > maxFindingsPerRule {
		return
	}
	c.findings = append(c.findings, Finding{
		Rule:      c.rule.ID,
		Severity:  sev,
		Message:   fmt.Sprintf(format, args...),
		Evidence:  evidence,
		Fix:       fix,
		Reference: c.rule.Reference,
		Link:      c.rule.Link,
	})
}

// all returns the fields named name (case-insensitive) in order.
func (c *checker) all(name string) []Field { return fieldsNamed(c.fields, name) }

func fieldsNamed(fields []Field, name string) []Field {
	var out []Field
	for _, f := range fields {
		if equalFold(f.Name, name) {
			out = append(out, f)
		}
	}
	return out
}

// first returns the first field named name.
func (c *checker) first(name string) (Field, bool) {
	for _, f := range c.fields {
		if equalFold(f.Name, name) {
			return f, true
		}
	}
	return Field{}, false
}

// listValues splits every field named name on commas (RFC 9110 §5.6.1),
// trimming whitespace and dropping empty elements.
func listValues(fields []Field, name string) []string {
	var out []string
	for _, f := range fieldsNamed(fields, name) {
		for v := range strings.SplitSeq(f.Value, ",") {
			if v = strings.TrimSpace(v); v != "" {
				out = append(out, v)
			}
		}
	}
	return out
}

// status returns the status code from the best view.
func (ex *Exchange) status() int {
	if ex.Raw != nil && ex.Raw.StatusCode != 0 {
		return ex.Raw.StatusCode
	}
	if ex.Status == 0 {
		// Go's client refused an HTTP/2 response: the raw HPACK view
		// still has its status.
		for _, f := range ex.H2Fields {
			if f.Name == ":status" {
				if n, err := strconv.Atoi(f.Value); err == nil && n >= 100 && n <= 999 {
					return n
				}
			}
		}
	}
	return ex.Status
}

// body returns the message body (content-coded) from the best view.
func (ex *Exchange) body() ([]byte, bool) {
	if ex.Raw != nil && ex.Raw.HeadComplete {
		return ex.Raw.Body, ex.Raw.BodyTruncated
	}
	return ex.Body, ex.BodyTruncated
}

func (ex *Exchange) method() string { return cmp.Or(strings.ToUpper(ex.Method), "GET") }

func (c *checker) now() time.Time {
	if !c.ex.Received.IsZero() {
		return c.ex.Received
	}
	if c.opts.Now != nil {
		return c.opts.Now()
	}
	return time.Now()
}

// hostname returns the URL host without port, lower-cased.
func hostname(ex *Exchange) string {
	if ex == nil || ex.URL == nil {
		return ""
	}
	return strings.ToLower(ex.URL.Hostname())
}

func isLoopbackHost(h string) bool {
	if h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// evidence renders a field as its raw line when there is one (so the user
// sees exactly what was sent), else as "Name: value"; escaped, capped.
func evidence(f Field) string {
	if len(f.Line) > 0 {
		return Escape(strings.TrimRight(string(f.Line), "\r\n"))
	}
	return Escape(f.Name + ": " + f.Value)
}

// rawEvidence keeps the line terminator visible (for line-ending rules).
func rawEvidence(f Field) string {
	if len(f.Line) > 0 {
		return Escape(string(f.Line))
	}
	return evidence(f)
}

// maxEvidence bounds one evidence string so a 10 MB header line prints as
// its start and its length.
const maxEvidence = 300

// Escape makes s safe to print on a terminal: printable runes are kept,
// CR, LF and TAB become \r \n \t, other control bytes and invalid UTF-8
// become \xNN. Output longer than a few hundred bytes is cut with a note
// of the original length.
func Escape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		if b.Len() >= maxEvidence {
			fmt.Fprintf(&b, "… (%d bytes)", len(s))
			break
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\\':
			b.WriteString(`\\`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r >= 0x80 && !isPrintRune(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
		i += size
	}
	return b.String()
}

// isPrintRune excludes C1 controls, bidi overrides and other format
// characters that could reorder or hide terminal output.
func isPrintRune(r rune) bool {
	switch {
	case r >= 0x80 && r < 0xa0:
		return false
	case r >= 0x200b && r <= 0x200f, r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0xfeff:
		return false
	}
	return true
}
