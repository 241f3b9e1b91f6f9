package release

import (
	"context"
	"crypto"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/golocal/golocal/internal/sbom"
)

// Options configure one release.
type Options struct {
	// Dir is where the package pattern is resolved (the current directory).
	Dir string
	// Package is the main package, "." by default.
	Package string
	// Image is the repository and tag, REPO[:TAG].
	Image string
	// Platforms to build; at least one.
	Platforms []v1.Platform
	// AllowDirty releases a tree with uncommitted changes (marked dirty).
	AllowDirty bool
	// CABundle is the PEM file copied into the image (DefaultCABundle when
	// empty).
	CABundle string
	// TZData adds Go's time zone database.
	TZData bool
	// Key signs the image and the attestations; nil releases unsigned.
	Key crypto.Signer
	// Tool is golocal's version, recorded in the SBOM and provenance.
	Tool string
	// Now is the clock for the provenance's build times (time.Now if nil).
	Now func() time.Time
}

// Artifact is a built, not yet published release.
type Artifact struct {
	Source *Source
	Ref    name.Tag
	// Images are the per-platform images, in the order of the platforms.
	Images    []v1.Image
	Platforms []v1.Platform
	// Index is set when more than one platform was built.
	Index  v1.ImageIndex
	Digest v1.Hash
	// CycloneDX, SPDX and Provenance are the documents (per the first
	// platform for the SBOMs: every platform lists the same modules).
	CycloneDX, SPDX, Provenance []byte
	// Signature and Attestations are nil without a key.
	Signature, Attestations v1.Image
}

// Build builds, packs, describes and (with a key) signs a release.
func Build(ctx context.Context, o Options) (*Artifact, error) {
	now := o.Now
	if now == nil {
		now = time.Now
	}
	start := now()
	ref, err := parseImage(o.Image)
	if err != nil {
		return nil, err
	}
	if len(o.Platforms) == 0 {
		return nil, fmt.Errorf("no platform given")
	}
	src, err := Inspect(ctx, o.Dir, orDot(o.Package), o.AllowDirty)
	if err != nil {
		return nil, err
	}
	ca, err := readCABundle(o.CABundle)
	if err != nil {
		return nil, err
	}
	a := &Artifact{Source: src, Ref: ref, Platforms: o.Platforms}
	info, err := a.buildImages(ctx, ImageOptions{CABundle: ca, TZData: o.TZData})
	if err != nil {
		return nil, err
	}
	if err := a.describe(info, o, start, now()); err != nil {
		return nil, err
	}
	if o.Key != nil {
		if err := a.sign(o.Key); err != nil {
			return nil, err
		}
	}
	return a, nil
}

func orDot(p string) string {
	if p == "" {
		return "."
	}
	return p
}

// parseImage accepts REPO[:TAG] (tag "latest" when absent); a digest
// cannot be named because the release makes it.
func parseImage(s string) (name.Tag, error) {
	if s == "" {
		return name.Tag{}, fmt.Errorf("--image is required: the repository (and tag) the image is named, e.g. registry.example.com/team/orders:v1")
	}
	t, err := name.NewTag(s, name.WeakValidation)
	if err != nil {
		return name.Tag{}, fmt.Errorf("--image %q: %v (want REPO[:TAG], no digest: the release computes it)", s, err)
	}
	return t, nil
}

func readCABundle(path string) ([]byte, error) {
	if path == "" {
		path = DefaultCABundle
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("CA bundle: %v: install ca-certificates or pass --ca-bundle FILE (a PEM file of trusted roots)", err)
	}
	return b, nil
}

// buildImages compiles and packs each platform, returning the build
// information of the first binary.
func (a *Artifact) buildImages(ctx context.Context, io ImageOptions) (*sbom.Info, error) {
	tmp, err := os.MkdirTemp("", "golocal-release-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	var info *sbom.Info
	for _, p := range a.Platforms {
		bin, err := BuildBinary(ctx, a.Source, p, tmp)
		if err != nil {
			return nil, err
		}
		if info == nil {
			if info, err = sbom.ReadBinary(bin.Path); err != nil {
				return nil, err
			}
		}
		img, err := Image(a.Source, bin, io)
		if err != nil {
			return nil, err
		}
		a.Images = append(a.Images, img)
	}
	if len(a.Images) > 1 {
		a.Index = Index(a.Images, a.Platforms)
		a.Digest, err = a.Index.Digest()
	} else {
		a.Digest, err = a.Images[0].Digest()
	}
	return info, err
}

// subjects names the release's top digest and every platform image.
func (a *Artifact) subjects() ([]Subject, error) {
	repo := a.Ref.Context().Name()
	out := []Subject{subject(repo, a.Digest)}
	if a.Index == nil {
		return out, nil
	}
	for _, img := range a.Images {
		d, err := img.Digest()
		if err != nil {
			return nil, err
		}
		out = append(out, subject(repo, d))
	}
	return out, nil
}

// describe makes the SBOMs and the provenance.
func (a *Artifact) describe(info *sbom.Info, o Options, start, end time.Time) error {
	var err error
	if a.CycloneDX, err = sbom.EncodeCycloneDX(sbom.CycloneDX(info, "golocal", o.Tool)); err != nil {
		return err
	}
	if a.SPDX, err = sbom.EncodeSPDX(sbom.SPDX(info, "golocal", o.Tool)); err != nil {
		return err
	}
	subs, err := a.subjects()
	if err != nil {
		return err
	}
	var mods []ResourceDescriptor
	for _, d := range info.Deps {
		r := ResourceDescriptor{URI: d.PURL()}
		if h := d.SHA256(); h != "" {
			r.Digest = map[string]string{"sha256": h}
		}
		mods = append(mods, r)
	}
	prov := newProvenance(provenanceInput{src: a.Source, image: a.Ref.String(), platforms: a.Platforms,
		goVersion: info.GoVersion, modules: mods, tool: o.Tool, start: start, end: end})
	a.Provenance, err = NewStatement(subs, SLSAProvenanceV1, prov)
	return err
}

// sign makes the signature image and the attestation image.
func (a *Artifact) sign(key crypto.Signer) error {
	var err error
	if a.Signature, err = SignatureImage(key, a.Ref.Context().Name(), a.Digest); err != nil {
		return err
	}
	subs, err := a.subjects()
	if err != nil {
		return err
	}
	var atts []Attestation
	for _, s := range []struct {
		typ  string
		body []byte
	}{{SLSAProvenanceV1, nil}, {CycloneDXBOM, a.CycloneDX}, {SPDXDocument, a.SPDX}} {
		stmt := a.Provenance
		if s.body != nil {
			if stmt, err = NewStatement(subs, s.typ, rawJSON(s.body)); err != nil {
				return err
			}
		}
		env, err := SignEnvelope(key, stmt)
		if err != nil {
			return err
		}
		atts = append(atts, Attestation{PredicateType: s.typ, Envelope: env})
	}
	a.Attestations, err = AttestationImage(atts)
	return err
}

// WriteDocuments writes the SBOMs and provenance into dir, beside the
// image, and returns the paths.
func (a *Artifact) WriteDocuments(dir string) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	var out []string
	for _, f := range []struct {
		name string
		b    []byte
	}{{"sbom.cdx.json", a.CycloneDX}, {"sbom.spdx.json", a.SPDX}, {"provenance.intoto.json", a.Provenance}} {
		p := filepath.Join(dir, a.Source.Name+"."+f.name)
		if err := os.WriteFile(p, f.b, 0o644); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}
