package lint

import (
	"fmt"
	"io"
	"slices"
	"strings"
)

// CatalogCommand regenerates docs/lint-rules.md from the registry; the
// test that finds the file stale prints it.
const CatalogCommand = "go generate ./internal/lint"

// familyTitles names the families in the order the catalog lists them.
var familyTitles = []struct{ id, title string }{
	{"framing", "Framing and header syntax"},
	{"content-type", "Content type and sniffing"},
	{"cors", "CORS"},
	{"cookies", "Cookies"},
	{"hsts", "HTTPS and Strict-Transport-Security"},
	{"headers", "Security headers"},
	{"csp", "Content-Security-Policy"},
	{"cache", "Caching and negotiation"},
}

// catalogIntro opens docs/lint-rules.md.
const catalogIntro = `# The HTTP lint catalog of ` + "`golocal probe`" + `

<!-- Generated from the rule registry in internal/lint (rules.go) by ` + "`" + CatalogCommand + "`" + `; do not edit. -->

Every rule has a stable id (used in the text, JSON and JUnit output), a family, a default
severity, what goes wrong when it fires, the fix, and a reference with its link.
Severity: **error** — a browser rejects or ignores it, or it is exploitable; **warn** — weak or
likely wrong; **info** — worth knowing. A finding may be more or less severe than its rule's
default (a session cookie without Secure is an error; a cookie over plain HTTP only info).

Rules marked *raw* read the bytes as they came off the wire: Go's net/http client hides them (it
joins folded lines, accepts bare LF, files ` + "`Content-Type :`" + ` under a key with a trailing space, drops
Content-Length when Transfer-Encoding is present) or refuses the whole response. When Go refuses
a response, or the body ends before its framing said, that is a finding, not a failed probe.
Rules that need something the response does not have (the raw view over HTTP/2, HTTPS, an
active request with ` + "`--origin`" + `) are listed as skipped in the report, with the reason.

A space before ` + "`;`" + ` in Content-Type (` + "`text/html ; charset=utf-8`" + `) is valid (RFC 9110 §8.3.1); what
breaks is whitespace before ` + "`=`" + ` (` + "`charset =utf-8`" + `): browsers then drop the charset.

`

// catalogScore closes docs/lint-rules.md.
const catalogScore = `## Score

The report carries a 0–100 score and a letter grade computed with the MDN HTTP Observatory's
public scheme (start at 100, one result per test with its modifier, bonuses only when the score
without them is at least 90; A+ ≥ 100, A 90, A- 85, B+ 80, B 70, B- 65, C+ 60, C 50, C- 45, D+ 40,
D 30, D- 25, else F), so it compares with what users know. Every deduction names the rules
whose findings say what to fix (` + "`tests[].rules`" + ` in JSON):

`

// WriteCatalog writes the rule catalog as Markdown: docs/lint-rules.md is
// its output (regenerate with [CatalogCommand]).
func WriteCatalog(w io.Writer) error {
	var b strings.Builder
	b.WriteString(catalogIntro)
	b.WriteString("| id | severity | family | checks |\n|---|---|---|---|\n")
	for _, f := range familyTitles {
		for _, r := range catalog {
			if r.Family == f.id {
				fmt.Fprintf(&b, "| [%s](#%s) | %s | %s | %s |\n", r.ID, r.ID, r.Severity, r.Family, mdCell(r.Summary))
			}
		}
	}
	for _, f := range familyTitles {
		fmt.Fprintf(&b, "\n## %s\n", f.title)
		for _, r := range catalog {
			if r.Family == f.id {
				writeRule(&b, r)
			}
		}
	}
	b.WriteString("\n" + catalogScore)
	b.WriteString("| Observatory result | points | rules |\n|---|---|---|\n")
	results := make([]string, 0, len(deductionRules))
	for res := range deductionRules {
		results = append(results, res)
	}
	slices.Sort(results)
	for _, res := range results {
		fmt.Fprintf(&b, "| %s | %d | %s |\n", res, observatoryModifiers[res], strings.Join(deductionRules[res], ", "))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func writeRule(b *strings.Builder, r Rule) {
	fmt.Fprintf(b, "\n### %s\n\n", r.ID)
	fmt.Fprintf(b, "**%s** · %s", r.Severity, r.Family)
	if n := needsText(r.needs); n != "" {
		fmt.Fprintf(b, " · %s", n)
	}
	fmt.Fprintf(b, " — %s.\n\n", r.Summary)
	fmt.Fprintf(b, "%s\n\n", r.Why)
	fmt.Fprintf(b, "Fix: %s\n\n", r.Fix)
	fmt.Fprintf(b, "Reference: [%s](%s)\n", r.Reference, r.Link)
}

// needsText says what a rule needs of the exchange, for the catalog.
func needsText(n need) string {
	var out []string
	if n&needRaw != 0 {
		out = append(out, "*raw* (HTTP/1.x bytes)")
	}
	if n&needH2 != 0 {
		out = append(out, "HTTP/2 only")
	}
	if n&needHTTPS != 0 {
		out = append(out, "HTTPS only")
	}
	if n&(needPreflight|needAttacker) != 0 {
		out = append(out, "needs `--origin`")
	}
	return strings.Join(out, ", ")
}

// mdCell escapes a table cell.
func mdCell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
