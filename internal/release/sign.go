package release

import (
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Media types and annotations of cosign's signature and attestation images.
//
// [cosign signature spec]: https://github.com/sigstore/cosign/blob/main/specs/SIGNATURE_SPEC.md
const (
	SimpleSigningMediaType  types.MediaType = "application/vnd.dev.cosign.simplesigning.v1+json"
	DSSEMediaType           types.MediaType = "application/vnd.dsse.envelope.v1+json"
	SignatureAnnotation                     = "dev.cosignproject.cosign/signature"
	PredicateTypeAnnotation                 = "predicateType"
	InTotoPayloadType                       = "application/vnd.in-toto+json"
	simpleSigningType                       = "cosign container image signature"
)

// SimpleSigning is the payload cosign signs for an image ("Red Hat simple
// signing" format): the manifest digest and the repository it was pushed to.
type SimpleSigning struct {
	Critical struct {
		Identity struct {
			DockerReference string `json:"docker-reference"`
		} `json:"identity"`
		Image struct {
			DockerManifestDigest string `json:"docker-manifest-digest"`
		} `json:"image"`
		Type string `json:"type"`
	} `json:"critical"`
	Optional map[string]any `json:"optional"`
}

// simpleSigningPayload is the payload for digest in repo.
func simpleSigningPayload(repo string, digest v1.Hash) ([]byte, error) {
	var s SimpleSigning
	s.Critical.Identity.DockerReference = repo
	s.Critical.Image.DockerManifestDigest = digest.String()
	s.Critical.Type = simpleSigningType
	return json.Marshal(s)
}

// signBytes is cosign's key signature: ECDSA over SHA-256, ASN.1 encoded.
func signBytes(key crypto.Signer, msg []byte) ([]byte, error) {
	h := sha256.Sum256(msg)
	return key.Sign(rand.Reader, h[:], crypto.SHA256)
}

// SignatureImage is the image cosign stores at tag sha256-<hex>.sig: one
// layer holding the simple-signing payload, its signature in an annotation.
func SignatureImage(key crypto.Signer, repo string, digest v1.Hash) (v1.Image, error) {
	payload, err := simpleSigningPayload(repo, digest)
	if err != nil {
		return nil, err
	}
	sig, err := signBytes(key, payload)
	if err != nil {
		return nil, err
	}
	return artifactImage(mutate.Addendum{
		Layer:       static.NewLayer(payload, SimpleSigningMediaType),
		Annotations: map[string]string{SignatureAnnotation: base64.StdEncoding.EncodeToString(sig)},
	})
}

// Envelope is a DSSE envelope.
//
// [DSSE]: https://github.com/secure-systems-lab/dsse/blob/master/envelope.md
type Envelope struct {
	PayloadType string              `json:"payloadType"`
	Payload     string              `json:"payload"`
	Signatures  []EnvelopeSignature `json:"signatures"`
}

// EnvelopeSignature is one signature of an envelope.
type EnvelopeSignature struct {
	KeyID string `json:"keyid"`
	Sig   string `json:"sig"`
}

// PAE is DSSE's pre-authentication encoding, the bytes actually signed.
func PAE(payloadType string, payload []byte) []byte {
	return fmt.Appendf(nil, "DSSEv1 %d %s %d %s", len(payloadType), payloadType, len(payload), payload)
}

// SignEnvelope wraps an in-toto statement in a signed DSSE envelope.
func SignEnvelope(key crypto.Signer, statement []byte) ([]byte, error) {
	sig, err := signBytes(key, PAE(InTotoPayloadType, statement))
	if err != nil {
		return nil, err
	}
	return json.Marshal(Envelope{
		PayloadType: InTotoPayloadType,
		Payload:     base64.StdEncoding.EncodeToString(statement),
		Signatures:  []EnvelopeSignature{{Sig: base64.StdEncoding.EncodeToString(sig)}},
	})
}

// Attestation is one signed statement to attach.
type Attestation struct {
	PredicateType string
	Envelope      []byte
}

// AttestationImage is the image cosign stores at tag sha256-<hex>.att: one
// DSSE envelope per layer, the predicate type in an annotation.
func AttestationImage(atts []Attestation) (v1.Image, error) {
	adds := make([]mutate.Addendum, len(atts))
	for i, a := range atts {
		adds[i] = mutate.Addendum{
			Layer:       static.NewLayer(a.Envelope, DSSEMediaType),
			Annotations: map[string]string{SignatureAnnotation: "", PredicateTypeAnnotation: a.PredicateType},
		}
	}
	return artifactImage(adds...)
}

func artifactImage(adds ...mutate.Addendum) (v1.Image, error) {
	base := mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
	return mutate.Append(base, adds...)
}

// SignatureTag and AttestationTag are cosign's tag scheme: the digest with
// ':' replaced by '-', plus ".sig" or ".att".
func SignatureTag(d v1.Hash) string   { return d.Algorithm + "-" + d.Hex + ".sig" }
func AttestationTag(d v1.Hash) string { return d.Algorithm + "-" + d.Hex + ".att" }
