package cosigncheck

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/sigstore/cosign/v2/pkg/cosign"
	"github.com/sigstore/sigstore/pkg/signature/payload"
)

// TestCosignAcceptsRelease pushes a signed release with golocal and checks
// its signature and attestations with cosign's verification code, by tag
// (cosign resolves it) and by digest.
func TestCosignAcceptsRelease(t *testing.T) {
	ctx := context.Background()
	a := pushRelease(t)
	v := verifier(t, keys(t, keyPair).pub)
	for _, ref := range []name.Reference{a.Ref, a.ImageRef()} {
		t.Run(ref.String(), func(t *testing.T) {
			sigs, _, err := cosign.VerifyImageSignatures(ctx, ref, checkOpts(ctx, v, cosign.SimpleClaimVerifier))
			if err != nil {
				t.Fatalf("cosign.VerifyImageSignatures: %v", err)
			}
			if len(sigs) != 1 {
				t.Fatalf("cosign verified %d signatures, want 1", len(sigs))
			}
			p, err := sigs[0].Payload()
			if err != nil {
				t.Fatal(err)
			}
			var ss payload.SimpleContainerImage
			if err := json.Unmarshal(p, &ss); err != nil {
				t.Fatalf("signed payload: %v", err)
			}
			if ss.Critical.Image.DockerManifestDigest != a.Digest.String() || ss.Critical.Identity.DockerReference != a.Ref.Context().String() {
				t.Errorf("signed payload names %s in %s, want %s in %s", ss.Critical.Image.DockerManifestDigest,
					ss.Critical.Identity.DockerReference, a.Digest, a.Ref.Context())
			}

			atts, _, err := cosign.VerifyImageAttestations(ctx, ref, checkOpts(ctx, v, cosign.IntotoSubjectClaimVerifier))
			if err != nil {
				t.Fatalf("cosign.VerifyImageAttestations: %v", err)
			}
			checkStatements(t, statements(t, atts), a.Digest)
		})
	}
}

// TestCosignAcceptsLayout writes the release as an OCI layout and checks it
// with cosign's local-image verification (`cosign verify --local-image`),
// which finds the image, signature and attestations by the "kind"
// annotations of the layout's index.
func TestCosignAcceptsLayout(t *testing.T) {
	ctx := context.Background()
	a := buildRelease(t, "registry.example/team/hello:v1")
	dir := t.TempDir()
	if err := a.WriteLayout(dir); err != nil {
		t.Fatalf("WriteLayout: %v", err)
	}
	for _, tt := range []struct {
		name   string
		pub    []byte
		accept bool
	}{
		{"golocal's key", keys(t, keyPair).pub, true},
		{"another key", keys(t, otherKeyPair).pub, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			v := verifier(t, tt.pub)
			sigs, _, sigErr := cosign.VerifyLocalImageSignatures(ctx, dir, checkOpts(ctx, v, cosign.SimpleClaimVerifier))
			atts, _, attErr := cosign.VerifyLocalImageAttestations(ctx, dir, checkOpts(ctx, v, cosign.IntotoSubjectClaimVerifier))
			if !tt.accept {
				if sigErr == nil || attErr == nil {
					t.Fatalf("cosign accepted the layout with another key: signatures %v, attestations %v", sigErr, attErr)
				}
				return
			}
			if sigErr != nil || attErr != nil {
				t.Fatalf("cosign refused the layout: signatures: %v; attestations: %v", sigErr, attErr)
			}
			if len(sigs) != 1 {
				t.Errorf("cosign verified %d signatures, want 1", len(sigs))
			}
			checkStatements(t, statements(t, atts), a.Digest)
		})
	}
}
