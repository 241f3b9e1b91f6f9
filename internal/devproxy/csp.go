package devproxy

import (
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"strings"
)

// CSP amendment, Content Security Policy Level 3
// (https://www.w3.org/TR/CSP3/). The injected client needs two things from
// a page's policy: its <script src> must be allowed, and its EventSource
// must be allowed to connect to the front. Each policy is changed only as
// much as that needs, and never in a way that lets anything else load:
//
//   - A policy that already allows the client (script-src 'self', *, the
//     page's own origin or scheme, without 'strict-dynamic') is left alone.
//   - Otherwise the client gets a fresh nonce, added to the source list
//     that governs script elements — except when that list relies on
//     'unsafe-inline' without any nonce or hash: there a nonce would switch
//     inline scripts off (CSP3 §6.7.3.2), so the exact URL of the client is
//     added instead. 'none' standing alone is replaced, not extended.
//   - connect-src gets the exact URL of the event stream unless it already
//     allows the origin.
//   - When the governing list is default-src, a script-src (or connect-src)
//     copying default-src plus the addition is appended, so that
//     default-src keeps governing styles, images and the rest unchanged.
//
// Every policy in every Content-Security-Policy and
// Content-Security-Policy-Report-Only field is amended, including several
// policies joined by commas in one field (each is enforced on its own).
// A <meta http-equiv="Content-Security-Policy"> is not rewritten: the client
// is inserted right after <head>, before any such meta, and a meta policy
// only governs what comes after it (CSP3 §3.3). Reconnects after the front
// restarts may then be blocked by the meta policy's connect-src; a manual
// reload fixes that.

// CSP header names the front amends.
var cspHeaders = [...]string{"Content-Security-Policy", "Content-Security-Policy-Report-Only"}

// amendCSPHeaders amends every policy in h for the client served from
// origin (scheme://host) and returns the nonce the script tag must carry, or
// "" if no policy needs one.
func amendCSPHeaders(h http.Header, origin string) string {
	a := amender{origin: origin}
	for _, name := range cspHeaders {
		values := h.Values(name)
		if len(values) == 0 {
			continue
		}
		amended := make([]string, len(values))
		for i, v := range values {
			amended[i] = a.amendField(v)
		}
		h[http.CanonicalHeaderKey(name)] = amended
	}
	return a.nonce
}

// AmendCSP amends one Content-Security-Policy field value (possibly several
// comma-separated policies) so that the client script served from origin
// and its event stream are allowed. It returns the new value and the nonce
// the client's script element must carry ("" if none is needed). nonce, when
// not empty, is used instead of a fresh random one (for tests and callers
// that share one nonce across several fields).
func AmendCSP(value, origin, nonce string) (amended, scriptNonce string) {
	a := amender{origin: origin, nonce: nonce, fixedNonce: nonce != ""}
	amended = a.amendField(value)
	if !a.used {
		return amended, ""
	}
	return amended, a.nonce
}

type amender struct {
	origin     string
	nonce      string
	fixedNonce bool
	used       bool
}

func (a *amender) nonceSource() string {
	if a.nonce == "" {
		a.nonce = newNonce()
	}
	a.used = true
	return "'nonce-" + a.nonce + "'"
}

func (a *amender) amendField(field string) string {
	policies := strings.Split(field, ",")
	for i, p := range policies {
		policies[i] = a.amendPolicy(strings.TrimSpace(p))
	}
	return strings.Join(policies, ", ")
}

// directive is one parsed directive; raw keeps the original text so that
// directives we do not touch are sent back as they came.
type directive struct {
	name    string
	sources []string
	raw     string
}

// parsePolicy splits a serialized policy (CSP3 §2.2.1): directives are
// separated by ';', the name is the first token (ASCII case-insensitive),
// and a repeated directive is ignored by browsers — so only the first of a
// name is ever amended.
func parsePolicy(policy string) []directive {
	var ds []directive
	for _, raw := range strings.Split(policy, ";") {
		raw = strings.TrimSpace(raw)
		if raw == "" {
			continue
		}
		fields := strings.Fields(raw)
		ds = append(ds, directive{name: strings.ToLower(fields[0]), sources: fields[1:], raw: raw})
	}
	return ds
}

func find(ds []directive, name string) int {
	for i, d := range ds {
		if d.name == name {
			return i
		}
	}
	return -1
}

func (a *amender) amendPolicy(policy string) string {
	ds := parsePolicy(policy)
	if len(ds) == 0 {
		return policy
	}
	changed := false

	// Script elements: script-src-elem, else script-src, else default-src.
	if i, inherited := governing(ds, "script-src-elem", "script-src"); i >= 0 {
		if add, replaceNone := a.scriptAddition(ds[i].sources); add != "" {
			changed = true
			ds = extend(ds, i, inherited, "script-src", add, replaceNone)
		}
	}
	// EventSource: connect-src, else default-src.
	if i, inherited := governing(ds, "connect-src"); i >= 0 {
		if !allowsURL(ds[i].sources, a.origin, EventsPath) {
			changed = true
			only := len(ds[i].sources) == 1 && strings.EqualFold(ds[i].sources[0], "'none'")
			ds = extend(ds, i, inherited, "connect-src", a.origin+EventsPath, only)
		}
	}
	if !changed {
		return policy
	}
	parts := make([]string, len(ds))
	for i, d := range ds {
		parts[i] = d.raw
	}
	return strings.Join(parts, "; ")
}

// governing returns the index of the first of names present, else of
// default-src (inherited = true), else -1 (no restriction).
func governing(ds []directive, names ...string) (int, bool) {
	for _, n := range names {
		if i := find(ds, n); i >= 0 {
			return i, false
		}
	}
	if i := find(ds, "default-src"); i >= 0 {
		return i, true
	}
	return -1, false
}

// extend adds source to ds[i], or, when ds[i] is an inherited default-src,
// appends a new directive name with default-src's sources plus source.
func extend(ds []directive, i int, inherited bool, name, source string, replaceNone bool) []directive {
	sources := append([]string(nil), ds[i].sources...)
	if replaceNone {
		sources = sources[:0]
	}
	sources = append(sources, source)
	d := directive{sources: sources}
	if inherited {
		d.name = name
	} else {
		d.name = ds[i].name
	}
	d.raw = d.name + " " + strings.Join(sources, " ")
	if inherited {
		return append(ds, d)
	}
	ds[i] = d
	return ds
}

// scriptAddition decides what the governing script list needs: "" when the
// client already may load, else a nonce source or the client's URL.
func (a *amender) scriptAddition(sources []string) (add string, replaceNone bool) {
	strictDynamic, nonceOrHash, unsafeInline := false, false, false
	for _, s := range sources {
		ls := strings.ToLower(s)
		switch {
		case ls == "'strict-dynamic'":
			strictDynamic = true
		case strings.HasPrefix(ls, "'nonce-"), strings.HasPrefix(ls, "'sha256-"), strings.HasPrefix(ls, "'sha384-"), strings.HasPrefix(ls, "'sha512-"):
			nonceOrHash = true
		case ls == "'unsafe-inline'":
			unsafeInline = true
		}
	}
	// 'strict-dynamic' makes browsers ignore host and 'self' sources.
	if !strictDynamic && allowsURL(sources, a.origin, ClientScriptPath) {
		return "", false
	}
	if a.nonce != "" {
		for _, s := range sources {
			if s == "'nonce-"+a.nonce+"'" {
				a.used = true
				return "", false // amended before with this nonce
			}
		}
	}
	if unsafeInline && !nonceOrHash && !strictDynamic {
		return a.origin + ClientScriptPath, false
	}
	only := len(sources) == 1 && strings.EqualFold(sources[0], "'none'")
	return a.nonceSource(), only
}

// allowsURL reports whether a source list already matches origin+path:
// 'self', *, the origin's scheme, the origin itself or the exact URL. Other
// paths in host sources are not evaluated; such a list simply gets the
// exact URL added.
func allowsURL(sources []string, origin, path string) bool {
	scheme, _, _ := strings.Cut(origin, "://")
	origin = strings.ToLower(origin)
	for _, s := range sources {
		switch ls := strings.ToLower(s); ls {
		case "'self'", "*", scheme + ":", origin, origin + "/", origin + strings.ToLower(path):
			return true
		}
	}
	return false
}

// newNonce returns 144 random bits in base64, as CSP3 §2.3.1 asks of a
// nonce (at least 128 bits, unguessable, fresh per response).
func newNonce() string {
	var b [18]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return base64.StdEncoding.EncodeToString(b[:])
}
