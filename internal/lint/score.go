package lint

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
)

// The score models the MDN HTTP Observatory (github.com/mdn/mdn-http-observatory,
// src/scanner/index.js and src/grader/charts.js): ten tests, each with one
// result and a modifier; start at 100, subtract the penalties; add the
// bonuses only when the penalised score is at least 90; never below 0;
// the grade is the chart entry of the score rounded down to a multiple of 5.
//
// Where golocal lacks data the Observatory has (the HSTS preload list, the
// http:// answer when only an https URL was probed) the test is scored 0
// and marked NotChecked.

// ScoreTest is one Observatory test as golocal evaluated it.
type ScoreTest struct {
	Name       string `json:"name"`     // e.g. "content-security-policy"
	Result     string `json:"result"`   // the Observatory's result id, e.g. "csp-not-implemented"
	Modifier   int    `json:"modifier"` // points added (bonus) or removed (penalty)
	Pass       bool   `json:"pass"`
	NotChecked string `json:"not_checked,omitempty"` // why golocal could not evaluate it
	// Rules are, for a deduction (Modifier < 0), the rules whose findings
	// say what to fix; at least one of them is among the findings.
	Rules []string `json:"rules,omitempty"`
}

// deductionRules maps every Observatory result that costs points to the
// rules that report it with a fix. TestEveryDeductionHasAFinding keeps the
// two in step: a deduction without a finding leaves the user a grade and
// no way to raise it.
var deductionRules = map[string][]string{
	"csp-implemented-with-insecure-scheme-in-passive-content-only": {"csp-unsafe"},
	"csp-implemented-with-unsafe-eval":                             {"csp-unsafe"},
	"csp-implemented-with-unsafe-inline":                           {"csp-unsafe"},
	"csp-implemented-with-insecure-scheme":                         {"csp-unsafe"},
	"csp-header-invalid":                                           {"csp-unsafe"},
	"csp-not-implemented":                                          {"csp-missing"},
	"csp-not-implemented-but-reporting-enabled":                    {"csp-ro-only"},

	"cookies-without-secure-flag-but-protected-by-hsts":         {"ck-no-secure"},
	"cookies-session-without-secure-flag-but-protected-by-hsts": {"ck-no-secure"},
	"cookies-without-secure-flag":                               {"ck-no-secure"},
	"cookies-samesite-flag-invalid":                             {"ck-samesite-bad", "ck-none-insecure"},
	"cookies-anticsrf-without-samesite-flag":                    {"ck-default-lax"},
	"cookies-session-without-httponly-flag":                     {"ck-session-httponly"},
	"cookies-session-without-secure-flag":                       {"ck-no-secure"},

	"cross-origin-resource-sharing-implemented-with-universal-access": {"cors-reflect"},

	"redirection-off-host-from-http":                  {"redirect-https"},
	"redirection-not-to-https-on-initial-redirection": {"redirect-https"},
	"redirection-missing":                             {"redirect-https", "https-missing"},
	"redirection-not-to-https":                        {"redirect-https"},

	"referrer-policy-unsafe":         {"rp-unsafe"},
	"referrer-policy-header-invalid": {"rp-unsafe"},

	"hsts-implemented-max-age-less-than-six-months": {"hsts-short", "hsts-six-months"},
	"hsts-not-implemented":                          {"hsts-missing"},
	"hsts-header-invalid":                           {"hsts-invalid"},
	"hsts-not-implemented-no-https":                 {"https-missing"},

	"sri-not-implemented-but-external-scripts-loaded-securely":     {"sri-missing"},
	"sri-implemented-but-external-scripts-not-loaded-securely":     {"sri-missing"},
	"sri-not-implemented-and-external-scripts-not-loaded-securely": {"sri-missing"},

	"x-content-type-options-not-implemented": {"xcto"},
	"x-content-type-options-header-invalid":  {"xcto"},

	"x-frame-options-not-implemented": {"xfo-missing"},
	"x-frame-options-header-invalid":  {"xfo-missing"},

	"corp-header-invalid": {"corp-invalid"},
}

// observatoryModifiers is the SCORE_TABLE of the Observatory.
var observatoryModifiers = map[string]int{
	"csp-implemented-with-no-unsafe-default-src-none":              10,
	"csp-implemented-with-no-unsafe":                               5,
	"csp-implemented-with-unsafe-inline-in-style-src-only":         0,
	"csp-implemented-with-insecure-scheme-in-passive-content-only": -10,
	"csp-implemented-with-unsafe-eval":                             -10,
	"csp-implemented-with-unsafe-inline":                           -20,
	"csp-implemented-with-insecure-scheme":                         -20,
	"csp-header-invalid":                                           -25,
	"csp-not-implemented":                                          -25,
	"csp-not-implemented-but-reporting-enabled":                    -25,

	"cookies-secure-with-httponly-sessions-and-samesite":        5,
	"cookies-secure-with-httponly-sessions":                     0,
	"cookies-not-found":                                         0,
	"cookies-without-secure-flag-but-protected-by-hsts":         -5,
	"cookies-session-without-secure-flag-but-protected-by-hsts": -10,
	"cookies-without-secure-flag":                               -20,
	"cookies-samesite-flag-invalid":                             -20,
	"cookies-anticsrf-without-samesite-flag":                    -20,
	"cookies-session-without-httponly-flag":                     -30,
	"cookies-session-without-secure-flag":                       -40,

	"cross-origin-resource-sharing-not-implemented":                    0,
	"cross-origin-resource-sharing-implemented-with-public-access":     0,
	"cross-origin-resource-sharing-implemented-with-restricted-access": 0,
	"cross-origin-resource-sharing-implemented-with-universal-access":  -50,

	"redirection-to-https":                            0,
	"redirection-not-needed-no-http":                  0,
	"redirection-off-host-from-http":                  -5,
	"redirection-not-to-https-on-initial-redirection": -10,
	"redirection-missing":                             -20,
	"redirection-not-to-https":                        -20,

	"referrer-policy-private":         5,
	"referrer-policy-not-implemented": 0,
	"referrer-policy-unsafe":          -5,
	"referrer-policy-header-invalid":  -5,

	"hsts-implemented-max-age-at-least-six-months":  0,
	"hsts-implemented-max-age-less-than-six-months": -10,
	"hsts-not-implemented":                          -20,
	"hsts-header-invalid":                           -20,
	"hsts-not-implemented-no-https":                 -20,

	"sri-implemented-and-all-scripts-loaded-securely":               5,
	"sri-implemented-and-external-scripts-loaded-securely":          5,
	"sri-not-implemented-response-not-html":                         0,
	"sri-not-implemented-but-no-scripts-loaded":                     0,
	"sri-not-implemented-but-all-scripts-loaded-from-secure-origin": 0,
	"sri-not-implemented-but-external-scripts-loaded-securely":      -5,
	"sri-implemented-but-external-scripts-not-loaded-securely":      -20,
	"sri-not-implemented-and-external-scripts-not-loaded-securely":  -50,

	"x-content-type-options-nosniff":         0,
	"x-content-type-options-not-implemented": -5,
	"x-content-type-options-header-invalid":  -5,

	"x-frame-options-implemented-via-csp": 5,
	"x-frame-options-sameorigin-or-deny":  0,
	"x-frame-options-allow-from-origin":   0,
	"x-frame-options-not-implemented":     -20,
	"x-frame-options-header-invalid":      -20,

	"corp-implemented-with-same-origin":  10,
	"corp-implemented-with-same-site":    10,
	"corp-implemented-with-cross-origin": 0,
	"corp-not-implemented":               0,
	"corp-header-invalid":                -5,

	"not-checked": 0,
}

// minScoreForBonus is the Observatory's MINIMUM_SCORE_FOR_EXTRA_CREDIT.
const minScoreForBonus = 90

// Grade returns the Observatory letter grade of a score: A+ at 100 and
// above, then A 90, A- 85, B+ 80, B 70, B- 65, C+ 60, C 50, C- 45, D+ 40,
// D 30, D- 25, else F.
func Grade(score int) string {
	switch {
	case score >= 100:
		return "A+"
	case score >= 90:
		return "A"
	case score >= 85:
		return "A-"
	case score >= 80:
		return "B+"
	case score >= 70:
		return "B"
	case score >= 65:
		return "B-"
	case score >= 60:
		return "C+"
	case score >= 50:
		return "C"
	case score >= 45:
		return "C-"
	case score >= 40:
		return "D+"
	case score >= 30:
		return "D"
	case score >= 25:
		return "D-"
	}
	return "F"
}

func score(c *checker, rep *Report) {
	tests := []ScoreTest{
		c.scoreCSP(),
		c.scoreCookies(),
		c.scoreCORS(),
		c.scoreRedirection(),
		c.scoreReferrer(),
		c.scoreHSTS(),
		c.scoreSRI(),
		c.scoreXCTO(),
		c.scoreXFO(),
		c.scoreCORP(),
	}
	withBonus, penalised := 100, 100
	for i := range tests {
		t := &tests[i]
		t.Modifier = observatoryModifiers[t.Result]
		withBonus += t.Modifier
		if t.Modifier < 0 {
			penalised += t.Modifier
			for _, id := range deductionRules[t.Result] {
				if rep.Has(id) {
					t.Rules = append(t.Rules, id)
				}
			}
		}
	}
	s := penalised
	if penalised >= minScoreForBonus {
		s = withBonus
	}
	s = max(s, 0)
	rep.Tests = tests
	rep.ObservatoryScore = s
	rep.Score = min(s, 100)
	rep.Grade = Grade(s)
	rep.Stricter = stricter(rep)
}

// observatoryRules are the golocal rules that correspond to an Observatory
// test (those that explain a deduction); every other error or warning is a
// place where golocal is stricter.
var observatoryRules = func() map[string]bool {
	m := map[string]bool{}
	for _, ids := range deductionRules {
		for _, id := range ids {
			m[id] = true
		}
	}
	return m
}()

// stricterSummary is the fixed line on how golocal's findings relate to
// the score.
const stricterSummary = "golocal is stricter than the Observatory: it also reports framing errors, " +
	"cookie prefixes and sizes, CORS misconfigurations (* or null with credentials, lists, preflights), " +
	"HSTS syntax and preload requirements, Permissions-Policy, COOP/COEP and caching; " +
	"these findings do not change the score, which follows the Observatory's table"

func stricter(rep *Report) []string {
	out := []string{stricterSummary}
	seen := map[string]bool{}
	for _, f := range rep.Findings {
		if f.Severity == Info || observatoryRules[f.Rule] || seen[f.Rule] {
			continue
		}
		seen[f.Rule] = true
		out = append(out, fmt.Sprintf("golocal reports %s (%s); the Observatory does not test it and its score ignores it", f.Rule, f.Severity))
	}
	return out
}

func (c *checker) scoreCSP() ScoreTest {
	t := ScoreTest{Name: "content-security-policy"}
	var policies []CSPPolicy
	for _, v := range append(c.cspHeaderValues(), c.html().metaCSP...) {
		policies = append(policies, ParseCSP(v)...)
	}
	merged := map[string][]string{}
	for _, p := range policies {
		for _, d := range p.Directives {
			if _, ok := merged[d.Name]; !ok {
				merged[d.Name] = lowerAll(d.Sources)
			}
		}
	}
	if len(merged) == 0 {
		t.Result = "csp-not-implemented"
		if _, ro := c.first("Content-Security-Policy-Report-Only"); ro {
			t.Result = "csp-not-implemented-but-reporting-enabled"
		}
		return t
	}
	get := func(names ...string) []string {
		for _, n := range names {
			if v, ok := merged[n]; ok {
				return slices.Clone(v)
			}
		}
		return []string{"*"}
	}
	script := get("script-src", "default-src")
	object := get("object-src", "default-src")
	style := get("style-src", "default-src")
	hasNonce := func(l []string) bool { return slices.ContainsFunc(l, isNonceOrHash) }
	without := func(l []string, drop func(string) bool) []string { return slices.DeleteFunc(l, drop) }
	if hasNonce(script) {
		script = without(script, func(s string) bool { return s == "'unsafe-inline'" })
	}
	if hasNonce(style) {
		style = without(style, func(s string) bool { return s == "'unsafe-inline'" })
	}
	set := func(r string) {
		if t.Result == "" {
			t.Result = r
		}
	}
	if slices.Contains(script, "'strict-dynamic'") {
		if hasNonce(script) {
			script = without(script, func(s string) bool {
				return s == "'self'" || s == "'unsafe-inline'" || slices.ContainsFunc(slices.Collect(mapKeysString(broadSources)), func(b string) bool { return strings.HasPrefix(s, b) })
			})
		} else {
			set("csp-header-invalid")
		}
	}
	unsafeInline := func(s string) bool { return broadSources[s] || s == "'unsafe-inline'" || s == "data:" }
	if slices.ContainsFunc(script, unsafeInline) || slices.ContainsFunc(object, func(s string) bool { return broadSources[s] }) {
		set("csp-implemented-with-unsafe-inline")
	}
	https := c.https
	insecure := func(s string) bool { return strings.HasPrefix(s, "http:") || strings.HasPrefix(s, "ftp:") }
	var active, passive []string
	for name, srcs := range merged {
		if name != "img-src" && name != "media-src" && name != "script-src" {
			active = append(active, srcs...)
		}
	}
	active = append(active, script...)
	for _, d := range []string{"img-src", "media-src"} {
		if v, ok := merged[d]; ok {
			passive = append(passive, v...)
		} else {
			passive = append(passive, merged["default-src"]...)
		}
	}
	if https && slices.ContainsFunc(active, insecure) {
		set("csp-implemented-with-insecure-scheme")
	}
	if slices.Contains(script, "'unsafe-eval'") || slices.Contains(style, "'unsafe-eval'") {
		set("csp-implemented-with-unsafe-eval")
	}
	if https && slices.ContainsFunc(passive, insecure) {
		set("csp-implemented-with-insecure-scheme-in-passive-content-only")
	}
	if slices.ContainsFunc(style, unsafeInline) {
		set("csp-implemented-with-unsafe-inline-in-style-src-only")
	}
	if d := merged["default-src"]; len(d) == 1 && d[0] == "'none'" {
		set("csp-implemented-with-no-unsafe-default-src-none")
	}
	set("csp-implemented-with-no-unsafe")
	switch t.Result {
	case "csp-implemented-with-no-unsafe", "csp-implemented-with-no-unsafe-default-src-none",
		"csp-implemented-with-unsafe-inline-in-style-src-only", "csp-implemented-with-insecure-scheme-in-passive-content-only":
		t.Pass = true
	}
	return t
}

func mapKeysString(m map[string]bool) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func lowerAll(l []string) []string {
	out := make([]string, len(l))
	for i, s := range l {
		out[i] = strings.ToLower(s)
	}
	return out
}

func (c *checker) cspHeaderValues() []string {
	var out []string
	for _, f := range c.all("Content-Security-Policy") {
		out = append(out, f.Value)
	}
	return out
}

// onlyIfWorse mirrors the Observatory helper: keep the worse of two results
// by their position in goodness (later is worse).
func onlyIfWorse(next, cur string, goodness []string) string {
	if cur == "" || slices.Index(goodness, next) > slices.Index(goodness, cur) {
		return next
	}
	return cur
}

func (c *checker) scoreCookies() ScoreTest {
	t := ScoreTest{Name: "cookies"}
	goodness := []string{
		"cookies-without-secure-flag-but-protected-by-hsts",
		"cookies-without-secure-flag",
		"cookies-session-without-secure-flag-but-protected-by-hsts",
		"cookies-samesite-flag-invalid",
		"cookies-anticsrf-without-samesite-flag",
		"cookies-session-without-httponly-flag",
		"cookies-session-without-secure-flag",
	}
	hsts := c.scoreHSTS().Pass
	var cookies []SetCookie
	for _, f := range c.all("Set-Cookie") {
		ck := ParseSetCookie(f.Value)
		if ck.HasSameSite {
			switch strings.ToLower(ck.SameSite) {
			case "lax", "strict", "none":
			default:
				t.Result = onlyIfWorse("cookies-samesite-flag-invalid", t.Result, goodness)
			}
		}
		if ck.Ignored == "" && ck.Name != "" && ck.Name != "heroku-session-affinity" {
			cookies = append(cookies, ck)
		}
	}
	if len(cookies) == 0 {
		t.Result, t.Pass = "cookies-not-found", true
		return t
	}
	missingSameSite := false
	for _, ck := range cookies {
		name := strings.ToLower(ck.Name)
		session := strings.Contains(name, "login") || strings.Contains(name, "sess")
		anticsrf := strings.Contains(name, "csrf")
		if !ck.Secure && strings.EqualFold(ck.SameSite, "none") {
			t.Result = onlyIfWorse("cookies-samesite-flag-invalid", t.Result, goodness)
		}
		switch {
		case !ck.Secure && hsts:
			t.Result = onlyIfWorse("cookies-without-secure-flag-but-protected-by-hsts", t.Result, goodness)
		case !ck.Secure:
			t.Result = onlyIfWorse("cookies-without-secure-flag", t.Result, goodness)
		}
		if anticsrf && !ck.HasSameSite {
			t.Result = onlyIfWorse("cookies-anticsrf-without-samesite-flag", t.Result, goodness)
		}
		switch {
		case session && !ck.Secure && hsts:
			t.Result = onlyIfWorse("cookies-session-without-secure-flag-but-protected-by-hsts", t.Result, goodness)
		case session && !ck.Secure:
			t.Result = onlyIfWorse("cookies-session-without-secure-flag", t.Result, goodness)
		}
		if session && !ck.HTTPOnly {
			t.Result = onlyIfWorse("cookies-session-without-httponly-flag", t.Result, goodness)
		}
		if !ck.HasSameSite {
			missingSameSite = true
		}
	}
	if t.Result == "" {
		t.Result = "cookies-secure-with-httponly-sessions-and-samesite"
		if missingSameSite {
			t.Result = "cookies-secure-with-httponly-sessions"
		}
	}
	t.Pass = t.Result == "cookies-secure-with-httponly-sessions-and-samesite" || t.Result == "cookies-secure-with-httponly-sessions"
	return t
}

func (c *checker) scoreCORS() ScoreTest {
	t := ScoreTest{Name: "cross-origin-resource-sharing", Result: "cross-origin-resource-sharing-not-implemented", Pass: true}
	// The Observatory sends a request with a foreign Origin; the probe's
	// attacker request is that request. Without it, the plain response is
	// read (a reflecting server then looks merely restricted).
	ex := c.ex
	if c.ex.Active != nil && c.ex.Active.Attacker != nil {
		ex = c.ex.Active.Attacker
	}
	fs, _ := fieldsOf(ex)
	_, acao, ok := firstValue(fs, "Access-Control-Allow-Origin")
	if !ok || acao == "" {
		return t
	}
	_, acac, _ := firstValue(fs, "Access-Control-Allow-Credentials")
	origin := ex.RequestHeader.Get("Origin")
	switch {
	case strings.ToLower(acao) == "*":
		t.Result = "cross-origin-resource-sharing-implemented-with-public-access"
	case origin != "" && origin == acao && strings.EqualFold(strings.TrimSpace(acac), "true"):
		t.Result, t.Pass = "cross-origin-resource-sharing-implemented-with-universal-access", false
	default:
		t.Result = "cross-origin-resource-sharing-implemented-with-restricted-access"
	}
	return t
}

func (c *checker) scoreRedirection() ScoreTest {
	t := ScoreTest{Name: "redirection"}
	var plain *Exchange
	switch {
	case !c.https:
		plain = c.ex
	case c.ex.Active != nil && c.ex.Active.PlainHTTP != nil:
		plain = c.ex.Active.PlainHTTP
	default:
		t.Result, t.Pass = "not-checked", true
		t.NotChecked = "the http:// URL was not probed"
		return t
	}
	res, _ := redirection(plain)
	if res == "redirection-not-to-https-on-initial-redirection" {
		// golocal sees only the first hop; without the rest of the chain,
		// assume the final destination is not HTTPS either.
		res = "redirection-not-to-https"
	}
	t.Result = res
	t.Pass = res == "redirection-to-https" || res == "redirection-not-needed-no-http"
	return t
}

func (c *checker) scoreReferrer() ScoreTest {
	t := ScoreTest{Name: "referrer-policy"}
	var vals []string
	for _, f := range c.all("Referrer-Policy") {
		vals = append(vals, f.Value)
	}
	vals = append(vals, c.html().metaReferrer...)
	if len(vals) == 0 {
		t.Result, t.Pass = "referrer-policy-not-implemented", true
		return t
	}
	policy := effectiveReferrerPolicy([]Field{{Name: "Referrer-Policy", Value: strings.Join(vals, ", ")}})
	switch {
	case unsafeReferrerPolicies[policy]:
		t.Result = "referrer-policy-unsafe"
	case policy != "":
		t.Result, t.Pass = "referrer-policy-private", true
	default:
		t.Result = "referrer-policy-header-invalid"
	}
	return t
}

// observatoryHSTSSixMonths is the Observatory's six months: 15768000 s.
const observatoryHSTSSixMonths = 15768000

func (c *checker) scoreHSTS() ScoreTest {
	t := ScoreTest{Name: "strict-transport-security"}
	if !c.https {
		t.Result = "hsts-not-implemented-no-https"
		return t
	}
	f, ok := c.first("Strict-Transport-Security")
	switch h := ParseHSTS(f.Value); {
	case !ok:
		t.Result = "hsts-not-implemented"
	case h.Err != "":
		t.Result = "hsts-header-invalid"
	case h.MaxAge < observatoryHSTSSixMonths:
		t.Result = "hsts-implemented-max-age-less-than-six-months"
	default:
		t.Result, t.Pass = "hsts-implemented-max-age-at-least-six-months", true
		if h.Preload {
			t.NotChecked = "membership of the HSTS preload list (+5) is not checked"
		}
	}
	return t
}

var protocolRelative = regexp.MustCompile(`^//[^/]`)

// registrable approximates the Observatory's "same second-level domain"
// (it uses the public suffix list; golocal compares the last two labels).
func registrable(host string) string {
	labels := strings.Split(strings.ToLower(strings.TrimSuffix(host, ".")), ".")
	if len(labels) <= 2 {
		return strings.Join(labels, ".")
	}
	return strings.Join(labels[len(labels)-2:], ".")
}

func (c *checker) scoreSRI() ScoreTest {
	t := ScoreTest{Name: "subresource-integrity"}
	t.Result, _ = c.sri()
	t.Pass = observatoryModifiers[t.Result] >= 0
	return t
}

// sriScript classifies one script with a src as the Observatory does: r is
// the result it costs points for ("" when none), sameOrigin whether it
// comes from the page's site, allSecure whether it is same-site, has
// integrity and is loaded over HTTPS.
func (c *checker) sriScript(s scriptTag, pageHost string) (r string, sameOrigin, allSecure bool) {
	relProto := protocolRelative.MatchString(s.src)
	full := strings.HasPrefix(strings.ToLower(s.src), "http://") || strings.HasPrefix(strings.ToLower(s.src), "https://")
	relOrigin := !relProto && !full
	sameSLD := relProto || relOrigin
	if full {
		if u, err := url.Parse(s.src); err == nil {
			sameSLD = registrable(u.Hostname()) == registrable(pageHost)
		}
	}
	secureOrigin := relOrigin || (sameSLD && !relProto)
	secureScheme := (full && strings.HasPrefix(strings.ToLower(s.src), "https://")) || (relOrigin && c.https)
	switch {
	case !secureOrigin && s.integrity && !secureScheme:
		r = "sri-implemented-but-external-scripts-not-loaded-securely"
	case !secureOrigin && !s.integrity && secureScheme:
		r = "sri-not-implemented-but-external-scripts-loaded-securely"
	case !secureOrigin && !s.integrity:
		r = "sri-not-implemented-and-external-scripts-not-loaded-securely"
	}
	return r, secureOrigin, secureOrigin && s.integrity && secureScheme
}

// sri returns the Observatory's subresource-integrity result and the src
// of every script that cost points (rule sri-missing lists them).
func (c *checker) sri() (result string, offenders []string) {
	goodness := []string{
		"sri-implemented-and-all-scripts-loaded-securely",
		"sri-implemented-and-external-scripts-loaded-securely",
		"sri-implemented-but-external-scripts-not-loaded-securely",
		"sri-not-implemented-but-external-scripts-loaded-securely",
		"sri-not-implemented-and-external-scripts-not-loaded-securely",
		"sri-not-implemented-response-not-html",
	}
	ct, _ := c.first("Content-Type")
	essence := strings.TrimSpace(strings.SplitN(ct.Value, ";", 2)[0])
	if essence != "" && essence != "text/html" && essence != "application/xhtml+xml" {
		return "sri-not-implemented-response-not-html", nil
	}
	info := c.html()
	if !info.isHTML && essence == "" {
		// No Content-Type: the Observatory parses the body as HTML anyway.
		info = &htmlInfo{}
		if body := c.decodedBody(); len(body) > 0 {
			parseHTMLInfo(body, info)
		}
	}
	pageHost := hostname(c.ex)
	foreign := false
	for _, s := range info.scripts {
		if s.src == "" {
			continue
		}
		r, sameOrigin, allSecure := c.sriScript(s, pageHost)
		foreign = foreign || !sameOrigin
		switch {
		case r != "":
			result = onlyIfWorse(r, result, goodness)
			offenders = append(offenders, s.src)
		case allSecure && result == "":
			result = "sri-implemented-and-all-scripts-loaded-securely"
		}
	}
	switch {
	case len(info.scripts) == 0:
		result = "sri-not-implemented-but-no-scripts-loaded"
	case result == "" && foreign:
		result = "sri-implemented-and-external-scripts-loaded-securely"
	case result == "":
		result = "sri-not-implemented-but-all-scripts-loaded-from-secure-origin"
	}
	return result, offenders
}

func (c *checker) scoreXCTO() ScoreTest {
	t := ScoreTest{Name: "x-content-type-options"}
	f, ok := c.first("X-Content-Type-Options")
	switch {
	case !ok:
		t.Result = "x-content-type-options-not-implemented"
	case strings.ToLower(strings.TrimSpace(f.Value)) == "nosniff":
		t.Result, t.Pass = "x-content-type-options-nosniff", true
	default:
		t.Result = "x-content-type-options-header-invalid"
	}
	return t
}

func (c *checker) scoreXFO() ScoreTest {
	t := ScoreTest{Name: "x-frame-options"}
	f, ok := c.first("X-Frame-Options")
	v := strings.ToLower(strings.TrimSpace(f.Value))
	switch {
	case !ok:
		t.Result = "x-frame-options-not-implemented"
	case v == "deny" || v == "sameorigin":
		t.Result = "x-frame-options-sameorigin-or-deny"
	case strings.HasPrefix(v, "allow-from"):
		t.Result = "x-frame-options-allow-from-origin"
	default:
		t.Result = "x-frame-options-header-invalid"
	}
	// frame-ancestors in a header policy replaces X-Frame-Options.
	for _, p := range enforcedCSP(c.fields) {
		if _, ok := p.Get("frame-ancestors"); ok {
			t.Result = "x-frame-options-implemented-via-csp"
		}
	}
	t.Pass = observatoryModifiers[t.Result] >= 0
	return t
}

func (c *checker) scoreCORP() ScoreTest {
	t := ScoreTest{Name: "cross-origin-resource-policy", Result: "corp-not-implemented", Pass: true}
	f, ok := c.first("Cross-Origin-Resource-Policy")
	if !ok {
		return t
	}
	switch strings.ToLower(strings.TrimSpace(f.Value)) {
	case "same-site":
		t.Result = "corp-implemented-with-same-site"
	case "same-origin":
		t.Result = "corp-implemented-with-same-origin"
	case "cross-origin":
		t.Result = "corp-implemented-with-cross-origin"
	case "":
		// An empty header counts as absent, as in the Observatory.
	default:
		t.Result, t.Pass = "corp-header-invalid", false
	}
	return t
}
