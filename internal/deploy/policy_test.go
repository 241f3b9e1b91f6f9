package deploy

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

func testPolicy(t *testing.T) *ImagePolicy {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return &ImagePolicy{ImageGlob: "registry.example/orders**", PublicKeyPEM: string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))}
}

func TestImagePolicyInProdOnly(t *testing.T) {
	pol := testPolicy(t)
	tree := generate(t, func(o *Options) { o.Policy = pol })
	objs := decodeStrict(t, "clusterimagepolicy.yaml", tree["overlays/prod/clusterimagepolicy.yaml"])
	cip := objs["ClusterImagePolicy"][0].(*schemaChecked).obj.(*ClusterImagePolicy)
	if cip.Spec.Images[0].Glob != pol.ImageGlob || cip.Spec.Authorities[0].Key.Data != pol.PublicKeyPEM || cip.Spec.Mode != "enforce" {
		t.Errorf("policy %+v", cip.Spec)
	}
	for _, ov := range []string{"dev", "staging", "prod"} {
		listed := strings.Contains(string(tree["overlays/"+ov+"/kustomization.yaml"]), "clusterimagepolicy.yaml")
		if listed != (ov == "prod") {
			t.Errorf("overlay %s lists the policy: %v", ov, listed)
		}
	}
}

func TestImagePolicySchemaRejects(t *testing.T) {
	good := generate(t, func(o *Options) { o.Policy = testPolicy(t) })["overlays/prod/clusterimagepolicy.yaml"]
	for name, edit := range map[string]func(string) string{
		"unknown field": func(s string) string {
			return strings.Replace(s, "mode: enforce", "mode: enforce\n  verifyEverything: true", 1)
		},
		"bad mode":  func(s string) string { return strings.Replace(s, "mode: enforce", "mode: audit", 1) },
		"not a key": func(s string) string { return strings.Replace(s, "BEGIN PUBLIC KEY", "BEGIN PRIVATE KEY", 1) },
		"namespaced": func(s string) string {
			return strings.Replace(s, "metadata:\n", "metadata:\n  namespace: prod\n", 1)
		},
	} {
		doc := stripComments([]byte(edit(string(good))))
		if string(doc) == string(stripComments(good)) {
			t.Fatalf("%s: the edit changed nothing", name)
		}
		obj, _ := typed("policy.sigstore.dev/v1beta1", "ClusterImagePolicy")
		if err := yaml.UnmarshalStrict(doc, obj); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestImagePolicyBadKey(t *testing.T) {
	for _, p := range []ImagePolicy{
		{ImageGlob: "", PublicKeyPEM: testPolicy(t).PublicKeyPEM},
		{ImageGlob: "a b", PublicKeyPEM: testPolicy(t).PublicKeyPEM},
		{ImageGlob: "x**", PublicKeyPEM: "hello"},
		{ImageGlob: "x**", PublicKeyPEM: "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"},
	} {
		if _, err := Generate(Options{Name: "orders", Facts: testFacts(t), Policy: &p}); err == nil || !strings.Contains(err.Error(), "image policy") {
			t.Errorf("%+v: %v", p, err)
		}
	}
}
