package release

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"log"
	"net/http/httptest"
	"strings"
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
	t.Helper()
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	host := strings.TrimPrefix(srv.URL, "http://")
	priv, _ := testKey()
	key, err := LoadPrivateKey(priv, []byte("test password"))
	if err != nil {
		t.Fatal(err)
	}
	a, err := Build(context.Background(), Options{Dir: fixtureRepo(t), Image: host + "/team/hello:v1", Platforms: []v1.Platform{hostPlatform}, Key: key})
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
