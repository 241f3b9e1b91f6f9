package canary

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// DBStats is what a version's /metrics says about its database, when it
// registers Prometheus' database/sql collector (the kit's reference
// service does: collectors.NewDBStatsCollector) or a query-time histogram.
type DBStats struct {
	// InUse and MaxOpen are go_sql_in_use_connections and
	// go_sql_max_open_connections; Saturation is InUse/MaxOpen (0 when the
	// pool is unbounded).
	InUse      float64 `json:"in_use"`
	MaxOpen    float64 `json:"max_open"`
	Saturation float64 `json:"saturation"`
	// PeakSaturation is the highest Saturation seen over the run.
	PeakSaturation float64 `json:"peak_saturation"`
	// WaitCount and WaitSeconds: go_sql_wait_count_total and
	// go_sql_wait_duration_seconds_total, how often and how long requests
	// waited for a free connection.
	WaitCount   float64 `json:"wait_count"`
	WaitSeconds float64 `json:"wait_seconds"`
	// QueryMeanMs is the mean of the first histogram or summary whose
	// name ends in query_duration_seconds (sum/count), 0 without one.
	QueryMeanMs float64 `json:"query_mean_ms"`
	QueryCount  float64 `json:"query_count"`
	QueryMetric string  `json:"query_metric,omitempty"`
}

// Scrape is one version's metrics.
type Scrape struct {
	// DB is nil when the version exposes no database metrics.
	DB *DBStats `json:"db,omitempty"`
	// Routes are the route labels of the kit's *http_requests_total.
	Routes []string `json:"-"`
	// Err says why the last scrape failed, "" when it worked.
	Err string `json:"error,omitempty"`
}

// ParseMetrics reads the Prometheus text exposition format.
func ParseMetrics(r io.Reader) (Scrape, error) {
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(r)
	if err != nil {
		return Scrape{}, fmt.Errorf("reading /metrics: %w", err)
	}
	var s Scrape
	db := &DBStats{}
	found := false
	for name, f := range fams {
		switch {
		case name == "go_sql_in_use_connections":
			db.InUse, found = sumValues(f), true
		case name == "go_sql_max_open_connections":
			db.MaxOpen, found = sumValues(f), true
		case name == "go_sql_wait_count_total":
			db.WaitCount, found = sumValues(f), true
		case name == "go_sql_wait_duration_seconds_total":
			db.WaitSeconds, found = sumValues(f), true
		case strings.HasSuffix(name, "query_duration_seconds") && db.QueryMetric == "":
			if sum, count := sumCount(f); count > 0 {
				db.QueryMeanMs, db.QueryCount, db.QueryMetric, found = 1000*sum/count, count, name, true
			}
		case strings.HasSuffix(name, "http_requests_total"):
			s.Routes = append(s.Routes, labelValues(f, "route")...)
		}
	}
	if db.MaxOpen > 0 {
		db.Saturation = db.InUse / db.MaxOpen
	}
	if found {
		s.DB = db
	}
	slices.Sort(s.Routes)
	s.Routes = slices.Compact(s.Routes)
	return s, nil
}

func sumValues(f *dto.MetricFamily) float64 {
	var t float64
	for _, m := range f.GetMetric() {
		switch {
		case m.Gauge != nil:
			t += m.GetGauge().GetValue()
		case m.Counter != nil:
			t += m.GetCounter().GetValue()
		case m.Untyped != nil:
			t += m.GetUntyped().GetValue()
		}
	}
	return t
}

func sumCount(f *dto.MetricFamily) (sum, count float64) {
	for _, m := range f.GetMetric() {
		switch {
		case m.Histogram != nil:
			sum += m.GetHistogram().GetSampleSum()
			count += float64(m.GetHistogram().GetSampleCount())
		case m.Summary != nil:
			sum += m.GetSummary().GetSampleSum()
			count += float64(m.GetSummary().GetSampleCount())
		}
	}
	return sum, count
}

func labelValues(f *dto.MetricFamily, label string) []string {
	var out []string
	for _, m := range f.GetMetric() {
		for _, l := range m.GetLabel() {
			if l.GetName() == label {
				out = append(out, l.GetValue())
			}
		}
	}
	return out
}

// Scraper polls both versions' admin /metrics.
type Scraper struct {
	mu     sync.Mutex
	admins [2]*url.URL
	last   [2]Scrape
	router *Router
	client *http.Client
}

// NewScraper scrapes the given admin listeners (nil: that version has
// none) and feeds learnt route labels to router.
func NewScraper(admins [2]*url.URL, router *Router) *Scraper {
	return &Scraper{admins: admins, router: router, client: &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{Proxy: nil}}}
}

// Run scrapes every interval until ctx is done.
func (s *Scraper) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		s.Once(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Once scrapes both versions now.
func (s *Scraper) Once(ctx context.Context) {
	for v, admin := range s.admins {
		if admin == nil {
			continue
		}
		sc, err := s.scrape(ctx, admin)
		s.mu.Lock()
		if err != nil {
			s.last[v].Err = err.Error()
		} else {
			if prev := s.last[v].DB; prev != nil && sc.DB != nil {
				sc.DB.PeakSaturation = max(prev.PeakSaturation, sc.DB.Saturation)
			} else if sc.DB != nil {
				sc.DB.PeakSaturation = sc.DB.Saturation
			}
			s.last[v] = sc
		}
		s.mu.Unlock()
		if err == nil && s.router != nil && len(sc.Routes) > 0 {
			s.router.SetPatterns(sc.Routes)
		}
	}
}

func (s *Scraper) scrape(ctx context.Context, admin *url.URL) (Scrape, error) {
	u := admin.JoinPath("/metrics")
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return Scrape{}, err
	}
	req.Header.Set("Accept", "text/plain; version=0.0.4")
	resp, err := s.client.Do(req)
	if err != nil {
		return Scrape{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return Scrape{}, fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	return ParseMetrics(io.LimitReader(resp.Body, 16<<20))
}

// Last returns the latest scrape of each version.
func (s *Scraper) Last() [2]Scrape {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.last
	for v := range out {
		if out[v].DB != nil {
			db := *out[v].DB
			out[v].DB = &db
		}
	}
	return out
}
