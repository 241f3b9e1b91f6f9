package deploy

import (
	"fmt"
	"math"
	"strconv"

	monv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// Label keys the generated objects carry.
const (
	LabelName = "app.kubernetes.io/name"
	// LabelVersion tells the stable pods from a canary's; the ServiceMonitor
	// copies it onto every series so dashboards split by it.
	LabelVersion = "version"
	// StableVersion is the version label of the base Deployment.
	StableVersion = "stable"
	// TrackLabel is the label the ServiceMonitor gives every series: the
	// pod's version label (stable, or the canary's). Not "version", which
	// the build_info metric already uses for the binary's version.
	TrackLabel = "track"
	// AnnotationGrace explains terminationGracePeriodSeconds.
	AnnotationGrace = "golocal.dev/termination-grace"
)

// Port names of the container.
const (
	portApp   = "http"
	portAdmin = "admin"
)

// plan is the checked input every phase reads.
type plan struct {
	Options
	facts ServiceFacts
}

func (p *plan) labels(version string) map[string]string {
	return map[string]string{LabelName: p.Name, LabelVersion: version}
}

func (p *plan) meta(name string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: name, Labels: map[string]string{LabelName: p.Name}}
}

func typeMeta(apiVersion, kind string) metav1.TypeMeta {
	return metav1.TypeMeta{APIVersion: apiVersion, Kind: kind}
}

// Grace is terminationGracePeriodSeconds and the sentence that explains it.
type Grace struct {
	Seconds int64
	How     string
}

// grace derives terminationGracePeriodSeconds from the measured
// SIGTERM→exit time (the lame duck plus the drain of in-flight requests)
// plus the margin, rounded up to a whole second.
func (p *plan) grace() Grace {
	f := p.facts
	secs := int64(math.Ceil(f.DrainSeconds + p.GraceMargin.Seconds()))
	how := fmt.Sprintf("lame duck %.1fs + drain %.1fs (SIGTERM→exit %.2fs measured by golocal verify) + margin %s, rounded up = %ds",
		f.LameDuckSeconds, f.DrainSeconds-f.LameDuckSeconds, f.DrainSeconds, p.GraceMargin, secs)
	return Grace{Seconds: secs, How: how}
}

// readinessPeriod makes the kubelet see readiness fail within the lame
// duck: half of it, between 1 and 5 seconds.
func (p *plan) readinessPeriod() int32 {
	return int32(min(max(math.Floor(p.facts.LameDuckSeconds/2), 1), 5))
}

func (p *plan) deployment(name, version string) *appsv1.Deployment {
	g := p.grace()
	d := &appsv1.Deployment{
		TypeMeta:   typeMeta("apps/v1", "Deployment"),
		ObjectMeta: p.meta(name),
		Spec: appsv1.DeploymentSpec{
			Selector: &metav1.LabelSelector{MatchLabels: p.labels(version)},
			Strategy: appsv1.DeploymentStrategy{
				Type: appsv1.RollingUpdateDeploymentStrategyType,
				RollingUpdate: &appsv1.RollingUpdateDeployment{
					MaxUnavailable: ptr(intstr.FromInt32(0)),
					MaxSurge:       ptr(intstr.FromInt32(1)),
				},
			},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: p.labels(version), Annotations: map[string]string{AnnotationGrace: g.How}},
				Spec: corev1.PodSpec{
					TerminationGracePeriodSeconds: ptr(g.Seconds),
					AutomountServiceAccountToken:  ptr(false),
					SecurityContext: &corev1.PodSecurityContext{
						RunAsNonRoot:   ptr(true),
						SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
					},
					Containers:                []corev1.Container{p.container()},
					TopologySpreadConstraints: p.spread(version),
					Volumes:                   []corev1.Volume{{Name: "tmp", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}},
				},
			},
		},
	}
	return d
}

func (p *plan) spread(version string) []corev1.TopologySpreadConstraint {
	sel := &metav1.LabelSelector{MatchLabels: p.labels(version)}
	return []corev1.TopologySpreadConstraint{
		{MaxSkew: 1, TopologyKey: "topology.kubernetes.io/zone", WhenUnsatisfiable: corev1.ScheduleAnyway, LabelSelector: sel},
		{MaxSkew: 1, TopologyKey: "kubernetes.io/hostname", WhenUnsatisfiable: corev1.ScheduleAnyway, LabelSelector: sel},
	}
}

func (p *plan) container() corev1.Container {
	f := p.facts
	c := corev1.Container{
		Name:            p.Name,
		Image:           p.Image,
		ImagePullPolicy: corev1.PullIfNotPresent,
		Ports:           []corev1.ContainerPort{{Name: portApp, ContainerPort: p.AppPort, Protocol: corev1.ProtocolTCP}},
		Env:             p.env(),
		EnvFrom:         []corev1.EnvFromSource{{ConfigMapRef: &corev1.ConfigMapEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: p.Name + "-config"}}}},
		Resources: corev1.ResourceRequirements{
			Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("128Mi")},
			Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("256Mi")},
		},
		StartupProbe:   httpProbe(f.LivenessPath, 1, 30),
		LivenessProbe:  httpProbe(f.LivenessPath, 10, 3),
		ReadinessProbe: httpProbe(f.ReadinessPath, p.readinessPeriod(), 1),
		SecurityContext: &corev1.SecurityContext{
			AllowPrivilegeEscalation: ptr(false),
			ReadOnlyRootFilesystem:   ptr(true),
			RunAsNonRoot:             ptr(true),
			Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
			SeccompProfile:           &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
		},
		VolumeMounts: []corev1.VolumeMount{{Name: "tmp", MountPath: "/tmp"}},
	}
	if f.AdminPort != 0 {
		c.Ports = append(c.Ports, corev1.ContainerPort{Name: portAdmin, ContainerPort: int32(f.AdminPort), Protocol: corev1.ProtocolTCP})
	}
	return c
}

// env gives the service its port, GOMEMLIMIT from the container's memory
// limit (downward API, in MiB), and each required secret from the
// <name>-secrets Secret, referenced, never inlined.
func (p *plan) env() []corev1.EnvVar {
	env := []corev1.EnvVar{
		{Name: "PORT", Value: strconv.Itoa(int(p.AppPort))},
		{Name: "MEMORY_LIMIT_MIB", ValueFrom: &corev1.EnvVarSource{ResourceFieldRef: &corev1.ResourceFieldSelector{
			ContainerName: p.Name, Resource: "limits.memory", Divisor: resource.MustParse("1Mi"),
		}}},
		// The runtime's soft limit follows the container's hard one.
		{Name: "GOMEMLIMIT", Value: "$(MEMORY_LIMIT_MIB)MiB"},
	}
	for _, s := range p.facts.RequiredSecrets {
		env = append(env, corev1.EnvVar{Name: s, ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
			LocalObjectReference: corev1.LocalObjectReference{Name: p.Name + "-secrets"}, Key: s,
		}}})
	}
	return env
}

func httpProbe(path string, period, failures int32) *corev1.Probe {
	return &corev1.Probe{
		ProbeHandler:     corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: path, Port: intstr.FromString(portApp)}},
		PeriodSeconds:    period,
		TimeoutSeconds:   1,
		FailureThreshold: failures,
	}
}

// service exposes the app port only; the admin port stays off it.
func (p *plan) service(name, version string) *corev1.Service {
	sel := map[string]string{LabelName: p.Name}
	if version != "" {
		sel[LabelVersion] = version
	}
	return &corev1.Service{
		TypeMeta:   typeMeta("v1", "Service"),
		ObjectMeta: p.meta(name),
		Spec: corev1.ServiceSpec{
			Selector: sel,
			Ports:    []corev1.ServicePort{{Name: portApp, Port: 80, TargetPort: intstr.FromString(portApp), Protocol: corev1.ProtocolTCP}},
		},
	}
}

// metricsService is a headless Service naming the admin port, for the
// ServiceMonitor only: nothing routes traffic through it.
func (p *plan) metricsService() *corev1.Service {
	m := p.meta(p.Name + "-metrics")
	m.Labels["golocal.dev/scrape"] = "admin"
	return &corev1.Service{
		TypeMeta:   typeMeta("v1", "Service"),
		ObjectMeta: m,
		Spec: corev1.ServiceSpec{
			ClusterIP: corev1.ClusterIPNone,
			Selector:  map[string]string{LabelName: p.Name},
			Ports:     []corev1.ServicePort{{Name: portAdmin, Port: int32(p.facts.AdminPort), TargetPort: intstr.FromString(portAdmin), Protocol: corev1.ProtocolTCP}},
		},
	}
}

func (p *plan) pdb() *policyv1.PodDisruptionBudget {
	return &policyv1.PodDisruptionBudget{
		TypeMeta:   typeMeta("policy/v1", "PodDisruptionBudget"),
		ObjectMeta: p.meta(p.Name),
		Spec: policyv1.PodDisruptionBudgetSpec{
			MaxUnavailable: ptr(intstr.FromInt32(1)),
			Selector:       &metav1.LabelSelector{MatchLabels: map[string]string{LabelName: p.Name}},
		},
	}
}

func (p *plan) hpa() *autoscalingv2.HorizontalPodAutoscaler {
	return &autoscalingv2.HorizontalPodAutoscaler{
		TypeMeta:   typeMeta("autoscaling/v2", "HorizontalPodAutoscaler"),
		ObjectMeta: p.meta(p.Name),
		Spec: autoscalingv2.HorizontalPodAutoscalerSpec{
			ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Name: p.Name},
			MinReplicas:    ptr(int32(1)),
			MaxReplicas:    3,
			Metrics: []autoscalingv2.MetricSpec{{
				Type: autoscalingv2.ResourceMetricSourceType,
				Resource: &autoscalingv2.ResourceMetricSource{
					Name:   corev1.ResourceCPU,
					Target: autoscalingv2.MetricTarget{Type: autoscalingv2.UtilizationMetricType, AverageUtilization: ptr(int32(70))},
				},
			}},
		},
	}
}

// networkPolicy admits the app port from anywhere and the admin port only
// from the monitoring namespace.
func (p *plan) networkPolicy() *networkingv1.NetworkPolicy {
	tcp := corev1.ProtocolTCP
	rules := []networkingv1.NetworkPolicyIngressRule{{
		Ports: []networkingv1.NetworkPolicyPort{{Protocol: &tcp, Port: ptr(intstr.FromString(portApp))}},
	}}
	if p.facts.AdminPort != 0 {
		rules = append(rules, networkingv1.NetworkPolicyIngressRule{
			From: []networkingv1.NetworkPolicyPeer{{NamespaceSelector: &metav1.LabelSelector{
				MatchLabels: map[string]string{"kubernetes.io/metadata.name": p.MonitoringNamespace},
			}}},
			Ports: []networkingv1.NetworkPolicyPort{{Protocol: &tcp, Port: ptr(intstr.FromString(portAdmin))}},
		})
	}
	return &networkingv1.NetworkPolicy{
		TypeMeta:   typeMeta("networking.k8s.io/v1", "NetworkPolicy"),
		ObjectMeta: p.meta(p.Name),
		Spec: networkingv1.NetworkPolicySpec{
			PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{LabelName: p.Name}},
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress},
			Ingress:     rules,
		},
	}
}

// serviceMonitor scrapes the admin listener's metrics path and copies the
// pods' version label onto every series as track.
func (p *plan) serviceMonitor() *monv1.ServiceMonitor {
	return &monv1.ServiceMonitor{
		TypeMeta:   typeMeta("monitoring.coreos.com/v1", "ServiceMonitor"),
		ObjectMeta: p.meta(p.Name),
		Spec: monv1.ServiceMonitorSpec{
			Selector: metav1.LabelSelector{MatchLabels: map[string]string{LabelName: p.Name, "golocal.dev/scrape": "admin"}},
			Endpoints: []monv1.Endpoint{{Port: portAdmin, Path: p.facts.MetricsPath, Interval: "30s",
				RelabelConfigs: []monv1.RelabelConfig{{
					SourceLabels: []monv1.LabelName{"__meta_kubernetes_pod_label_" + LabelVersion},
					TargetLabel:  TrackLabel,
				}},
			}},
		},
	}
}

func ptr[T any](v T) *T { return &v }
