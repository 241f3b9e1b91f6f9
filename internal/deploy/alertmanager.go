package deploy

import "fmt"

// The Alertmanager configuration example: one receiver per tier, and
// inhibition of a lower tier while a higher one fires for the same
// service, objective and route. The types are the subset of
// Alertmanager's configuration file used here; amtool check-config and a
// real Alertmanager in the tests are the proof that it loads and inhibits.
//
// [Alertmanager configuration]: https://prometheus.io/docs/alerting/latest/configuration/
type amConfig struct {
	Route        amRoute      `json:"route"`
	Receivers    []amReceiver `json:"receivers"`
	InhibitRules []amInhibit  `json:"inhibit_rules"`
}

type amRoute struct {
	Receiver       string    `json:"receiver,omitempty"`
	GroupBy        []string  `json:"group_by,omitempty"`
	GroupWait      string    `json:"group_wait,omitempty"`
	GroupInterval  string    `json:"group_interval,omitempty"`
	RepeatInterval string    `json:"repeat_interval,omitempty"`
	Matchers       []string  `json:"matchers,omitempty"`
	Routes         []amRoute `json:"routes,omitempty"`
}

type amReceiver struct {
	Name           string      `json:"name"`
	WebhookConfigs []amWebhook `json:"webhook_configs,omitempty"`
}

type amWebhook struct {
	URL          string `json:"url"`
	SendResolved bool   `json:"send_resolved"`
}

type amInhibit struct {
	SourceMatchers []string `json:"source_matchers"`
	TargetMatchers []string `json:"target_matchers"`
	Equal          []string `json:"equal"`
}

// receiverName is the receiver of a tier.
func (p *plan) receiverName(tier string) string { return p.Name + "-" + tier }

// alertmanagerConfig routes each tier of this service to its receiver
// (webhooks to replace with PagerDuty, a ticket queue, a chat channel).
func (p *plan) alertmanagerConfig() amConfig {
	svc := fmt.Sprintf("service=%q", p.Name)
	tiers := []struct{ tier, repeat string }{{TierPage, "1h"}, {TierTicket, "12h"}, {TierInfo, "24h"}}
	cfg := amConfig{Route: amRoute{
		Receiver: p.receiverName(TierInfo), GroupBy: []string{"alertname", "service", "slo", "route"},
		GroupWait: "30s", GroupInterval: "5m", RepeatInterval: "12h",
	}}
	for _, t := range tiers {
		cfg.Route.Routes = append(cfg.Route.Routes, amRoute{
			Receiver: p.receiverName(t.tier), Matchers: []string{svc, fmt.Sprintf("severity=%q", t.tier)}, RepeatInterval: t.repeat,
		})
		cfg.Receivers = append(cfg.Receivers, amReceiver{Name: p.receiverName(t.tier), WebhookConfigs: []amWebhook{{
			URL: fmt.Sprintf("http://alert-receiver.%s.svc:8080/%s/%s", p.MonitoringNamespace, p.Name, t.tier), SendResolved: true,
		}}})
	}
	equal := []string{"service", "slo", "route"}
	cfg.InhibitRules = []amInhibit{
		{SourceMatchers: []string{svc, `severity="page"`}, TargetMatchers: []string{svc, `severity=~"ticket|info"`}, Equal: equal},
		{SourceMatchers: []string{svc, `severity="ticket"`}, TargetMatchers: []string{svc, `severity="info"`}, Equal: equal},
	}
	return cfg
}
