package canary

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime"
	"slices"
	"strings"
	"sync"
)

// maxDiffsKept bounds the differences listed per route; the counts go on.
const maxDiffsKept = 20

// Difference is one way a mirrored request's two answers differed.
type Difference struct {
	Route string `json:"route"`
	// Field is "status", "content-type", "body" or a JSON path such as
	// "$.items[2].price".
	Field     string `json:"field"`
	Baseline  string `json:"baseline"`
	Candidate string `json:"candidate"`
}

// RouteDiffs are one route's mirror comparisons.
type RouteDiffs struct {
	Route    string       `json:"route"`
	Compared int          `json:"compared"`
	Differed int          `json:"differed"`
	Examples []Difference `json:"examples"`
}

// Diffs compares the two versions' answers to mirrored requests. Fields
// whose JSON key is in the ignore list (ids, timestamps) are not compared.
type Diffs struct {
	mu     sync.Mutex
	ignore map[string]bool
	routes map[string]*RouteDiffs
}

// NewDiffs makes a comparison that skips the named JSON fields: a plain
// key ("created_at") skips it at any depth, a path ("$.meta.request_id")
// only there.
func NewDiffs(ignore []string) *Diffs {
	d := &Diffs{ignore: map[string]bool{}, routes: map[string]*RouteDiffs{}}
	for _, f := range ignore {
		d.ignore[strings.TrimSpace(f)] = true
	}
	return d
}

// Compare records the comparison of one mirrored request's answers.
func (d *Diffs) Compare(route string, base, cand captured) {
	found := d.differences(base, cand)
	d.mu.Lock()
	defer d.mu.Unlock()
	rd := d.routes[route]
	if rd == nil {
		rd = &RouteDiffs{Route: route}
		d.routes[route] = rd
	}
	rd.Compared++
	if len(found) == 0 {
		return
	}
	rd.Differed++
	for _, f := range found {
		if len(rd.Examples) >= maxDiffsKept {
			break
		}
		f.Route = route
		rd.Examples = append(rd.Examples, f)
	}
}

// Snapshot lists the routes' comparisons, sorted by route.
func (d *Diffs) Snapshot() []RouteDiffs {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]RouteDiffs, 0, len(d.routes))
	for _, rd := range d.routes {
		c := *rd
		c.Examples = slices.Clone(rd.Examples)
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b RouteDiffs) int { return strings.Compare(a.Route, b.Route) })
	return out
}

func (d *Diffs) differences(base, cand captured) []Difference {
	switch {
	case base.err != nil && cand.err != nil:
		return nil
	case base.err != nil || cand.err != nil:
		return []Difference{{Field: "status", Baseline: answerOf(base), Candidate: answerOf(cand)}}
	}
	var out []Difference
	if base.resp.StatusCode != cand.resp.StatusCode {
		out = append(out, Difference{Field: "status", Baseline: answerOf(base), Candidate: answerOf(cand)})
	}
	bt, ct := mediaType(base), mediaType(cand)
	if bt != ct {
		out = append(out, Difference{Field: "content-type", Baseline: bt, Candidate: ct})
		return out
	}
	if isJSON(bt) {
		return append(out, d.CompareJSON(base.body, cand.body)...)
	}
	if !bytes.Equal(base.body, cand.body) {
		out = append(out, Difference{Field: "body", Baseline: fmt.Sprintf("%d bytes", len(base.body)), Candidate: fmt.Sprintf("%d bytes", len(cand.body))})
	}
	return out
}

func answerOf(c captured) string {
	if c.err != nil {
		return "no answer: " + c.err.Error()
	}
	return fmt.Sprint(c.resp.StatusCode)
}

func mediaType(c captured) string {
	mt, _, err := mime.ParseMediaType(c.resp.Header.Get("Content-Type"))
	if err != nil {
		return strings.ToLower(c.resp.Header.Get("Content-Type"))
	}
	return mt
}

func isJSON(mt string) bool { return mt == "application/json" || strings.HasSuffix(mt, "+json") }

// CompareJSON lists the differences between two JSON documents, skipping
// ignored fields. A body that is not JSON is compared as bytes.
func (d *Diffs) CompareJSON(base, cand []byte) []Difference {
	var bv, cv any
	be, ce := json.Unmarshal(base, &bv), json.Unmarshal(cand, &cv)
	if be != nil || ce != nil {
		if bytes.Equal(base, cand) {
			return nil
		}
		return []Difference{{Field: "body", Baseline: jsonState(be, len(base)), Candidate: jsonState(ce, len(cand))}}
	}
	var out []Difference
	d.walk("$", "", bv, cv, &out)
	return out
}

func jsonState(err error, n int) string {
	if err != nil {
		return fmt.Sprintf("%d bytes, not JSON (%v)", n, err)
	}
	return fmt.Sprintf("%d bytes of JSON", n)
}

// walk compares a and b at path; key is the last object key on the way.
func (d *Diffs) walk(path, key string, a, b any, out *[]Difference) {
	if len(*out) >= maxDiffsKept || d.ignore[path] || key != "" && d.ignore[key] {
		return
	}
	switch av := a.(type) {
	case map[string]any:
		bv, ok := b.(map[string]any)
		if !ok {
			break
		}
		keys := make([]string, 0, len(av)+len(bv))
		for k := range av {
			keys = append(keys, k)
		}
		for k := range bv {
			if _, dup := av[k]; !dup {
				keys = append(keys, k)
			}
		}
		slices.Sort(keys)
		for _, k := range keys {
			d.walk(path+"."+k, k, av[k], bv[k], out)
		}
		return
	case []any:
		bv, ok := b.([]any)
		if !ok || len(av) != len(bv) {
			break
		}
		for i := range av {
			d.walk(fmt.Sprintf("%s[%d]", path, i), key, av[i], bv[i], out)
		}
		return
	}
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if !bytes.Equal(ja, jb) {
		*out = append(*out, Difference{Field: path, Baseline: clip(string(ja)), Candidate: clip(string(jb))})
	}
}

func clip(s string) string {
	if len(s) > 120 {
		return s[:117] + "..."
	}
	return s
}
