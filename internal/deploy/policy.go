package deploy

// ImagePolicy is what the prod overlay's ClusterImagePolicy admits: images
// matching ImageGlob signed by the key of `golocal release`.
type ImagePolicy struct {
	// ImageGlob matches the image references to check, e.g.
	// "registry.example/orders**".
	ImageGlob string
	// PublicKeyPEM is the cosign public key (golocal release's cosign.pub).
	PublicKeyPEM string
}
