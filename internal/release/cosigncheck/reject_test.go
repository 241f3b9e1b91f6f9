package cosigncheck

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/sigstore/cosign/v2/pkg/cosign"

	"github.com/golocal/golocal/internal/release"
)

// TestCosignRejects changes the pushed release the ways an attacker holding
// the registry (but not the key) could, or checks it with another key, and
// expects cosign's verification to refuse what no longer matches.
//
// cosign checks each signature and each attestation on its own and returns
// those that verify; it fails only when none does. So an edited
// provenance, next to two intact SBOM attestations, is not an error: it is
// missing from the verified set, which is what a policy asking for
// provenance must look at.
func TestCosignRejects(t *testing.T) {
	ctx := context.Background()
	a := pushRelease(t)
	repo := a.Ref.Context()
	sigTag, attTag := repo.Tag(release.SignatureTag(a.Digest)), repo.Tag(release.AttestationTag(a.Digest))
	restore := func() {
		for _, w := range []struct {
			tag name.Tag
			img v1.Image
		}{{a.Ref, a.Images[0]}, {sigTag, a.Signature}, {attTag, a.Attestations}} {
			if err := remote.Write(w.tag, w.img); err != nil {
				t.Fatalf("restoring %s: %v", w.tag, err)
			}
		}
	}
	good, other := keys(t, keyPair).pub, keys(t, otherKeyPair).pub
	sboms := []string{release.CycloneDXBOM, release.SPDXDocument}
	for _, tt := range []struct {
		name   string
		tamper func(t *testing.T) // changes the registry; nil: nothing
		pub    []byte             // the key cosign checks with
		sigErr string             // part of the signature check's error; "": accepted
		attErr string             // part of the attestation check's error; "": no error
		atts   []string           // without attErr, the attestation types that verify
	}{
		{"another key", nil, other, "invalid signature", "accepted signatures do not match threshold", nil},
		{"layer replaced, tag moved", func(t *testing.T) { put(t, a.Ref, tamperedImage(t, a.Images[0])) }, good,
			"no signatures found", "no matching attestations", nil},
		{"layer replaced, signature and attestations copied to its digest", func(t *testing.T) {
			bad := tamperedImage(t, a.Images[0])
			put(t, a.Ref, bad)
			d, err := bad.Digest()
			if err != nil {
				t.Fatal(err)
			}
			put(t, repo.Tag(release.SignatureTag(d)), a.Signature)
			put(t, repo.Tag(release.AttestationTag(d)), a.Attestations)
		}, good, "invalid or missing digest in claim", "no matching subject digest found", nil},
		{"bit flipped in the signature annotation", func(t *testing.T) { put(t, sigTag, flippedSignature(t, a.Signature)) }, good,
			"invalid signature", "", wantTypes},
		{"provenance payload edited", func(t *testing.T) { put(t, attTag, editedProvenance(t, a.Attestations, a.Source.Revision)) }, good,
			"", "", sboms},
	} {
		t.Run(tt.name, func(t *testing.T) {
			defer restore()
			if tt.tamper != nil {
				tt.tamper(t)
			}
			v := verifier(t, tt.pub)
			_, _, err := cosign.VerifyImageSignatures(ctx, a.Ref, checkOpts(ctx, v, cosign.SimpleClaimVerifier))
			checkErr(t, "cosign.VerifyImageSignatures", err, tt.sigErr)
			atts, _, err := cosign.VerifyImageAttestations(ctx, a.Ref, checkOpts(ctx, v, cosign.IntotoSubjectClaimVerifier))
			checkErr(t, "cosign.VerifyImageAttestations", err, tt.attErr)
			if err != nil || tt.attErr != "" {
				return
			}
			var got []string
			for typ, st := range statements(t, atts) {
				got = append(got, typ)
				if len(st.Subject) == 0 || "sha256:"+st.Subject[0].Digest["sha256"] != a.Digest.String() {
					t.Errorf("%s attestation is about %+v, want %s", typ, st.Subject, a.Digest)
				}
			}
			slices.Sort(got)
			if want := slices.Sorted(slices.Values(tt.atts)); !slices.Equal(got, want) {
				t.Errorf("cosign verified attestations of types %v, want %v", got, want)
			}
		})
	}
}

// checkErr fails t unless err is nil when want is "", or says want.
func checkErr(t *testing.T, what string, err error, want string) {
	t.Helper()
	switch {
	case want == "" && err != nil:
		t.Errorf("%s: %v, want accepted", what, err)
	case want != "" && err == nil:
		t.Errorf("%s accepted, want an error saying %q", what, want)
	case want != "" && !strings.Contains(err.Error(), want):
		t.Errorf("%s: %v, want an error saying %q", what, err, want)
	}
}

// put writes img to the registry under tag.
func put(t *testing.T, tag name.Tag, img v1.Image) {
	t.Helper()
	if err := remote.Write(tag, img); err != nil {
		t.Fatalf("writing %s: %v", tag, err)
	}
}

// tamperedImage is img with its last layer (the application binary)
// replaced by a shell script: another image, under another digest.
func tamperedImage(t *testing.T, img v1.Image) v1.Image {
	t.Helper()
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	script := []byte("#!/bin/sh\necho evil\n")
	if err := tw.WriteHeader(&tar.Header{Name: "app/hello", Mode: 0o755, Size: int64(len(script))}); err != nil {
		t.Fatal(err)
	}
	tw.Write(script)
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	evil, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(buf.Bytes())), nil })
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.RootFS.DiffIDs, cf.History = nil, nil
	base, err := mutate.ConfigFile(mutate.MediaType(empty.Image, types.OCIManifestSchema1), cf)
	if err != nil {
		t.Fatal(err)
	}
	bad, err := mutate.AppendLayers(base, append(layers[:len(layers)-1:len(layers)-1], evil)...)
	if err != nil {
		t.Fatal(err)
	}
	return bad
}

// rebuilt is an artefact image with sig's layers, each with its
// annotations passed through edit (which may also replace the layer).
func rebuilt(t *testing.T, sig v1.Image, edit func(l v1.Layer, ann map[string]string) v1.Layer) v1.Image {
	t.Helper()
	m, err := sig.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	base := mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
	for _, d := range m.Layers {
		l, err := sig.LayerByDigest(d.Digest)
		if err != nil {
			t.Fatal(err)
		}
		ann := map[string]string{}
		for k, v := range d.Annotations {
			ann[k] = v
		}
		l = edit(l, ann)
		if base, err = mutate.Append(base, mutate.Addendum{Layer: l, Annotations: ann, MediaType: d.MediaType}); err != nil {
			t.Fatal(err)
		}
	}
	return base
}

// flippedSignature is the signature image with one bit of the signature
// changed (in the last byte, so that the ASN.1 still parses).
func flippedSignature(t *testing.T, sig v1.Image) v1.Image {
	t.Helper()
	return rebuilt(t, sig, func(l v1.Layer, ann map[string]string) v1.Layer {
		raw, err := base64.StdEncoding.DecodeString(ann[release.SignatureAnnotation])
		if err != nil || len(raw) == 0 {
			t.Fatalf("signature annotation %q: %v", ann[release.SignatureAnnotation], err)
		}
		raw[len(raw)-1] ^= 1
		ann[release.SignatureAnnotation] = base64.StdEncoding.EncodeToString(raw)
		return l
	})
}

// editedProvenance is the attestation image with the provenance's source
// revision replaced by zeros inside its DSSE envelope, not re-signed.
func editedProvenance(t *testing.T, att v1.Image, revision string) v1.Image {
	t.Helper()
	edited := false
	img := rebuilt(t, att, func(l v1.Layer, ann map[string]string) v1.Layer {
		if ann[release.PredicateTypeAnnotation] != release.SLSAProvenanceV1 {
			return l
		}
		rc, err := l.Uncompressed()
		if err != nil {
			t.Fatal(err)
		}
		defer rc.Close()
		var env release.Envelope
		if err := json.NewDecoder(rc).Decode(&env); err != nil {
			t.Fatal(err)
		}
		st, err := base64.StdEncoding.DecodeString(env.Payload)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(st, []byte(revision)) {
			t.Fatalf("the provenance does not name the revision %s", revision)
		}
		st = bytes.ReplaceAll(st, []byte(revision), []byte(strings.Repeat("0", len(revision))))
		env.Payload = base64.StdEncoding.EncodeToString(st)
		b, err := json.Marshal(env)
		if err != nil {
			t.Fatal(err)
		}
		edited = true
		return static.NewLayer(b, release.DSSEMediaType)
	})
	if !edited {
		t.Fatal("the attestation image holds no provenance")
	}
	return img
}
