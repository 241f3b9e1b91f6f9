package deploy

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	monv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"sigs.k8s.io/yaml"
)

// typed returns an empty value of the Go type of kind, the real type of
// each project (k8s.io/api, the Prometheus Operator, Istio, the Gateway
// API), or of this package's kustomization for kustomize's files.
func typed(apiVersion, kind string) (any, bool) {
	switch apiVersion + "/" + kind {
	case "apps/v1/Deployment":
		return &appsv1.Deployment{}, true
	case "v1/Service":
		return &corev1.Service{}, true
	case "v1/ConfigMap":
		return &corev1.ConfigMap{}, true
	case "policy/v1/PodDisruptionBudget":
		return &policyv1.PodDisruptionBudget{}, true
	case "autoscaling/v2/HorizontalPodAutoscaler":
		return &autoscalingv2.HorizontalPodAutoscaler{}, true
	case "networking.k8s.io/v1/NetworkPolicy":
		return &networkingv1.NetworkPolicy{}, true
	case "monitoring.coreos.com/v1/ServiceMonitor":
		return &monv1.ServiceMonitor{}, true
	case "monitoring.coreos.com/v1/PrometheusRule":
		return &monv1.PrometheusRule{}, true
	case "kustomize.config.k8s.io/v1beta1/Kustomization", "kustomize.config.k8s.io/v1alpha1/Component":
		return &kustomization{}, true
	}
	return extraTyped(apiVersion, kind)
}

// splitDocs splits a multi-document YAML file.
func splitDocs(b []byte) [][]byte {
	var docs [][]byte
	for d := range bytes.SplitSeq(b, []byte("\n---\n")) {
		if len(bytes.TrimSpace(stripComments(d))) > 0 {
			docs = append(docs, d)
		}
	}
	return docs
}

func stripComments(b []byte) []byte {
	var out []string
	for l := range strings.SplitSeq(string(b), "\n") {
		if !strings.HasPrefix(strings.TrimSpace(l), "#") {
			out = append(out, l)
		}
	}
	return []byte(strings.Join(out, "\n"))
}

// decodeStrict decodes every document of a YAML file into its real Go
// type, failing on unknown fields, and returns the objects by kind.
func decodeStrict(t *testing.T, name string, b []byte) map[string][]any {
	t.Helper()
	objs := map[string][]any{}
	for i, doc := range splitDocs(b) {
		var head struct {
			APIVersion string `json:"apiVersion"`
			Kind       string `json:"kind"`
		}
		if err := yaml.Unmarshal(doc, &head); err != nil {
			t.Fatalf("%s doc %d: %v", name, i, err)
		}
		obj, ok := typed(head.APIVersion, head.Kind)
		if !ok {
			t.Fatalf("%s doc %d: no Go type known for %s %s", name, i, head.APIVersion, head.Kind)
		}
		if err := yaml.UnmarshalStrict(doc, obj); err != nil {
			t.Fatalf("%s doc %d (%s): strict decoding into %T: %v", name, i, head.Kind, obj, err)
		}
		objs[head.Kind] = append(objs[head.Kind], obj)
	}
	return objs
}

func TestDecodeStrictRejectsUnknownFields(t *testing.T) {
	doc := []byte("apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: x\nspec:\n  replicaz: 3\n")
	obj, _ := typed("apps/v1", "Deployment")
	err := yaml.UnmarshalStrict(doc, obj)
	if err == nil || !strings.Contains(err.Error(), "replicaz") {
		t.Fatalf("an unknown field decoded without error (%v): the strict check cannot fail", err)
	}
}

func kinds(objs map[string][]any) string {
	var s []string
	for k, v := range objs {
		s = append(s, fmt.Sprintf("%s×%d", k, len(v)))
	}
	return strings.Join(s, " ")
}
