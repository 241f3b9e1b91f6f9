package deploy

import (
	"fmt"
	"path"
)

// Generate builds the kustomize tree for the service opts describe: the
// base (Deployment, Services, PodDisruptionBudget, HorizontalPodAutoscaler,
// NetworkPolicy, ServiceMonitor) and one overlay per environment. It
// returns a *MissingProbesError, and no tree, when the facts lack what
// the probes or the grace period need.
func Generate(opts Options) (Tree, error) {
	if err := opts.normalise(); err != nil {
		return nil, err
	}
	sf, err := checkFacts(opts.Facts)
	if err != nil {
		return nil, err
	}
	p := &plan{Options: opts, facts: sf}
	rs, err := p.rules()
	if err != nil {
		return nil, err
	}
	t := Tree{}
	if err := p.writeBase(t, rs); err != nil {
		return nil, err
	}
	if err := p.writeMonitoring(t, rs); err != nil {
		return nil, err
	}
	if err := p.writeOverlays(t); err != nil {
		return nil, err
	}
	return t, nil
}

// put marshals objs into t[name].
func (t Tree) put(name string, objs ...any) error {
	y, err := toYAML(objs...)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	t[name] = y
	return nil
}

func (p *plan) writeBase(t Tree, rs *ruleSet) error {
	dep, err := toYAML(p.deployment(p.Name, StableVersion))
	if err != nil {
		return err
	}
	t["base/deployment.yaml"] = commentBefore(dep, "terminationGracePeriodSeconds:", p.grace().How)
	files := []string{"deployment.yaml"}
	objs := []struct {
		file string
		obj  any
	}{
		{"service.yaml", p.service(p.Name, StableVersion)},
		{"pdb.yaml", p.pdb()},
		{"hpa.yaml", p.hpa()},
		{"networkpolicy.yaml", p.networkPolicy()},
		{"prometheusrule.yaml", rs.prometheusRule()},
	}
	if p.facts.AdminPort != 0 && p.facts.MetricsPath != "" {
		objs = append(objs,
			struct {
				file string
				obj  any
			}{"metrics-service.yaml", p.metricsService()},
			struct {
				file string
				obj  any
			}{"servicemonitor.yaml", p.serviceMonitor()})
	}
	for _, o := range objs {
		if err := t.put(path.Join("base", o.file), o.obj); err != nil {
			return err
		}
		files = append(files, o.file)
	}
	return t.put("base/kustomization.yaml", p.baseKustomization(files))
}

func (p *plan) writeOverlays(t Tree) error {
	for _, ov := range p.Overlays {
		var extra []string
		if ov.Name == "prod" && p.Policy != nil {
			extra = append(extra, "clusterimagepolicy.yaml")
			if err := t.put("overlays/prod/clusterimagepolicy.yaml", p.clusterImagePolicy()); err != nil {
				return err
			}
		}
		k, err := p.overlayKustomization(ov, extra)
		if err != nil {
			return err
		}
		if err := t.put(path.Join("overlays", ov.Name, "kustomization.yaml"), k); err != nil {
			return err
		}
	}
	return nil
}

// K8sOwns are the folders [Generate] writes: a later run removes files
// there that it no longer generates.
var K8sOwns = []string{"base/", "overlays/dev/", "overlays/staging/", "overlays/prod/", "monitoring/"}

// writeMonitoring writes the plain rules file and its promtool tests, the
// Alertmanager routing example and the Grafana dashboard.
func (p *plan) writeMonitoring(t Tree, rs *ruleSet) error {
	rules, err := rs.rulesFile()
	if err != nil {
		return err
	}
	t["monitoring/rules.yaml"] = rules
	if err := t.put("monitoring/rules_test.yaml", rs.promtoolTests()); err != nil {
		return err
	}
	if err := t.put("monitoring/alertmanager.yaml", p.alertmanagerConfig()); err != nil {
		return err
	}
	dash, err := rs.dashboardJSON()
	if err != nil {
		return err
	}
	t["monitoring/dashboard.json"] = dash
	return nil
}
