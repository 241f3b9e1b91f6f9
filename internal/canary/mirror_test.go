package canary

import (
	"net/http"
	"strings"
	"testing"
)

func TestCompareJSON(t *testing.T) {
	d := NewDiffs([]string{"served_at", "$.meta.id"})
	for _, tc := range []struct {
		name, a, b string
		want       []string // fields
	}{
		{"equal but ignored", `{"id":1,"served_at":"x","meta":{"id":5}}`, `{"id":1,"served_at":"y","meta":{"id":6}}`, nil},
		{"value", `{"items":[{"price":1},{"price":2}]}`, `{"items":[{"price":1},{"price":3}]}`, []string{"$.items[1].price"}},
		{"missing key", `{"a":1}`, `{"a":1,"b":2}`, []string{"$.b"}},
		{"array length", `{"a":[1]}`, `{"a":[1,2]}`, []string{"$.a"}},
		{"not json", `{"a":1}`, `<html>`, []string{"body"}},
		{"type", `{"a":"1"}`, `{"a":1}`, []string{"$.a"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := d.CompareJSON([]byte(tc.a), []byte(tc.b))
			var fields []string
			for _, g := range got {
				fields = append(fields, g.Field)
			}
			if strings.Join(fields, ",") != strings.Join(tc.want, ",") {
				t.Errorf("differences %v, want fields %v", got, tc.want)
			}
		})
	}
}

// Mirroring answers from the baseline, sends every request to both, and
// lists what differed: /about's text, not /items' JSON apart from the
// ignored timestamp.
func TestMirror(t *testing.T) {
	opts := svcOptions(t, "SVC_NOTE=new")
	opts.Targets = nil
	opts.Routing = Routing{Mode: Mirror}
	opts.IgnoreFields = []string{"served_at"}
	front, finish := startRun(t, opts)
	for range 5 {
		for _, p := range []string{"/about", "/items/1"} {
			resp, err := http.Get(front.String() + p)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if v := resp.Header.Get(VersionHeader); v != "baseline" {
				t.Errorf("%s answered by %q, want the baseline", p, v)
			}
		}
	}
	rep := finish()
	got := map[string]RouteDiffs{}
	for _, m := range rep.Mirror {
		got[m.Route] = m
	}
	if a := got["GET /about"]; a.Compared != 5 || a.Differed != 5 || len(a.Examples) == 0 || a.Examples[0].Field != "body" {
		t.Errorf("/about: %+v, want 5 of 5 differing bodies", a)
	}
	if i := got["GET /items/{id}"]; i.Compared != 5 || i.Differed != 0 {
		t.Errorf("/items/{id}: %+v, want 5 compared, none differing", i)
	}
	if r := routeByName(t, rep, "GET /about"); r.Baseline.Requests != 5 || r.Candidate.Requests != 5 {
		t.Errorf("mirrored requests recorded %d/%d, want 5 each", r.Baseline.Requests, r.Candidate.Requests)
	}
}

func TestCookieAndWeightRouting(t *testing.T) {
	cookie := Routing{Mode: ByCookie, Name: "canary", Value: "1"}
	r, _ := http.NewRequest("GET", "/", nil)
	if cookie.choose(r) != Baseline {
		t.Error("no cookie went to the candidate")
	}
	cookie.Mark(r)
	if cookie.choose(r) != Candidate {
		t.Error("the cookie did not select the candidate")
	}
	for w, want := range map[float64]Version{0: Baseline, 100: Candidate} {
		for range 50 {
			if got := (Routing{Mode: ByWeight, Weight: w}).choose(r); got != want {
				t.Fatalf("weight %v chose %v", w, got)
			}
		}
	}
}

func mustRequest(t *testing.T, path string) *http.Request {
	t.Helper()
	r, err := http.NewRequest("GET", path, nil)
	if err != nil {
		t.Fatal(err)
	}
	return r
}
