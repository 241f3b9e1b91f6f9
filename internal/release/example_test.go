package release_test

import (
	"context"
	"fmt"
	"os"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/golocal/golocal/internal/release"
)

// Release ./cmd/app as a signed image, push it, and verify it the way an
// admission controller would.
func Example() {
	ctx := context.Background()
	keyPEM, _ := os.ReadFile("cosign.key")
	key, err := release.LoadPrivateKey(keyPEM, []byte(os.Getenv("COSIGN_PASSWORD")))
	if err != nil {
		fmt.Println(err)
		return
	}
	a, err := release.Build(ctx, release.Options{
		Package:   "./cmd/app",
		Image:     "registry.example.com/team/app:v1",
		Platforms: []v1.Platform{{OS: "linux", Architecture: "amd64"}},
		Key:       key,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	if _, err := a.Push(ctx); err != nil {
		fmt.Println(err)
		return
	}
	pub, _ := os.ReadFile("cosign.pub")
	v, err := release.Verify(ctx, a.ImageRef().String(), pub, []string{release.SLSAProvenanceV1, release.CycloneDXBOM})
	fmt.Println(v.Digest, err)
}
