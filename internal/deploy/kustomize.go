package deploy

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// kustomization is the part of kustomize's Kustomization the tree uses
// (kustomize's own Go module is not linked; `kubectl kustomize` in the
// tests is the proof that these files build).
type kustomization struct {
	APIVersion         string               `json:"apiVersion"`
	Kind               string               `json:"kind"`
	Resources          []string             `json:"resources,omitempty"`
	Components         []string             `json:"components,omitempty"`
	ConfigMapGenerator []configMapGenerator `json:"configMapGenerator,omitempty"`
	Patches            []patch              `json:"patches,omitempty"`
}

type configMapGenerator struct {
	Name     string   `json:"name"`
	Behavior string   `json:"behavior,omitempty"`
	Literals []string `json:"literals"`
}

type patch struct {
	Target patchTarget `json:"target"`
	Patch  string      `json:"patch"`
}

type patchTarget struct {
	Kind string `json:"kind"`
	Name string `json:"name"`
}

// jsonPatchOp is one RFC 6902 operation.
//
// [RFC 6902]: https://www.rfc-editor.org/rfc/rfc6902
type jsonPatchOp struct {
	Op    string `json:"op"`
	Path  string `json:"path"`
	Value any    `json:"value"`
}

func newKustomization(kind string) kustomization {
	return kustomization{APIVersion: "kustomize.config.k8s.io/v1beta1", Kind: kind}
}

// baseKustomization lists the base's files and its ConfigMap (the prod
// profile, which overlays merge over).
func (p *plan) baseKustomization(files []string) kustomization {
	k := newKustomization("Kustomization")
	k.Resources = files
	k.ConfigMapGenerator = []configMapGenerator{{Name: p.Name + "-config", Literals: []string{"GOLOCAL_PROFILE=prod"}}}
	return k
}

// overlayKustomization sets the profile, replicas and resources of one
// environment on top of the base.
func (p *plan) overlayKustomization(ov Overlay, extra []string) (kustomization, error) {
	k := newKustomization("Kustomization")
	k.Resources = append([]string{"../../base"}, extra...)
	k.ConfigMapGenerator = []configMapGenerator{{Name: p.Name + "-config", Behavior: "merge", Literals: []string{"GOLOCAL_PROFILE=" + ov.Name}}}
	res := corev1.ResourceRequirements{
		Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(ov.CPURequest), corev1.ResourceMemory: resource.MustParse(ov.MemoryRequest)},
		Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse(ov.MemoryLimit)},
	}
	dep, err := jsonPatch(
		jsonPatchOp{Op: "add", Path: "/spec/replicas", Value: ov.Replicas},
		jsonPatchOp{Op: "replace", Path: "/spec/template/spec/containers/0/resources", Value: res},
	)
	if err != nil {
		return k, err
	}
	hpa, err := jsonPatch(
		jsonPatchOp{Op: "replace", Path: "/spec/minReplicas", Value: ov.Replicas},
		jsonPatchOp{Op: "replace", Path: "/spec/maxReplicas", Value: ov.MaxReplicas},
	)
	if err != nil {
		return k, err
	}
	k.Patches = []patch{
		{Target: patchTarget{Kind: "Deployment", Name: p.Name}, Patch: dep},
		{Target: patchTarget{Kind: "HorizontalPodAutoscaler", Name: p.Name}, Patch: hpa},
	}
	return k, nil
}

func jsonPatch(ops ...jsonPatchOp) (string, error) {
	y, err := marshalClean(ops)
	if err != nil {
		return "", fmt.Errorf("encoding a JSON patch: %w", err)
	}
	return string(y), nil
}
