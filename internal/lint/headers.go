package lint

import (
	"regexp"
	"slices"
	"strings"
)

// Rules on the framing of pages and other security headers: X-Frame-Options,
// Referrer-Policy, Permissions-Policy, COOP/COEP/CORP and banners.

// xfoValues returns the lower-cased X-Frame-Options values as the HTML
// standard collects them (every field, split on commas).
func xfoValues(fields []Field) []string {
	var out []string
	for _, v := range listValues(fields, "X-Frame-Options") {
		out = append(out, strings.ToLower(v))
	}
	return out
}

func checkXFOAllowFrom(c *checker) {
	for _, f := range c.all("X-Frame-Options") {
		if hasPrefixFold(strings.TrimSpace(f.Value), "allow-from") {
			c.add(evidence(f), "use Content-Security-Policy: frame-ancestors https://example.test instead",
				"X-Frame-Options ALLOW-FROM is not supported by any current browser: the page can be framed by anyone")
		}
	}
}

func checkXFOConflict(c *checker) {
	vals := xfoValues(c.fields)
	distinct := slices.Compact(slices.Sorted(slices.Values(vals)))
	if len(distinct) > 1 {
		fs := c.all("X-Frame-Options")
		c.add(joinEvidence(fs), "send one X-Frame-Options: DENY (or SAMEORIGIN)",
			"X-Frame-Options has the conflicting values %s: browsers then ignore it and allow framing", Escape(strings.Join(distinct, ", ")))
	}
}

var referrerPolicies = map[string]bool{
	"no-referrer": true, "no-referrer-when-downgrade": true, "same-origin": true, "origin": true,
	"strict-origin": true, "origin-when-cross-origin": true, "strict-origin-when-cross-origin": true, "unsafe-url": true,
}

var unsafeReferrerPolicies = map[string]bool{
	"unsafe-url": true, "no-referrer-when-downgrade": true, "origin": true, "origin-when-cross-origin": true,
}

// effectiveReferrerPolicy returns the policy browsers apply: the last
// recognised token across all fields (Referrer Policy §8.1), or "".
func effectiveReferrerPolicy(fields []Field) string {
	policy := ""
	for _, v := range listValues(fields, "Referrer-Policy") {
		if v = strings.ToLower(v); referrerPolicies[v] {
			policy = v
		}
	}
	return policy
}

func checkReferrerPolicy(c *checker) {
	// The header and <meta name="referrer"> together, as the score reads them.
	fields := c.all("Referrer-Policy")
	for _, m := range c.html().metaReferrer {
		fields = append(fields, Field{Name: "Referrer-Policy", Value: m, Line: []byte(`<meta name="referrer" content="` + m + `">`)})
	}
	if len(fields) == 0 {
		return
	}
	switch p := effectiveReferrerPolicy(fields); {
	case unsafeReferrerPolicies[p]:
		c.add(evidence(fields[0]), "use Referrer-Policy: strict-origin-when-cross-origin (or no-referrer)",
			"Referrer-Policy %s sends the page's URL or origin to other sites (on downgrade too for some values)", p)
	case p == "":
		c.add(evidence(fields[0]), "use Referrer-Policy: strict-origin-when-cross-origin (or no-referrer)",
			"Referrer-Policy holds no value browsers recognise: they ignore it and apply their default")
	}
}

func checkXFOMissing(c *checker) {
	switch t := c.scoreXFO(); t.Result {
	case "x-frame-options-not-implemented":
		c.add("", "send Content-Security-Policy: frame-ancestors 'none' (or 'self'), and X-Frame-Options: DENY for older browsers",
			"neither X-Frame-Options nor CSP frame-ancestors: any site can frame the page (clickjacking)")
	case "x-frame-options-header-invalid":
		f, _ := c.first("X-Frame-Options")
		c.add(evidence(f), "send X-Frame-Options: DENY (or SAMEORIGIN), or CSP frame-ancestors",
			"X-Frame-Options %q is not DENY or SAMEORIGIN: browsers ignore it and allow framing", Escape(f.Value))
	}
}

func checkSRIMissing(c *checker) {
	result, offenders := c.sri()
	if observatoryModifiers[result] >= 0 {
		return
	}
	ev := ""
	if len(offenders) > 0 {
		ev = Escape(`<script src="` + strings.Join(offenders[:min(3, len(offenders))], `">, <script src="`) + `">`)
	}
	what := "without integrity"
	switch result {
	case "sri-implemented-but-external-scripts-not-loaded-securely":
		what = "over plain HTTP"
	case "sri-not-implemented-and-external-scripts-not-loaded-securely":
		what = "without integrity and over plain HTTP"
	}
	c.add(ev, `add integrity="sha384-…" crossorigin="anonymous" to third-party scripts and load them over https:// (or host them yourself)`,
		"%d script(s) from other origins load %s: whoever serves them (or sits on the path) runs code in the page", len(offenders), what)
}

// featurePolicySyntax recognises "camera 'none'; geolocation 'self'".
var featurePolicySyntax = regexp.MustCompile(`(?i)^[a-z0-9-]+\s+('|\*|https?:)|;\s*[a-z0-9-]+\s|'(none|self|src)'`)

func checkPermissionsPolicy(c *checker) {
	fs := c.all("Permissions-Policy")
	if len(fs) == 0 {
		return
	}
	var vals []string
	for _, f := range fs {
		vals = append(vals, f.Value)
	}
	_, err := ParseSFDictionary(strings.Join(vals, ", "))
	if err == nil {
		return
	}
	if featurePolicySyntax.MatchString(strings.TrimSpace(fs[0].Value)) {
		c.add(evidence(fs[0]), `rewrite it as a dictionary: camera=(), geolocation=(self "https://example.test")`,
			"Permissions-Policy uses the old Feature-Policy syntax: browsers ignore the whole header")
		return
	}
	c.add(evidence(fs[0]), `write it as a structured dictionary, e.g. camera=(), geolocation=(self)`,
		"Permissions-Policy is not a valid structured-field dictionary (%s): browsers ignore the whole header", Escape(err.Error()))
}

func checkSFItemAllowed(c *checker, name string, allowed []string, fix string) {
	fs := c.all(name)
	if len(fs) == 0 {
		return
	}
	v, err := ParseSFItem(fs[0].Value)
	if err == nil && slices.Contains(allowed, v) {
		return
	}
	c.add(evidence(fs[0]), fix, "%s value is not one of %s: browsers treat it as unsafe-none", name, strings.Join(allowed, ", "))
}

func checkCOOP(c *checker) {
	checkSFItemAllowed(c, "Cross-Origin-Opener-Policy",
		[]string{"same-origin", "same-origin-allow-popups", "noopener-allow-popups", "unsafe-none"},
		"use Cross-Origin-Opener-Policy: same-origin (lower case, no quotes)")
}

func checkCOEP(c *checker) {
	checkSFItemAllowed(c, "Cross-Origin-Embedder-Policy",
		[]string{"require-corp", "credentialless", "unsafe-none"},
		"use Cross-Origin-Embedder-Policy: require-corp or credentialless (lower case, no quotes)")
}

var corpValues = []string{"same-origin", "same-site", "cross-origin"}

// corpValue returns the CORP value as Fetch reads it: all fields combined,
// compared byte for byte.
func corpValue(fields []Field) (string, bool) {
	fs := fieldsNamed(fields, "Cross-Origin-Resource-Policy")
	if len(fs) == 0 {
		return "", false
	}
	var vals []string
	for _, f := range fs {
		vals = append(vals, f.Value)
	}
	return strings.Join(vals, ", "), true
}

func checkCORP(c *checker) {
	v, ok := corpValue(c.fields)
	if !ok || slices.Contains(corpValues, v) {
		return
	}
	f, _ := c.first("Cross-Origin-Resource-Policy")
	c.add(evidence(f), "use Cross-Origin-Resource-Policy: same-origin, same-site or cross-origin (exactly, once)",
		"Cross-Origin-Resource-Policy %q is not a value Fetch knows: it is ignored", Escape(v))
}

var versionLike = regexp.MustCompile(`\d`)

// bannerFields name the stack and often its version.
var bannerFields = []string{"X-Powered-By", "X-AspNet-Version", "X-AspNetMvc-Version", "X-Generator", "X-Backend-Server", "X-Runtime-Version"}

func checkInfoLeak(c *checker) {
	for _, f := range c.all("Server") {
		if versionLike.MatchString(f.Value) {
			c.add(evidence(f), "drop the version from Server (or drop the header)",
				"Server names a version: it tells attackers which known vulnerabilities to try")
		}
	}
	for _, name := range bannerFields {
		for _, f := range c.all(name) {
			c.add(evidence(f), "remove "+name,
				"%s advertises the software stack", name)
		}
	}
}
