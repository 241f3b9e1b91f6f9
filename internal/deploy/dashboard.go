package deploy

import (
	"encoding/json"
	"fmt"
)

// The Grafana dashboard JSON model, the part the dashboard uses.
//
// [dashboard JSON model]: https://grafana.com/docs/grafana/latest/dashboards/build-dashboards/view-dashboard-json-model/
type dashboard struct {
	UID           string     `json:"uid"`
	Title         string     `json:"title"`
	Tags          []string   `json:"tags"`
	SchemaVersion int        `json:"schemaVersion"`
	Refresh       string     `json:"refresh"`
	Time          timeRange  `json:"time"`
	Templating    templating `json:"templating"`
	Panels        []panel    `json:"panels"`
}

type timeRange struct {
	From string `json:"from"`
	To   string `json:"to"`
}

type templating struct {
	List []variable `json:"list"`
}

type variable struct {
	Name       string      `json:"name"`
	Label      string      `json:"label"`
	Type       string      `json:"type"`
	Query      string      `json:"query"`
	Datasource *datasource `json:"datasource,omitempty"`
	Multi      bool        `json:"multi,omitempty"`
	IncludeAll bool        `json:"includeAll,omitempty"`
	Refresh    int         `json:"refresh,omitempty"`
}

type datasource struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

type panel struct {
	ID          int         `json:"id"`
	Type        string      `json:"type"`
	Title       string      `json:"title"`
	Description string      `json:"description,omitempty"`
	GridPos     gridPos     `json:"gridPos"`
	Datasource  datasource  `json:"datasource"`
	Targets     []target    `json:"targets"`
	FieldConfig fieldConfig `json:"fieldConfig"`
}

type gridPos struct {
	H int `json:"h"`
	W int `json:"w"`
	X int `json:"x"`
	Y int `json:"y"`
}

type target struct {
	RefID        string `json:"refId"`
	Expr         string `json:"expr"`
	LegendFormat string `json:"legendFormat"`
}

type fieldConfig struct {
	Defaults fieldDefaults `json:"defaults"`
}

type fieldDefaults struct {
	Unit string `json:"unit"`
	Min  *int   `json:"min,omitempty"`
}

// dashboard shows RED per route, split by track so a canary shows beside
// the stable version, and the database pool's saturation.
func (rs *ruleSet) dashboard() dashboard {
	ds := datasource{Type: "prometheus", UID: "${datasource}"}
	sel := `route=~"$route"`
	by := "route, " + TrackLabel
	legend := "{{route}} {{" + TrackLabel + "}}"
	req, dur := rs.m.Requests, rs.m.Duration
	pct := rs.p.SLO.Percentile / 100
	panels := []panel{
		{Title: "Requests per second", Targets: []target{{Expr: fmt.Sprintf(`sum by (%s) (rate(%s{%s}[5m]))`, by, req, sel), LegendFormat: legend}}, FieldConfig: unit("reqps")},
		{Title: "Error rate (5xx share)", Targets: []target{{Expr: fmt.Sprintf(`sum by (%[1]s) (rate(%[2]s{%[3]s,status=~"5.."}[5m])) / sum by (%[1]s) (rate(%[2]s{%[3]s}[5m]))`, by, req, sel), LegendFormat: legend}}, FieldConfig: unit("percentunit")},
		{Title: "p95 latency", Targets: []target{{Expr: fmt.Sprintf(`histogram_quantile(0.95, sum by (le, %s) (rate(%s_bucket{%s}[5m])))`, by, dur, sel), LegendFormat: legend}}, FieldConfig: unit("s")},
		{Title: fmt.Sprintf("p%s latency (SLO %s)", trimFloat(rs.p.SLO.Percentile), rs.p.SLO.Latency), Targets: []target{{Expr: fmt.Sprintf(`histogram_quantile(%s, sum by (le, %s) (rate(%s_bucket{%s}[5m])))`, float(pct), by, dur, sel), LegendFormat: legend}}, FieldConfig: unit("s")},
		{Title: "Availability error budget burn (1h)", Description: "1 means the budget lasts exactly the 30 days; the page fires above 14.4", Targets: []target{{Expr: fmt.Sprintf(`%s{%s} / %s`, rs.p.ruleNames("request_errors:ratio_rate1h"), sel, float(rs.p.SLO.errorBudget())), LegendFormat: "{{route}}"}}, FieldConfig: unit("none")},
	}
	if rs.m.DBInUse != "" && rs.m.DBMaxOpen != "" {
		panels = append(panels, panel{Title: "Database pool saturation", Targets: []target{{Expr: fmt.Sprintf(`sum by (pod, %[3]s) (%[1]s) / sum by (pod, %[3]s) (%[2]s > 0)`, rs.m.DBInUse, rs.m.DBMaxOpen, TrackLabel), LegendFormat: "{{pod}} {{" + TrackLabel + "}}"}}, FieldConfig: unit("percentunit")})
	}
	for i := range panels {
		panels[i].ID, panels[i].Type, panels[i].Datasource = i+1, "timeseries", ds
		panels[i].GridPos = gridPos{H: 8, W: 12, X: 12 * (i % 2), Y: 8 * (i / 2)}
		for j := range panels[i].Targets {
			panels[i].Targets[j].RefID = string(rune('A' + j))
		}
	}
	return dashboard{
		UID: rs.p.Name + "-red", Title: rs.p.Name + ": requests, errors, duration by route and version",
		Tags: []string{"golocal", rs.p.Name}, SchemaVersion: 39, Refresh: "30s", Time: timeRange{From: "now-6h", To: "now"},
		Templating: templating{List: []variable{
			{Name: "datasource", Label: "Prometheus", Type: "datasource", Query: "prometheus"},
			{Name: "route", Label: "Route", Type: "query", Query: fmt.Sprintf("label_values(%s, route)", req), Datasource: &ds, Multi: true, IncludeAll: true, Refresh: 2},
		}},
		Panels: panels,
	}
}

func unit(u string) fieldConfig { return fieldConfig{Defaults: fieldDefaults{Unit: u}} }

func (rs *ruleSet) dashboardJSON() ([]byte, error) {
	b, err := json.MarshalIndent(rs.dashboard(), "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}
