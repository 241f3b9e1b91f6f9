package lint

import (
	"strings"
)

// CSPDirective is one directive of a policy: a lower-cased name and its
// source expressions as sent.
type CSPDirective struct {
	Name    string
	Sources []string
}

// CSPPolicy is one serialized policy parsed as CSP3 §2.2.1 says.
type CSPPolicy struct {
	Directives []CSPDirective
	// Duplicates lists directive names repeated in the policy; CSP ignores
	// every occurrence after the first.
	Duplicates []string
}

// Get returns the sources of the directive name and whether it is present.
func (p CSPPolicy) Get(name string) ([]string, bool) {
	for _, d := range p.Directives {
		if d.Name == name {
			return d.Sources, true
		}
	}
	return nil, false
}

// maxCSPDirectives bounds a hostile policy; real ones have a few dozen.
const maxCSPDirectives = 1000

// ParseCSP parses a Content-Security-Policy field value into its policies:
// a comma separates policies that are all enforced (CSP3 §2.2.2). It never
// fails; unparsable directives are skipped as browsers skip them.
func ParseCSP(v string) []CSPPolicy {
	var out []CSPPolicy
	for serialized := range strings.SplitSeq(v, ",") {
		out = append(out, parsePolicy(serialized))
	}
	return out
}

func parsePolicy(s string) CSPPolicy {
	var p CSPPolicy
	seen := map[string]bool{}
	for token := range strings.SplitSeq(s, ";") {
		fields := strings.FieldsFunc(token, isASCIIWhitespace)
		if len(fields) == 0 {
			continue
		}
		name := strings.ToLower(fields[0])
		if !isDirectiveName(name) {
			continue
		}
		if seen[name] {
			p.Duplicates = append(p.Duplicates, name)
			continue
		}
		if len(p.Directives) >= maxCSPDirectives {
			break
		}
		seen[name] = true
		p.Directives = append(p.Directives, CSPDirective{Name: name, Sources: fields[1:]})
	}
	return p
}

func isASCIIWhitespace(r rune) bool {
	return r == ' ' || r == '\t' || r == '\n' || r == '\f' || r == '\r'
}

func isDirectiveName(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return s != ""
}

// enforcedCSP returns the policies of every Content-Security-Policy field
// that has at least one directive.
func enforcedCSP(fields []Field) []CSPPolicy {
	var out []CSPPolicy
	for _, f := range fieldsNamed(fields, "Content-Security-Policy") {
		for _, p := range ParseCSP(f.Value) {
			if len(p.Directives) > 0 {
				out = append(out, p)
			}
		}
	}
	return out
}

func checkCSPMissing(c *checker) {
	if len(enforcedCSP(c.fields)) > 0 || len(c.html().metaCSP) > 0 {
		return
	}
	if _, ro := c.first("Content-Security-Policy-Report-Only"); ro {
		return // csp-ro-only says it better
	}
	c.add("", "add Content-Security-Policy, e.g. default-src 'self'; object-src 'none'; frame-ancestors 'none' (APIs: default-src 'none')",
		"no enforced Content-Security-Policy: nothing limits what an injected script can do")
}

func checkCSPReportOnly(c *checker) {
	f, ok := c.first("Content-Security-Policy-Report-Only")
	if !ok || len(enforcedCSP(c.fields)) > 0 || len(c.html().metaCSP) > 0 {
		return
	}
	c.add(evidence(f), "once the reports are clean, send the same policy as Content-Security-Policy",
		"only Content-Security-Policy-Report-Only is sent: violations are reported, nothing is blocked")
}

// broadSources are sources that allow (nearly) any host.
var broadSources = map[string]bool{
	"*": true, "http:": true, "https:": true, "ftp:": true, "http://*": true, "https://*": true,
	"http://*.*": true, "https://*.*": true, "ws:": true, "wss:": true,
}

func isNonceOrHash(s string) bool {
	s = strings.ToLower(s)
	for _, p := range []string{"'nonce-", "'sha256-", "'sha384-", "'sha512-"} {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// cspUnsafeReasons lists what makes a policy weak against script
// injection, following the Observatory's reading of script-src and
// object-src.
func cspUnsafeReasons(p CSPPolicy) []string {
	var why []string
	script, ok := p.Get("script-src")
	if !ok {
		script, ok = p.Get("default-src")
	}
	if !ok {
		why = append(why, "no script-src or default-src (scripts from anywhere)")
	}
	nonceHash, strictDynamic := false, false
	for _, s := range script {
		nonceHash = nonceHash || isNonceOrHash(s)
		strictDynamic = strictDynamic || strings.EqualFold(s, "'strict-dynamic'")
	}
	if strictDynamic && !nonceHash {
		why = append(why, "'strict-dynamic' without a nonce or hash (no script can load; the Observatory counts the policy invalid)")
	}
	for _, s := range script {
		ls := strings.ToLower(s)
		switch {
		case ls == "'unsafe-inline'" && !nonceHash:
			why = append(why, "'unsafe-inline' in script-src without a nonce or hash")
		case ls == "'unsafe-eval'":
			why = append(why, "'unsafe-eval' in script-src")
		case ls == "data:" && !(strictDynamic && nonceHash):
			why = append(why, "data: in script-src")
		case broadSources[ls] && !(strictDynamic && nonceHash):
			why = append(why, s+" in script-src")
		}
	}
	object, ok := p.Get("object-src")
	if !ok {
		object, ok = p.Get("default-src")
	}
	if !ok {
		why = append(why, "no object-src or default-src (plugins from anywhere)")
	}
	for _, s := range object {
		if ls := strings.ToLower(s); broadSources[ls] || ls == "data:" {
			why = append(why, s+" in object-src")
		}
	}
	return why
}

func checkCSPUnsafe(c *checker) {
	// The header policies and <meta> ones: the score reads both.
	fields := c.all("Content-Security-Policy")
	for _, m := range c.html().metaCSP {
		fields = append(fields, Field{Name: "Content-Security-Policy", Value: m, Line: []byte(`<meta http-equiv="Content-Security-Policy" content="` + m + `">`)})
	}
	for _, f := range fields {
		for _, p := range ParseCSP(f.Value) {
			if len(p.Directives) == 0 {
				continue
			}
			why := cspUnsafeReasons(p)
			if c.https {
				why = append(why, cspInsecureSources(p)...)
			}
			if len(why) > 0 {
				c.add(evidence(f), "use script-src 'self' 'nonce-…' (or hashes) and object-src 'none'; drop 'unsafe-inline', 'unsafe-eval', data: and scheme-wide sources",
					"the policy does not stop injected scripts: %s", Escape(strings.Join(why, "; ")))
			}
		}
	}
}

// cspInsecureSources names http: and ftp: sources of a policy served over
// HTTPS: mixed content the Observatory deducts for (passive content too).
func cspInsecureSources(p CSPPolicy) []string {
	var why []string
	for _, d := range p.Directives {
		for _, s := range d.Sources {
			if ls := strings.ToLower(s); strings.HasPrefix(ls, "http:") || strings.HasPrefix(ls, "ftp:") {
				why = append(why, s+" in "+d.Name+" on an HTTPS page")
			}
		}
	}
	return why
}

func checkCSPComma(c *checker) {
	for _, name := range []string{"Content-Security-Policy", "Content-Security-Policy-Report-Only"} {
		for _, f := range c.all(name) {
			if n := len(ParseCSP(f.Value)); n > 1 {
				c.add(evidence(f), "separate directives with ';' — a ',' starts another policy that is enforced too",
					"%s holds %d policies split by commas: every one is enforced, so each must allow what the page needs", name, n)
			}
		}
	}
}

// metaIgnored are directives CSP3 ignores when delivered in a meta element.
var metaIgnored = []string{"frame-ancestors", "report-uri", "sandbox"}

func checkCSPMetaIgnored(c *checker) {
	for _, content := range c.html().metaCSP {
		for _, p := range ParseCSP(content) {
			for _, d := range metaIgnored {
				if _, ok := p.Get(d); ok {
					c.add(Escape(`<meta http-equiv="Content-Security-Policy" content="`+content+`">`),
						"send "+d+" in the Content-Security-Policy header instead",
						"%s in a <meta> policy is ignored by browsers", d)
				}
			}
		}
	}
}
