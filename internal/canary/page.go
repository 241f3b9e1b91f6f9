package canary

import (
	"encoding/json"
	"fmt"
	"html/template"
	"math"
	"net/http"
	"strings"
)

// State is what the page shows: the report as it stands and the samples
// behind it.
type State struct {
	Report Report
	Routes []RouteData
}

// PageHandler serves the canary page at [PagePath] (inline SVG, no
// script, no external asset; it reloads itself every two seconds) and the
// report as JSON at PagePath + ".json".
func PageHandler(state func() State) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case PagePath:
			st := state()
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Header().Set("Cache-Control", "no-store")
			w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:")
			if err := pageTemplate.Execute(w, pageData(st)); err != nil {
				fmt.Fprintf(w, "<p>rendering the page failed: %s</p>", template.HTMLEscapeString(err.Error()))
			}
		case PagePath + ".json":
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Cache-Control", "no-store")
			enc := json.NewEncoder(w)
			enc.SetIndent("", "  ")
			_ = enc.Encode(state().Report)
		default:
			http.NotFound(w, r)
		}
	})
}

type pageRoute struct {
	RouteReport
	Chart template.HTML
}

type pageView struct {
	Report   Report
	Routes   []pageRoute
	Timeline template.HTML
}

func pageData(st State) pageView {
	v := pageView{Report: st.Report, Timeline: timelineSVG(st.Report.Timeline)}
	byName := map[string]RouteData{}
	for _, d := range st.Routes {
		byName[d.Route] = d
	}
	for _, r := range st.Report.Routes {
		v.Routes = append(v.Routes, pageRoute{RouteReport: r, Chart: distributionSVG(byName[r.Route])})
	}
	return v
}

const (
	chartW, chartH = 560.0, 160.0
	padL, padB     = 44.0, 22.0
	bins           = 32
)

// distributionSVG draws both versions' latency distributions overlaid: a
// histogram over log-spaced bins (latencies are skewed; a log axis shows
// both the body and the tail), each version's share of its own samples.
func distributionSVG(d RouteData) template.HTML {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, l := range d.Latencies {
		if len(l) > 0 {
			lo, hi = min(lo, math.Max(l[0], 0.001)), max(hi, math.Max(l[len(l)-1], 0.001))
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="dist" viewBox="0 0 %.0f %.0f" width="%.0f" height="%.0f" role="img" aria-label="latency distributions of %s">`, chartW, chartH, chartW, chartH, template.HTMLEscapeString(d.Route))
	if math.IsInf(lo, 1) {
		b.WriteString(`<text x="10" y="80">no successful responses yet</text></svg>`)
		return template.HTML(b.String())
	}
	if hi <= lo*1.01 {
		lo, hi = lo/1.5, hi*1.5
	}
	llo, lhi := math.Log10(lo), math.Log10(hi)
	var hist [2][bins]float64
	peak := 0.0
	for v, l := range d.Latencies {
		for _, x := range l {
			i := int(float64(bins) * (math.Log10(math.Max(x, 0.001)) - llo) / (lhi - llo))
			hist[v][min(max(i, 0), bins-1)]++
		}
		for i := range hist[v] {
			if len(l) > 0 {
				hist[v][i] /= float64(len(l))
			}
			peak = max(peak, hist[v][i])
		}
	}
	plotW, plotH := chartW-padL-8, chartH-padB-8
	for v, cls := range [2]string{"dist-baseline", "dist-candidate"} {
		if len(d.Latencies[v]) == 0 {
			continue
		}
		fmt.Fprintf(&b, `<path class="%s" d="M%.1f %.1f`, cls, padL, 8+plotH)
		for i, h := range hist[v] {
			x0 := padL + plotW*float64(i)/bins
			y := 8 + plotH - plotH*h/peak
			fmt.Fprintf(&b, " L%.1f %.1f L%.1f %.1f", x0, y, x0+plotW/bins, y)
		}
		fmt.Fprintf(&b, ` L%.1f %.1f Z"/>`, padL+plotW, 8+plotH)
	}
	axes(&b, plotW, plotH)
	for _, f := range []float64{0, 0.5, 1} {
		ms := math.Pow(10, llo+f*(lhi-llo))
		anchor := map[float64]string{0: "start", 0.5: "middle", 1: "end"}[f]
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="%s">%s ms</text>`, padL+f*plotW, chartH-6, anchor, fmtMs(ms))
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

func axes(b *strings.Builder, plotW, plotH float64) {
	fmt.Fprintf(b, `<line class="axis" x1="%.1f" y1="8" x2="%.1f" y2="%.1f"/><line class="axis" x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f"/>`,
		padL, padL, 8+plotH, padL, 8+plotH, padL+plotW, 8+plotH)
}

func fmtMs(ms float64) string {
	switch {
	case ms >= 100:
		return fmt.Sprintf("%.0f", ms)
	case ms >= 1:
		return fmt.Sprintf("%.1f", ms)
	}
	return fmt.Sprintf("%.2f", ms)
}

// timelineSVG draws each version's error rate per second.
func timelineSVG(tl []TimelinePoint) template.HTML {
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="timeline" viewBox="0 0 %.0f %.0f" width="%.0f" height="%.0f" role="img" aria-label="error rate over time">`, chartW, chartH, chartW, chartH)
	plotW, plotH := chartW-padL-8, chartH-padB-8
	peak := 0.01
	for _, p := range tl {
		for v := range 2 {
			if p.Requests[v] > 0 {
				peak = max(peak, float64(p.Errors[v])/float64(p.Requests[v]))
			}
		}
	}
	n := max(len(tl)-1, 1)
	for v, cls := range [2]string{"err-baseline", "err-candidate"} {
		var pts []string
		for i, p := range tl {
			rate := 0.0
			if p.Requests[v] > 0 {
				rate = float64(p.Errors[v]) / float64(p.Requests[v])
			}
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", padL+plotW*float64(i)/float64(n), 8+plotH-plotH*rate/peak))
		}
		fmt.Fprintf(&b, `<polyline class="%s" points="%s"/>`, cls, strings.Join(pts, " "))
	}
	axes(&b, plotW, plotH)
	fmt.Fprintf(&b, `<text x="4" y="16">%.0f%%</text><text x="4" y="%.1f">0%%</text><text x="%.1f" y="%.1f" text-anchor="end">%ds</text></svg>`, 100*peak, 8+plotH, padL+plotW, chartH-6, len(tl))
	return template.HTML(b.String())
}

var pageTemplate = template.Must(template.New("canary").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="2">
<title>golocal canary: {{.Report.Verdict}}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}
h1 span,h2 span{padding:.1em .5em;border-radius:.3em;color:#fff;font-size:.8em}
.pass{background:#2e7d32}.marginal,.insufficient{background:#b26a00}.fail,.inconclusive{background:#c62828}
table{border-collapse:collapse}td,th{padding:.2em .6em;text-align:right}th:first-child,td:first-child{text-align:left}
svg text{font-size:11px;fill:#555}.axis{stroke:#888}
.dist-baseline{fill:#1565c0;fill-opacity:.35;stroke:#1565c0}.dist-candidate{fill:#e65100;fill-opacity:.35;stroke:#e65100}
.err-baseline{fill:none;stroke:#1565c0;stroke-width:2}.err-candidate{fill:none;stroke:#e65100;stroke-width:2}
.key-b{color:#1565c0}.key-c{color:#e65100}section{margin:1em 0}
</style></head><body>
<h1>canary <span class="{{.Report.Verdict}}">{{.Report.Verdict}}</span></h1>
<p>{{.Report.Routing}}</p>
<ul>{{range .Report.Reasons}}<li>{{.}}</li>{{end}}</ul>
<p><b class="key-b">■ baseline</b> {{(index .Report.Versions 0).Source}} · <b class="key-c">■ candidate</b> {{(index .Report.Versions 1).Source}}{{if .Report.Identical}} · <b>identical binaries</b>{{end}}</p>
<section><h2>Error rate over time</h2>{{.Timeline}}</section>
{{range .Routes}}<section class="route"><h2>{{.Route}} <span class="{{.Verdict}}">{{.Verdict}}</span></h2>
<table><tr><th>version</th><th>requests</th><th>errors</th><th>p50 ms</th><th>p95 ms</th><th>p99 ms</th></tr>
<tr><td class="key-b">baseline</td><td>{{.Baseline.Requests}}</td><td>{{.Baseline.Errors}}</td><td>{{.Baseline.P50}}</td><td>{{.Baseline.P95}}</td><td>{{.Baseline.P99}}</td></tr>
<tr><td class="key-c">candidate</td><td>{{.Candidate.Requests}}</td><td>{{.Candidate.Errors}}</td><td>{{.Candidate.P50}}</td><td>{{.Candidate.P95}}</td><td>{{.Candidate.P99}}</td></tr></table>
{{.Chart}}<ul>{{range .Reasons}}<li>{{.}}</li>{{end}}</ul></section>
{{end}}</body></html>
`))
