package deploy

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// ImagePolicy is what the prod overlay's ClusterImagePolicy admits: images
// matching ImageGlob signed by the key of `golocal release`.
type ImagePolicy struct {
	// ImageGlob matches the image references to check, e.g.
	// "registry.example/orders**" (policy-controller's glob syntax).
	ImageGlob string
	// PublicKeyPEM is the cosign public key (golocal release's cosign.pub).
	PublicKeyPEM string
}

// ClusterImagePolicy is the sigstore policy-controller's
// policy.sigstore.dev/v1beta1 ClusterImagePolicy, the fields used here.
// Its Go module is not linked (its dependency graph is Knative's); the
// tests validate the generated object against the CRD's OpenAPI schema,
// written down in testdata/clusterimagepolicy.schema.json.
//
// [policy-controller]: https://docs.sigstore.dev/policy-controller/overview/
type ClusterImagePolicy struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata"`
	Spec              ClusterImagePolicySpec `json:"spec"`
}

// ClusterImagePolicySpec lists the images the policy applies to and the
// authorities whose signatures admit them.
type ClusterImagePolicySpec struct {
	Images      []ImagePattern `json:"images"`
	Authorities []Authority    `json:"authorities"`
	// Mode is enforce (reject) or warn.
	Mode string `json:"mode,omitempty"`
}

// ImagePattern is one glob of image references.
type ImagePattern struct {
	Glob string `json:"glob"`
}

// Authority is a key whose signatures admit an image. Without a ctlog
// the signature is not looked up in a transparency log: golocal release
// signs with a key and does not upload to Rekor.
type Authority struct {
	Name string        `json:"name"`
	Key  *KeyReference `json:"key"`
}

// KeyReference holds the inline PEM public key.
type KeyReference struct {
	Data          string `json:"data"`
	HashAlgorithm string `json:"hashAlgorithm,omitempty"`
}

// check parses the key (a PKIX public key in PEM, as golocal release
// keygen writes cosign.pub) and the glob.
func (ip *ImagePolicy) check() error {
	if strings.TrimSpace(ip.ImageGlob) == "" || strings.ContainsAny(ip.ImageGlob, " \t\n") {
		return errors.New("image policy: give the image glob the policy covers, e.g. registry.example/orders** (the --image of golocal release)")
	}
	block, _ := pem.Decode([]byte(ip.PublicKeyPEM))
	if block == nil || block.Type != "PUBLIC KEY" {
		return errors.New("image policy: the key is not a PEM PUBLIC KEY block; give the cosign.pub that golocal release keygen wrote (not cosign.key)")
	}
	if _, err := x509.ParsePKIXPublicKey(block.Bytes); err != nil {
		return fmt.Errorf("image policy: the public key does not parse: %v", err)
	}
	return nil
}

func (p *plan) clusterImagePolicy() *ClusterImagePolicy {
	ip := p.Policy
	return &ClusterImagePolicy{
		TypeMeta:   typeMeta("policy.sigstore.dev/v1beta1", "ClusterImagePolicy"),
		ObjectMeta: p.meta(p.Name + "-signed-images"),
		Spec: ClusterImagePolicySpec{
			Images:      []ImagePattern{{Glob: ip.ImageGlob}},
			Authorities: []Authority{{Name: "golocal-release", Key: &KeyReference{Data: strings.TrimSpace(ip.PublicKeyPEM) + "\n", HashAlgorithm: "sha256"}}},
			Mode:        "enforce",
		},
	}
}
