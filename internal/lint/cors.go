package lint

import (
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// CORS rules (Fetch standard, "CORS protocol"). Passive rules read every
// response the probe has: the main one and, with --origin, the preflight,
// the credentialed request and the one from an attacker origin.

// AttackerOrigin is the origin the probe sends to see whether a server
// reflects any origin it is given.
const AttackerOrigin = "https://attacker.test"

type corsResponse struct {
	label  string // "" for the main response, else "preflight: " etc.
	ex     *Exchange
	fields []Field
}

func (c *checker) corsResponses() []corsResponse {
	out := []corsResponse{{"", c.ex, c.fields}}
	if a := c.ex.Active; a != nil {
		for _, r := range []struct {
			label string
			ex    *Exchange
		}{{"preflight: ", a.Preflight}, {"credentialed: ", a.Credentialed}, {"attacker origin: ", a.Attacker}} {
			if r.ex != nil {
				fs, _ := fieldsOf(r.ex)
				out = append(out, corsResponse{r.label, r.ex, fs})
			}
		}
	}
	return out
}

func firstValue(fields []Field, name string) (Field, string, bool) {
	fs := fieldsNamed(fields, name)
	if len(fs) == 0 {
		return Field{}, "", false
	}
	return fs[0], strings.Trim(fs[0].Value, " \t"), true
}

func checkCORSStarCred(c *checker) {
	for _, r := range c.corsResponses() {
		f, acao, ok := firstValue(r.fields, "Access-Control-Allow-Origin")
		_, acac, _ := firstValue(r.fields, "Access-Control-Allow-Credentials")
		if ok && acao == "*" && strings.EqualFold(acac, "true") {
			c.add(r.label+evidence(f), "for credentialed requests echo one allow-listed origin (with Vary: Origin); for public data drop Allow-Credentials",
				"Access-Control-Allow-Origin: * with Allow-Credentials: true: browsers refuse every credentialed request")
		}
	}
}

func checkCORSReflect(c *checker) {
	a := c.ex.Active.Attacker
	origin := a.RequestHeader.Get("Origin")
	if origin == "" {
		origin = AttackerOrigin
	}
	fs, _ := fieldsOf(a)
	f, acao, ok := firstValue(fs, "Access-Control-Allow-Origin")
	_, acac, _ := firstValue(fs, "Access-Control-Allow-Credentials")
	if ok && acao == origin && acac == "true" {
		c.add("attacker origin: "+evidence(f), "check Origin against an allow-list before echoing it; never echo an arbitrary Origin with credentials",
			"the server echoes the unlisted origin %s and allows credentials: any site can read this response with the user's cookies", origin)
	}
}

func checkCORSNull(c *checker) {
	for _, r := range c.corsResponses() {
		if f, acao, ok := firstValue(r.fields, "Access-Control-Allow-Origin"); ok && strings.EqualFold(acao, "null") {
			c.add(r.label+evidence(f), "never allow the origin null; allow-list real origins",
				"Access-Control-Allow-Origin: null admits sandboxed iframes and data: documents of any site, which all send Origin: null")
		}
	}
}

// validOrigin reports whether v is a serialized origin: scheme://host[:port]
// with nothing after.
func validOrigin(v string) (ok bool, why string) {
	if strings.ContainsAny(v, ", \t") {
		return false, "several origins in one value"
	}
	u, err := url.Parse(v)
	if err != nil || u.Scheme == "" || u.Host == "" || u.Opaque != "" || u.User != nil {
		return false, "not an origin (scheme://host[:port])"
	}
	if u.Path != "" || u.RawQuery != "" || u.Fragment != "" || strings.HasSuffix(v, "?") || strings.HasSuffix(v, "#") {
		if u.Path == "/" {
			return false, "a trailing slash"
		}
		return false, "a path"
	}
	if v != strings.ToLower(u.Scheme)+"://"+u.Host || u.Host != strings.ToLower(u.Host) {
		return false, "upper-case letters (the match is byte-exact against the lower-case serialized origin)"
	}
	return true, ""
}

func checkCORSACAOList(c *checker) {
	for _, r := range c.corsResponses() {
		fs := fieldsNamed(r.fields, "Access-Control-Allow-Origin")
		if len(fs) > 1 {
			c.add(r.label+joinEvidence(fs), "send one Access-Control-Allow-Origin with the single origin of the request",
				"Access-Control-Allow-Origin is sent %d times: browsers see the values joined by a comma, which never matches", len(fs))
			continue
		}
		if len(fs) == 0 {
			continue
		}
		v := strings.Trim(fs[0].Value, " \t")
		if v == "*" || strings.EqualFold(v, "null") {
			continue
		}
		if ok, why := validOrigin(v); !ok {
			c.add(r.label+evidence(fs[0]), "send exactly the requesting origin, e.g. https://example.test (no path, no slash, one origin)",
				"Access-Control-Allow-Origin has %s: the byte-exact match against the Origin fails and browsers block the response", why)
		}
	}
}

func checkCORSACACValue(c *checker) {
	for _, r := range c.corsResponses() {
		if f, v, ok := firstValue(r.fields, "Access-Control-Allow-Credentials"); ok && v != "true" {
			c.add(r.label+evidence(f), "send Access-Control-Allow-Credentials: true (lower case) or omit it",
				"Access-Control-Allow-Credentials is %q: only the exact value true counts", Escape(v))
		}
	}
}

func varyHas(fields []Field, name string) bool {
	for _, v := range listValues(fields, "Vary") {
		if v == "*" || strings.EqualFold(v, name) {
			return true
		}
	}
	return false
}

func checkCORSVaryOrigin(c *checker) {
	// The ACAO depends on the request when it names a specific origin, or
	// when two active requests with different origins got different answers.
	var acaos []string
	for _, r := range c.corsResponses() {
		if r.label == "preflight: " {
			continue
		}
		f, acao, ok := firstValue(r.fields, "Access-Control-Allow-Origin")
		acaos = append(acaos, acao)
		if !ok || acao == "*" || varyHas(r.fields, "Origin") {
			continue
		}
		c.add(r.label+evidence(f), "add Vary: Origin to every response whose Access-Control-Allow-Origin depends on the request",
			"Access-Control-Allow-Origin names one origin but Vary lacks Origin: a cache can serve this answer to another origin")
	}
	if c.count == 0 && len(slices.Compact(slices.Clone(acaos))) > 1 && !varyHas(c.fields, "Origin") {
		c.add("", "add Vary: Origin to every response whose Access-Control-Allow-Origin depends on the request",
			"Access-Control-Allow-Origin changes with the Origin sent (%s) but Vary lacks Origin", Escape(strings.Join(acaos, " / ")))
	}
}

// corsSafelistedMethod reports methods a preflight never needs to list.
func corsSafelistedMethod(m string) bool { return m == "GET" || m == "HEAD" || m == "POST" }

func checkCORSPreflight(c *checker) {
	a := c.ex.Active
	p := a.Preflight
	fs, _ := fieldsOf(p)
	st := p.status()
	origin := p.RequestHeader.Get("Origin")
	if origin == "" {
		origin = a.Origin
	}
	if st < 200 || st > 299 {
		why := "status " + strconv.Itoa(st)
		if st == 0 {
			why = "no valid response (" + Escape(p.ClientError) + ")"
		}
		c.add("preflight: "+why, "answer OPTIONS preflights with 204 and the Access-Control-Allow-* headers (e.g. with github.com/rs/cors)",
			"the CORS preflight got %s: browsers need a 2xx, so the real request is never sent", why)
		return
	}
	f, acao, ok := firstValue(fs, "Access-Control-Allow-Origin")
	_, acac, _ := firstValue(fs, "Access-Control-Allow-Credentials")
	credentialed := acac == "true"
	switch {
	case !ok:
		c.add("preflight: no Access-Control-Allow-Origin", "allow the origin "+origin+" in the CORS configuration",
			"the preflight answer has no Access-Control-Allow-Origin: the browser blocks the request from %s", origin)
		return
	case acao != "*" && acao != origin:
		c.add("preflight: "+evidence(f), "allow the origin "+origin+" in the CORS configuration",
			"the preflight allows %q, not %s: the browser blocks the request", Escape(acao), origin)
		return
	}
	if m := strings.ToUpper(a.PreflightMethod); m != "" && !corsSafelistedMethod(m) {
		methods := listValues(fs, "Access-Control-Allow-Methods")
		allowed := slices.Contains(methods, m) || (!credentialed && slices.Contains(methods, "*"))
		if !allowed {
			mf, _, _ := firstValue(fs, "Access-Control-Allow-Methods")
			ev := "preflight: no Access-Control-Allow-Methods"
			if len(mf.Name) > 0 {
				ev = "preflight: " + evidence(mf)
			}
			c.add(ev, "add "+m+" to Access-Control-Allow-Methods (method names are case-sensitive)",
				"the preflight does not allow the method %s", m)
		}
	}
	allowedHeaders := listValues(fs, "Access-Control-Allow-Headers")
	var missing []string
	for _, h := range a.PreflightHeaders {
		h = strings.TrimSpace(h)
		if h == "" {
			continue
		}
		star := !credentialed && slices.Contains(allowedHeaders, "*") && !strings.EqualFold(h, "Authorization")
		if star || slices.ContainsFunc(allowedHeaders, func(x string) bool { return strings.EqualFold(x, h) }) {
			continue
		}
		missing = append(missing, h)
	}
	if len(missing) > 0 {
		hf, _, _ := firstValue(fs, "Access-Control-Allow-Headers")
		ev := "preflight: no Access-Control-Allow-Headers"
		if len(hf.Name) > 0 {
			ev = "preflight: " + evidence(hf)
		}
		c.add(ev, "add "+strings.Join(missing, ", ")+" to Access-Control-Allow-Headers",
			"the preflight does not allow the request header(s) %s", Escape(strings.Join(missing, ", ")))
	}
}

func checkCORSWildcardCred(c *checker) {
	for _, r := range c.corsResponses() {
		_, acac, _ := firstValue(r.fields, "Access-Control-Allow-Credentials")
		credentialed := acac == "true"
		for _, name := range []string{"Access-Control-Allow-Methods", "Access-Control-Allow-Headers", "Access-Control-Expose-Headers"} {
			if !slices.Contains(listValues(r.fields, name), "*") {
				continue
			}
			f, _, _ := firstValue(r.fields, name)
			if credentialed {
				c.add(r.label+evidence(f), "list the methods/headers by name when allowing credentials",
					"%s: * is a literal name, not a wildcard, on credentialed requests", name)
			} else if name == "Access-Control-Allow-Headers" && requestedAuthorization(c.ex) &&
				!slices.ContainsFunc(listValues(r.fields, name), func(h string) bool { return strings.EqualFold(h, "Authorization") }) {
				c.add(r.label+evidence(f), "list Authorization explicitly in Access-Control-Allow-Headers",
					"Access-Control-Allow-Headers: * never covers Authorization")
			}
		}
	}
}

func requestedAuthorization(ex *Exchange) bool {
	if ex.Active == nil {
		return false
	}
	return slices.ContainsFunc(ex.Active.PreflightHeaders, func(h string) bool {
		return strings.EqualFold(strings.TrimSpace(h), "Authorization")
	})
}

func checkCORSMaxAge(c *checker) {
	for _, r := range c.corsResponses() {
		f, v, ok := firstValue(r.fields, "Access-Control-Max-Age")
		if !ok {
			continue
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n > 7200 {
			c.add(r.label+evidence(f), "use Access-Control-Max-Age: 7200 or less",
				"Access-Control-Max-Age %q: Chromium caps it at 7200 s and Firefox at 86400 s; an unparsable value means no caching", Escape(v))
		}
	}
}

// headerOf is a small helper for tests and the score: the first value of
// name in an exchange's best view.
func headerOf(ex *Exchange, name string) string {
	if ex == nil {
		return ""
	}
	fs, _ := fieldsOf(ex)
	_, v, _ := firstValue(fs, name)
	return v
}
