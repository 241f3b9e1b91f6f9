package canary

import (
	"strings"
	"testing"
)

const sampleMetrics = `# TYPE go_sql_in_use_connections gauge
go_sql_in_use_connections{db_name="svc"} 3
# TYPE go_sql_max_open_connections gauge
go_sql_max_open_connections{db_name="svc"} 4
# TYPE go_sql_wait_count_total counter
go_sql_wait_count_total{db_name="svc"} 7
# TYPE go_sql_wait_duration_seconds_total counter
go_sql_wait_duration_seconds_total{db_name="svc"} 0.25
# TYPE svc_db_query_duration_seconds histogram
svc_db_query_duration_seconds_bucket{le="+Inf"} 4
svc_db_query_duration_seconds_sum 0.01
svc_db_query_duration_seconds_count 4
# TYPE svc_http_requests_total counter
svc_http_requests_total{method="GET",route="/items/{id}",status="2xx"} 5
svc_http_requests_total{method="POST",route="/items/{id}",status="2xx"} 1
svc_http_requests_total{method="GET",route="unmatched",status="4xx"} 1
`

func TestParseMetrics(t *testing.T) {
	s, err := ParseMetrics(strings.NewReader(sampleMetrics))
	if err != nil {
		t.Fatal(err)
	}
	db := s.DB
	if db == nil || db.InUse != 3 || db.MaxOpen != 4 || db.Saturation != 0.75 || db.WaitCount != 7 || db.WaitSeconds != 0.25 || db.QueryMeanMs != 2.5 || db.QueryMetric != "svc_db_query_duration_seconds" {
		t.Errorf("db %+v", db)
	}
	if strings.Join(s.Routes, ",") != "/items/{id},unmatched" {
		t.Errorf("routes %v", s.Routes)
	}
	for _, bad := range []string{"metric{ 1\n", "a b c d\n", "# TYPE x histogram\nx_bucket{le=\"zz\"} 1\n"} {
		if _, err := ParseMetrics(strings.NewReader(bad)); err == nil || !strings.Contains(err.Error(), "reading /metrics") {
			t.Errorf("ParseMetrics(%q) = %v, want an error", bad, err)
		}
	}
	if s, err := ParseMetrics(strings.NewReader("up 1\n")); err != nil || s.DB != nil {
		t.Errorf("no database metrics: %+v %v", s, err)
	}
}

func TestRouterUsesAppPatterns(t *testing.T) {
	var rt Router
	rt.SetPatterns([]string{"/items/{id}", "/{$}", "unmatched", "/bad/{", "/items/{id}"})
	for path, want := range map[string]string{"/items/9": "/items/{id}", "/": "/{$}", "/users/42/a1b2c3d4e5": "/users/{id}/{id}", "/static/app.css": "/static/app.css"} {
		r := mustRequest(t, path)
		if got := rt.Route(r); got != want {
			t.Errorf("Route(%s) = %q, want %q", path, got, want)
		}
	}
}

func FuzzParseMetrics(f *testing.F) {
	f.Add(sampleMetrics)
	f.Add("x{a=\"b\"} NaN\n")
	f.Fuzz(func(t *testing.T, in string) {
		s, err := ParseMetrics(strings.NewReader(in))
		if err == nil && s.DB != nil && s.DB.MaxOpen > 0 && s.DB.Saturation != s.DB.InUse/s.DB.MaxOpen {
			t.Fatalf("saturation %v of %+v", s.DB.Saturation, s.DB)
		}
	})
}

func FuzzCompareJSON(f *testing.F) {
	f.Add(`{"a":[1,{"b":2}]}`, `{"a":[1,{"b":3}]}`)
	f.Add(`[]`, `{}`)
	d := NewDiffs([]string{"id"})
	f.Fuzz(func(t *testing.T, a, b string) {
		got := d.CompareJSON([]byte(a), []byte(b))
		if len(got) > maxDiffsKept+1 {
			t.Fatalf("%d differences listed, the cap is %d", len(got), maxDiffsKept)
		}
		if a == b && len(got) != 0 {
			t.Fatalf("identical bodies differ: %v", got)
		}
	})
}
