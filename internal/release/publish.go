package release

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// Annotations cosign's OCI layout code (`cosign save`, `cosign verify
// --local-image`) finds the signed entity and its signatures and
// attestations by, in the layout's index.
const (
	layoutKindAnnotation    = "kind"
	layoutKindImage         = "dev.cosignproject.cosign/image"
	layoutKindImageIndex    = "dev.cosignproject.cosign/imageIndex"
	layoutKindSignatures    = "dev.cosignproject.cosign/sigs"
	layoutKindAttestations  = "dev.cosignproject.cosign/atts"
	layoutRefNameAnnotation = "org.opencontainers.image.ref.name"
)

// WriteLayout writes the release into an OCI image layout directory: the
// image (or index) named by its tag, and the signature and attestation
// images under cosign's tag names, so that a copy to a registry (crane,
// oras, skopeo) carries them along. Each entry also carries cosign's
// "kind" annotation, so `cosign verify --local-image` reads the layout;
// cosign takes the first entry of each kind, so for it a layout should hold
// one release.
func (a *Artifact) WriteLayout(dir string) error {
	p, err := layout.FromPath(dir)
	if err != nil {
		if p, err = layout.Write(dir, empty.Index); err != nil {
			return fmt.Errorf("OCI layout %s: %v", dir, err)
		}
	}
	annotate := func(ref, kind string) layout.Option {
		return layout.WithAnnotations(map[string]string{layoutRefNameAnnotation: ref, layoutKindAnnotation: kind})
	}
	if a.Index != nil {
		err = p.AppendIndex(a.Index, annotate(a.Ref.TagStr(), layoutKindImageIndex))
	} else {
		err = p.AppendImage(a.Images[0], annotate(a.Ref.TagStr(), layoutKindImage))
	}
	if err != nil {
		return err
	}
	for _, s := range a.signed() {
		if err := p.AppendImage(s.img, annotate(s.tag, s.kind)); err != nil {
			return err
		}
	}
	return nil
}

// WriteTarball writes a `docker load` tarball of the single-platform image.
func (a *Artifact) WriteTarball(path string) error {
	if a.Index != nil {
		return errors.New("a tarball holds one platform's image: release one --platform, or use --oci-layout for several")
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := tarball.Write(a.Ref, a.Images[0], f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// signedImage is a signature or attestation image, its tag and its kind in
// an OCI layout.
type signedImage struct {
	tag, kind string
	img       v1.Image
}

func (a *Artifact) signed() []signedImage {
	if a.Signature == nil {
		return nil
	}
	return []signedImage{
		{SignatureTag(a.Digest), layoutKindSignatures, a.Signature},
		{AttestationTag(a.Digest), layoutKindAttestations, a.Attestations},
	}
}

// PushError says what did reach the registry before a push failed.
type PushError struct {
	Registry string
	Pushed   []string
	Err      error
}

func (e *PushError) Error() string {
	msg := fmt.Sprintf("push to %s failed: %v", e.Registry, e.Err)
	if len(e.Pushed) == 0 {
		return msg + "; nothing was pushed"
	}
	return fmt.Sprintf("%s; pushed before the failure, and not usable as a release: %v", msg, e.Pushed)
}

func (e *PushError) Unwrap() error { return e.Err }

// Push uploads the image, then its signature and attestations, and returns
// the references written. The release counts as pushed only when all of
// them are: on any failure a *PushError lists what got there.
func (a *Artifact) Push(ctx context.Context, opts ...remote.Option) ([]string, error) {
	opts = append([]remote.Option{remote.WithContext(ctx), remote.WithAuthFromKeychain(authn.DefaultKeychain)}, opts...)
	var pushed []string
	fail := func(err error) ([]string, error) {
		return nil, &PushError{Registry: a.Ref.RegistryStr(), Pushed: pushed, Err: explainPush(err)}
	}
	var err error
	if a.Index != nil {
		err = remote.WriteIndex(a.Ref, a.Index, opts...)
	} else {
		err = remote.Write(a.Ref, a.Images[0], opts...)
	}
	if err != nil {
		return fail(err)
	}
	pushed = append(pushed, a.Ref.Context().Digest(a.Digest.String()).String())
	for _, s := range a.signed() {
		t := a.Ref.Context().Tag(s.tag)
		if err := remote.Write(t, s.img, opts...); err != nil {
			return fail(err)
		}
		pushed = append(pushed, t.String())
	}
	return pushed, nil
}

// explainPush adds what to do to the common network failures.
func explainPush(err error) error {
	var oe *net.OpError
	var ue *url.Error
	switch {
	case errors.As(err, &oe) && oe.Op == "dial":
		return fmt.Errorf("%v (is the registry running and reachable? check the host and port in --image)", err)
	case errors.As(err, &ue):
		return fmt.Errorf("%v (check the registry address in --image and your network)", err)
	}
	return err
}

// ImageRef is the pushed image by digest, repo@sha256:….
func (a *Artifact) ImageRef() name.Digest { return a.Ref.Context().Digest(a.Digest.String()) }
