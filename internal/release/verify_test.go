package release

import (
	"bytes"
	"context"
	"crypto"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// pushFixture releases the fixture repository, signed, to an in-process
// registry on loopback and returns the artefact and the registry host.
func pushFixture(t *testing.T) (*Artifact, string) {
	return pushFixtureVia(t, nil)
}

// pushFixtureVia is pushFixture with the registry's handler wrapped by mw
// (nil: none), which sees every request the push and later reads make.
func pushFixtureVia(t *testing.T, mw func(http.Handler) http.Handler) (*Artifact, string) {
	t.Helper()
	var h http.Handler = registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	if mw != nil {
		h = mw(h)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")
	a, err := Build(context.Background(), Options{Dir: fixtureRepo(t), Image: host + "/team/hello:v1", Platforms: []v1.Platform{hostPlatform}, Key: fixtureKey(t)})
	if err != nil {
		t.Fatal(err)
	}
	pushed, err := a.Push(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(pushed) != 3 || !strings.HasSuffix(pushed[1], ".sig") || !strings.HasSuffix(pushed[2], ".att") {
		t.Fatalf("pushed %v, want the image, its .sig and its .att", pushed)
	}
	return a, host
}

// fixtureKey is the private key of testKey.
func fixtureKey(t *testing.T) crypto.Signer {
	t.Helper()
	priv, _ := testKey()
	key, err := LoadPrivateKey(priv, []byte("test password"))
	if err != nil {
		t.Fatal(err)
	}
	return key
}

var wantTypes = []string{SLSAProvenanceV1, CycloneDXBOM, SPDXDocument}

func TestPushAndVerify(t *testing.T) {
	a, _ := pushFixture(t)
	_, pub := testKey()
	_, otherPub, err := GenerateKeyPair([]byte("other"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	v, err := Verify(ctx, a.Ref.String(), pub, wantTypes)
	if err != nil {
		t.Fatalf("right key: %v", err)
	}
	if v.Digest != a.Digest {
		t.Errorf("verified %s, released %s", v.Digest, a.Digest)
	}
	prov := v.Statements[SLSAProvenanceV1]
	if !bytes.Contains(prov.Predicate, []byte(a.Source.Revision)) {
		t.Error("provenance does not name the source revision")
	}
	if _, err := Verify(ctx, a.Ref.String(), otherPub, wantTypes); !errors.Is(err, ErrNotVerified) {
		t.Errorf("another key: %v, want ErrNotVerified", err)
	}
}

// TestVerifyRejectsTampering changes what the registry holds in the ways an
// attacker could, and expects each to be rejected.
func TestVerifyRejectsTampering(t *testing.T) {
	ctx := context.Background()
	_, pub := testKey()
	t.Run("layer replaced, tag moved", func(t *testing.T) {
		a, _ := pushFixture(t)
		bad := tamperedImage(t, a.Images[0])
		if err := remote.Write(a.Ref, bad); err != nil {
			t.Fatal(err)
		}
		if _, err := Verify(ctx, a.Ref.String(), pub, wantTypes); !errors.Is(err, ErrNotVerified) {
			t.Fatalf("tampered layer: %v, want ErrNotVerified", err)
		}
	})
	t.Run("layer replaced, signatures copied", func(t *testing.T) {
		a, _ := pushFixture(t)
		bad := tamperedImage(t, a.Images[0])
		if err := remote.Write(a.Ref, bad); err != nil {
			t.Fatal(err)
		}
		d, _ := bad.Digest()
		repo := a.Ref.Context()
		for _, s := range a.signed() {
			tag := SignatureTag(d)
			if strings.HasSuffix(s.tag, ".att") {
				tag = AttestationTag(d)
			}
			if err := remote.Write(repo.Tag(tag), s.img); err != nil {
				t.Fatal(err)
			}
		}
		_, err := Verify(ctx, a.Ref.String(), pub, wantTypes)
		if !errors.Is(err, ErrNotVerified) || !strings.Contains(err.Error(), "names sha256:") {
			t.Fatalf("replayed signature: %v, want a digest mismatch", err)
		}
	})
	t.Run("attestation payload edited", func(t *testing.T) {
		a, _ := pushFixture(t)
		att := editedAttestation(t, a.Attestations)
		if err := remote.Write(a.Ref.Context().Tag(AttestationTag(a.Digest)), att); err != nil {
			t.Fatal(err)
		}
		if _, err := Verify(ctx, a.Ref.String(), pub, wantTypes); !errors.Is(err, ErrNotVerified) {
			t.Fatalf("edited attestation: %v, want ErrNotVerified", err)
		}
	})
	t.Run("no signature", func(t *testing.T) {
		a, host := pushFixture(t)
		other, err := name.ParseReference(host + "/team/unsigned:v1")
		if err != nil {
			t.Fatal(err)
		}
		if err := remote.Write(other, a.Images[0]); err != nil {
			t.Fatal(err)
		}
		if _, err := Verify(ctx, other.String(), pub, nil); !errors.Is(err, ErrNotVerified) {
			t.Fatalf("unsigned image: %v, want ErrNotVerified", err)
		}
	})
}

// tamperedImage replaces img's last layer (the binary) with other bytes.
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
	evil, err := layer([]tarEntry{{name: "app/", mode: 0o755}, {name: "app/hello", mode: 0o755, data: []byte("#!/bin/sh\necho evil\n")}}, cf.Created.Time)
	if err != nil {
		t.Fatal(err)
	}
	base, err := mutate.AppendLayers(mutate.MediaType(emptyOCI(), types.OCIManifestSchema1), layers[0], evil)
	if err != nil {
		t.Fatal(err)
	}
	bcf, err := base.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.RootFS, cf.History = bcf.RootFS, bcf.History
	bad, err := mutate.ConfigFile(base, cf)
	if err != nil {
		t.Fatal(err)
	}
	return bad
}

func emptyOCI() v1.Image {
	img, _ := artifactImage()
	return img
}

// editedAttestation flips the provenance statement's revision without
// re-signing the envelope.
func editedAttestation(t *testing.T, att v1.Image) v1.Image {
	t.Helper()
	m, err := att.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	var adds []mutate.Addendum
	for _, d := range m.Layers {
		l, _ := att.LayerByDigest(d.Digest)
		rc, _ := l.Compressed()
		var env Envelope
		if err := json.NewDecoder(rc).Decode(&env); err != nil {
			t.Fatal(err)
		}
		rc.Close()
		if d.Annotations[PredicateTypeAnnotation] == SLSAProvenanceV1 {
			raw, _ := base64.StdEncoding.DecodeString(env.Payload)
			raw = bytes.Replace(raw, []byte(`"dirty":false`), []byte(`"dirty":true `), 1)
			env.Payload = base64.StdEncoding.EncodeToString(raw)
		}
		b, _ := json.Marshal(env)
		adds = append(adds, mutate.Addendum{Layer: static.NewLayer(b, DSSEMediaType), Annotations: d.Annotations})
	}
	img, err := artifactImage(adds...)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// TestVerifyRejectsForgeries writes what an attacker holding the registry
// (but not the key) or a careless signer could put there, one forgery at a
// time, each of which Verify must refuse: the judgement of every check in
// Verify, not only the ones a tampered layer reaches.
func TestVerifyRejectsForgeries(t *testing.T) {
	ctx := context.Background()
	_, pub := testKey()
	var corrupt atomic.Value // the blob digest to serve altered, or ""
	corrupt.Store("")
	a, _ := pushFixtureVia(t, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			d := corrupt.Load().(string)
			if d == "" || r.Method != http.MethodGet || !strings.HasSuffix(r.URL.Path, "/blobs/"+d) {
				next.ServeHTTP(w, r)
				return
			}
			rec := httptest.NewRecorder()
			next.ServeHTTP(rec, r)
			body := rec.Body.Bytes()
			body[len(body)/2] ^= 0xff // a mirror serving other bytes under the signed manifest
			maps.Copy(w.Header(), rec.Header())
			w.WriteHeader(rec.Code)
			w.Write(body)
		})
	})
	key := fixtureKey(t)
	repo := a.Ref.Context()
	sigTag, attTag := repo.Tag(SignatureTag(a.Digest)), repo.Tag(AttestationTag(a.Digest))
	restore := func() {
		corrupt.Store("")
		for _, s := range a.signed() {
			if err := remote.Write(repo.Tag(s.tag), s.img); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := Verify(ctx, a.Ref.String(), pub, wantTypes); err != nil {
		t.Fatalf("the untouched release does not verify: %v", err)
	}
	layers, _ := a.Images[0].Layers()
	binary, _ := layers[len(layers)-1].Digest()
	for _, tt := range []struct {
		name  string
		forge func(t *testing.T) // writes the forgery to the registry
		want  []string           // the types Verify is asked for
		msg   string             // part of the error
	}{
		{"an attestation type is missing", func(*testing.T) {}, append(slices.Clone(wantTypes), "https://example.com/other/v1"), "no verified attestation of type https://example.com/other/v1"},
		{"a layer's bytes differ from the signed manifest", func(*testing.T) { corrupt.Store(binary.String()) }, wantTypes, "content does not match its manifest"},
		{"signature bytes over another payload", func(t *testing.T) {
			writeSignature(t, sigTag, key, a, func(*SimpleSigning) {}, []byte("other bytes"))
		}, wantTypes, "signature does not verify"},
		{"signed document of another type", func(t *testing.T) {
			writeSignature(t, sigTag, key, a, func(s *SimpleSigning) { s.Critical.Type = "some other signature" }, nil)
		}, wantTypes, "not a cosign simple-signing document"},
		{"signed document naming another image", func(t *testing.T) {
			writeSignature(t, sigTag, key, a, func(s *SimpleSigning) { s.Critical.Image.DockerManifestDigest = "sha256:" + strings.Repeat("0", 64) }, nil)
		}, wantTypes, "signed payload names sha256:0000"},
		{"attestation signed as another payload type", func(t *testing.T) {
			writeAttestations(t, attTag, key, a, "application/json", func(*Statement) {})
		}, wantTypes, "attestation payload type"},
		{"attestation about another image", func(t *testing.T) {
			writeAttestations(t, attTag, key, a, InTotoPayloadType, func(st *Statement) {
				st.Subject = []Subject{{Name: "other", Digest: map[string]string{"sha256": strings.Repeat("1", 64)}}}
			})
		}, wantTypes, "is about other artefacts"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			defer restore()
			tt.forge(t)
			_, err := Verify(ctx, a.Ref.String(), pub, tt.want)
			if !errors.Is(err, ErrNotVerified) || !strings.Contains(err.Error(), tt.msg) {
				t.Fatalf("Verify: %v; want ErrNotVerified saying %q", err, tt.msg)
			}
		})
	}
}

// writeSignature writes a simple-signing signature for a, edited by edit,
// signed with key over signed (nil: the payload itself).
func writeSignature(t *testing.T, tag name.Tag, key crypto.Signer, a *Artifact, edit func(*SimpleSigning), signed []byte) {
	t.Helper()
	var s SimpleSigning
	s.Critical.Identity.DockerReference = a.Ref.Context().String()
	s.Critical.Image.DockerManifestDigest = a.Digest.String()
	s.Critical.Type = simpleSigningType
	edit(&s)
	payload, _ := json.Marshal(s)
	if signed == nil {
		signed = payload
	}
	sig, err := signBytes(key, signed)
	if err != nil {
		t.Fatal(err)
	}
	img, err := artifactImage(mutate.Addendum{
		Layer:       static.NewLayer(payload, SimpleSigningMediaType),
		Annotations: map[string]string{SignatureAnnotation: base64.StdEncoding.EncodeToString(sig)},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(tag, img); err != nil {
		t.Fatal(err)
	}
}

// writeAttestations re-signs a's attestations with key as payloadType
// after edit changed each statement.
func writeAttestations(t *testing.T, tag name.Tag, key crypto.Signer, a *Artifact, payloadType string, edit func(*Statement)) {
	t.Helper()
	m, err := a.Attestations.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	var atts []Attestation
	for _, d := range m.Layers {
		l, _ := a.Attestations.LayerByDigest(d.Digest)
		rc, _ := l.Compressed()
		raw, _ := io.ReadAll(rc)
		rc.Close()
		st, err := decodeStatement(raw)
		if err != nil {
			t.Fatal(err)
		}
		edit(st)
		payload, _ := json.Marshal(st)
		sig, err := signBytes(key, PAE(payloadType, payload))
		if err != nil {
			t.Fatal(err)
		}
		env, _ := json.Marshal(Envelope{PayloadType: payloadType, Payload: base64.StdEncoding.EncodeToString(payload),
			Signatures: []EnvelopeSignature{{Sig: base64.StdEncoding.EncodeToString(sig)}}})
		atts = append(atts, Attestation{PredicateType: st.PredicateType, Envelope: env})
	}
	img, err := AttestationImage(atts)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(tag, img); err != nil {
		t.Fatal(err)
	}
}
