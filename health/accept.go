package health

import (
	"strconv"
	"strings"
)

// WantsJSON reports whether the Accept header field values (all lines of
// the field, as from [http.Header.Values]) prefer application/json over
// text/plain, following RFC 9110 §12.5.1: each media range has a weight
// (q, default 1), the most specific range matching a type sets its
// weight, and q=0 means "not acceptable". Text wins ties unless JSON was
// named explicitly and text was not, so browsers (which send */*) get text
// and `Accept: application/json` gets JSON. Malformed members are skipped,
// never an error: a probe must answer whatever a client sends.
func WantsJSON(accept []string) bool {
	jsonQ, jsonSpec := -1.0, -1
	textQ, textSpec := -1.0, -1
	for _, line := range accept {
		for member := range strings.SplitSeq(line, ",") {
			mediaRange, q, ok := parseMember(member)
			if !ok {
				continue
			}
			if spec := specificity(mediaRange, "application", "json"); spec > jsonSpec {
				jsonQ, jsonSpec = q, spec
			}
			if spec := specificity(mediaRange, "text", "plain"); spec > textSpec {
				textQ, textSpec = q, spec
			}
		}
	}
	if jsonQ <= 0 {
		return false
	}
	if jsonQ != textQ {
		return jsonQ > textQ
	}
	return jsonSpec == 2 && textSpec < 2
}

// parseMember splits "type/subtype;param=x;q=0.5" into the lower-cased
// media range and its weight.
func parseMember(member string) (mediaRange string, q float64, ok bool) {
	params := strings.Split(member, ";")
	mediaRange = strings.ToLower(strings.TrimSpace(params[0]))
	if strings.Count(mediaRange, "/") != 1 || strings.ContainsAny(mediaRange, " \t") {
		return "", 0, false
	}
	q = 1
	for _, p := range params[1:] {
		k, v, found := strings.Cut(strings.TrimSpace(p), "=")
		if !found || !strings.EqualFold(strings.TrimSpace(k), "q") {
			continue
		}
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil || f < 0 || f > 1 || f != f {
			return "", 0, false // RFC 9110 §12.4.2: qvalue is 0 to 1
		}
		q = f
	}
	return mediaRange, q, true
}

// specificity is 2 for "typ/sub", 1 for "typ/*", 0 for "*/*" and -1 when
// mediaRange does not match.
func specificity(mediaRange, typ, sub string) int {
	t, s, _ := strings.Cut(mediaRange, "/")
	switch {
	case t == typ && s == sub:
		return 2
	case t == typ && s == "*":
		return 1
	case t == "*" && s == "*":
		return 0
	}
	return -1
}
