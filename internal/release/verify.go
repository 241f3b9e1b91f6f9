package release

import (
	"bytes"
	"context"
	"crypto"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/validate"
	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/sigstore/sigstore/pkg/signature/dsse"
)

// Verified is what [Verify] established about an image.
type Verified struct {
	Digest v1.Hash
	// Statements are the verified in-toto statements by predicate type.
	Statements map[string]*Statement
}

// ErrNotVerified wraps every verification failure.
var ErrNotVerified = errors.New("not verified")

// Verify checks a pushed release the way `cosign verify --key` and
// `cosign verify-attestation --key` do, with sigstore's own verifiers: the
// image's content matches its manifest, a simple-signing signature at
// sha256-<hex>.sig names this digest and verifies with pubPEM, and every
// attestation at sha256-<hex>.att is a DSSE envelope signed by the key
// whose in-toto statement names the digest. want lists predicate types that
// must be among them.
func Verify(ctx context.Context, ref string, pubPEM []byte, want []string, opts ...remote.Option) (*Verified, error) {
	pub, err := cryptoutils.UnmarshalPEMToPublicKey(pubPEM)
	if err != nil {
		return nil, fmt.Errorf("public key: %v", err)
	}
	verifier, err := signature.LoadVerifier(pub, crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("public key: %v", err)
	}
	opts = append([]remote.Option{remote.WithContext(ctx)}, opts...)
	r, err := name.ParseReference(ref, name.WeakValidation)
	if err != nil {
		return nil, err
	}
	digest, err := checkContent(r, opts)
	if err != nil {
		return nil, err
	}
	repo := r.Context()
	if err := verifySignature(repo, digest, verifier, opts); err != nil {
		return nil, err
	}
	stmts, err := verifyAttestations(repo, digest, verifier, opts)
	if err != nil {
		return nil, err
	}
	for _, w := range want {
		if stmts[w] == nil {
			return nil, fmt.Errorf("%w: no verified attestation of type %s for %s", ErrNotVerified, w, digest)
		}
	}
	return &Verified{Digest: digest, Statements: stmts}, nil
}

// checkContent fetches the image or index and checks every blob against
// its digest.
func checkContent(r name.Reference, opts []remote.Option) (v1.Hash, error) {
	desc, err := remote.Get(r, opts...)
	if err != nil {
		return v1.Hash{}, fmt.Errorf("fetching %s: %w", r, err)
	}
	if desc.MediaType.IsIndex() {
		idx, err := desc.ImageIndex()
		if err == nil {
			err = validate.Index(idx)
		}
		if err != nil {
			return v1.Hash{}, fmt.Errorf("%w: %s content does not match its manifest: %v", ErrNotVerified, r, err)
		}
		return desc.Digest, nil
	}
	img, err := desc.Image()
	if err == nil {
		err = validate.Image(img)
	}
	if err != nil {
		return v1.Hash{}, fmt.Errorf("%w: %s content does not match its manifest: %v", ErrNotVerified, r, err)
	}
	return desc.Digest, nil
}

// artifactLayers fetches a cosign artefact image's layers and annotations.
func artifactLayers(t name.Tag, opts []remote.Option) ([][]byte, []map[string]string, error) {
	img, err := remote.Image(t, opts...)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: fetching %s: %v", ErrNotVerified, t, err)
	}
	m, err := img.Manifest()
	if err != nil {
		return nil, nil, err
	}
	var bodies [][]byte
	var anns []map[string]string
	for _, d := range m.Layers {
		l, err := img.LayerByDigest(d.Digest)
		if err != nil {
			return nil, nil, err
		}
		rc, err := l.Compressed()
		if err != nil {
			return nil, nil, err
		}
		b, err := io.ReadAll(io.LimitReader(rc, 64<<20))
		rc.Close()
		if err != nil {
			return nil, nil, fmt.Errorf("%w: reading %s layer %s: %v", ErrNotVerified, t, d.Digest, err)
		}
		bodies, anns = append(bodies, b), append(anns, d.Annotations)
	}
	return bodies, anns, nil
}

func verifySignature(repo name.Repository, digest v1.Hash, v signature.Verifier, opts []remote.Option) error {
	payloads, anns, err := artifactLayers(repo.Tag(SignatureTag(digest)), opts)
	if err != nil {
		return err
	}
	var why []string
	for i, p := range payloads {
		sig, err := base64.StdEncoding.DecodeString(anns[i][SignatureAnnotation])
		if err != nil {
			why = append(why, "signature annotation is not base64")
			continue
		}
		if err := v.VerifySignature(bytes.NewReader(sig), bytes.NewReader(p)); err != nil {
			why = append(why, "signature does not verify with this key")
			continue
		}
		var ss SimpleSigning
		if err := json.Unmarshal(p, &ss); err != nil || ss.Critical.Type != simpleSigningType {
			why = append(why, "payload is not a cosign simple-signing document")
			continue
		}
		if ss.Critical.Image.DockerManifestDigest != digest.String() {
			why = append(why, "signed payload names "+ss.Critical.Image.DockerManifestDigest)
			continue
		}
		return nil
	}
	return fmt.Errorf("%w: no valid signature for %s@%s (%v)", ErrNotVerified, repo, digest, why)
}

func verifyAttestations(repo name.Repository, digest v1.Hash, v signature.Verifier, opts []remote.Option) (map[string]*Statement, error) {
	envs, _, err := artifactLayers(repo.Tag(AttestationTag(digest)), opts)
	if err != nil {
		return nil, err
	}
	dv := dsse.WrapVerifier(v)
	out := map[string]*Statement{}
	for _, env := range envs {
		if err := dv.VerifySignature(bytes.NewReader(env), nil); err != nil {
			return nil, fmt.Errorf("%w: attestation envelope of %s: %v", ErrNotVerified, digest, err)
		}
		st, err := decodeStatement(env)
		if err != nil {
			return nil, err
		}
		if !slices.ContainsFunc(st.Subject, func(s Subject) bool { return s.Digest[digest.Algorithm] == digest.Hex }) {
			return nil, fmt.Errorf("%w: attestation %s is about other artefacts, not %s", ErrNotVerified, st.PredicateType, digest)
		}
		out[st.PredicateType] = st
	}
	return out, nil
}

func decodeStatement(env []byte) (*Statement, error) {
	var e Envelope
	if err := json.Unmarshal(env, &e); err != nil {
		return nil, fmt.Errorf("%w: attestation is not a DSSE envelope: %v", ErrNotVerified, err)
	}
	if e.PayloadType != InTotoPayloadType {
		return nil, fmt.Errorf("%w: attestation payload type %q, want %q", ErrNotVerified, e.PayloadType, InTotoPayloadType)
	}
	raw, err := base64.StdEncoding.DecodeString(e.Payload)
	if err != nil {
		return nil, fmt.Errorf("%w: attestation payload is not base64", ErrNotVerified)
	}
	var st Statement
	if err := json.Unmarshal(raw, &st); err != nil {
		return nil, fmt.Errorf("%w: attestation payload is not an in-toto statement: %v", ErrNotVerified, err)
	}
	return &st, nil
}
