package negotiate

import (
	"net/http"
	"strings"

	"github.com/golocal/golocal/problem"
)

// Choose picks the offer the client prefers, following RFC 9110 §12.5.1.
// accept is every Accept field line (r.Header.Values("Accept")); offers are
// the media types the handler can produce, most preferred first, optionally
// with parameters ("application/json; version=2", "text/html; charset=utf-8").
//
// Each offer gets the weight of the most specific range that matches it
// (text/html beats text/* beats */*; more matching parameters beat fewer), so
// "text/*;q=0.1, text/html" gives text/html 1 and text/plain 0.1. The offer
// with the highest weight above zero wins; ties go to the earlier offer, which
// is how the server states its own preference. A range's parameters must all
// be present in the offer with equal values (compared case-insensitively),
// except that charset=utf-8 is satisfied by JSON, which is always UTF-8
// (RFC 8259 §8.1).
//
// No Accept, or an Accept with no valid member, means anything is acceptable
// and the first valid offer wins. ok is false when nothing is acceptable:
// answer 406 (see [Negotiate]). Offers that are not valid media types
// (wildcards included) are never chosen.
func Choose(accept []string, offers []string) (offer string, ok bool) {
	return chooseFrom(ParseAccept(accept), offers)
}

// Quality returns the weight ranges give to the media type offer: that of the
// most specific matching range, 0 if none matches, 1 if ranges is empty.
// It returns 0 for an offer that is not a valid media type.
func Quality(ranges []MediaRange, offer string) float64 {
	o, ok := parseMediaRange(offer, false)
	if !ok {
		return 0
	}
	if len(ranges) == 0 {
		return 1
	}
	if i := mostSpecific(ranges, o); i >= 0 {
		return ranges[i].Q
	}
	return 0
}

func chooseFrom(ranges []MediaRange, offers []string) (string, bool) {
	best, bestQ := -1, 0.0
	for i, offer := range offers {
		if q := Quality(ranges, offer); q > bestQ {
			best, bestQ = i, q
		}
	}
	if best < 0 {
		return "", false
	}
	return offers[best], true
}

// mostSpecific returns the index of the most specific range matching o, or -1.
// Among equally specific ranges the first wins.
func mostSpecific(ranges []MediaRange, o MediaRange) int {
	best, bestScore := -1, -1
	for i, r := range ranges {
		if !matches(r, o) {
			continue
		}
		// Specificity: concrete subtype > type/* > */*, then parameter count.
		score := len(r.Params)
		switch {
		case r.Subtype != "*":
			score += 2 * (maxParams + 1)
		case r.Type != "*":
			score += maxParams + 1
		}
		if score > bestScore {
			best, bestScore = i, score
		}
	}
	return best
}

func matches(r, o MediaRange) bool {
	if r.Type != "*" && (r.Type != o.Type || (r.Subtype != "*" && r.Subtype != o.Subtype)) {
		return false
	}
	for _, p := range r.Params {
		v, ok := o.Param(p.Name)
		if !ok && p.Name == "charset" && isJSON(o) && strings.EqualFold(p.Value, "utf-8") {
			continue
		}
		if !ok || !strings.EqualFold(v, p.Value) {
			return false
		}
	}
	return true
}

func isJSON(m MediaRange) bool {
	return m.Type == "application" && (m.Subtype == "json" || strings.HasSuffix(m.Subtype, "+json"))
}

// AddVary adds field names to the Vary header of h (RFC 9110 §12.5.5),
// merging with the names already there across all Vary lines, without
// duplicates (compared case-insensitively), and leaving "Vary: *" alone.
// Caches need Vary: Accept on every negotiated response — the 406 and the
// default choice included — or they serve JSON to a browser.
func AddVary(h http.Header, names ...string) {
	var existing []string
	for _, line := range h.Values("Vary") {
		for name := range strings.SplitSeq(line, ",") {
			if name = trimOWS(name); name != "" {
				if name == "*" {
					return
				}
				existing = append(existing, name)
			}
		}
	}
	merged := existing
	for _, name := range names {
		dup := false
		for _, e := range merged {
			if strings.EqualFold(e, name) {
				dup = true
				break
			}
		}
		if !dup {
			merged = append(merged, name)
		}
	}
	if len(merged) == len(existing) && len(h.Values("Vary")) <= 1 {
		return
	}
	h.Set("Vary", strings.Join(merged, ", "))
}

// Negotiate chooses among offers for r, adds Vary: Accept to w, and when
// nothing is acceptable writes a 406 problem listing the offers and returns
// false — the handler then just returns.
//
//	ct, ok := negotiate.Negotiate(w, r, "application/json", "text/csv")
//	if !ok {
//		return
//	}
func Negotiate(w http.ResponseWriter, r *http.Request, offers ...string) (string, bool) {
	AddVary(w.Header(), "Accept")
	offer, ok := Choose(r.Header.Values("Accept"), offers)
	if !ok {
		problem.Error(w, r, problem.Unacceptable(offers...))
	}
	return offer, ok
}
