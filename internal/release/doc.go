// Package release turns a Go main package into the artefact a cluster can
// trust: a reproducible OCI image built without a Docker daemon, its SBOMs,
// a SLSA provenance statement, and signatures in cosign's formats.
//
// [Build] runs the whole pipeline: [Inspect] finds the package and the git
// state (a dirty tree is refused, since the revision stamped into the image
// would be wrong), [BuildBinary] compiles it with [BuildFlags] (CGO off,
// -trimpath, VCS stamping, no build id), [Image] packs it on a minimal base
// (a non-root user, a CA bundle, /tmp; every timestamp is the commit's, so
// two releases of one commit have the same digest), package sbom describes
// the binary, and with a key the image digest is signed (simple signing at
// the sha256-<hex>.sig tag) and the provenance and SBOMs are attached as
// DSSE-signed in-toto attestations (sha256-<hex>.att), the layout that
// `cosign verify --key` and `cosign verify-attestation --key` read.
// The [Artifact] is then written with [Artifact.WriteLayout],
// [Artifact.WriteTarball] or [Artifact.Push], and checked with [Verify].
// Keys come from [GenerateKeyPair] in cosign's encrypted key format.
//
// This package links go-containerregistry and sigstore: it belongs to the
// golocal command, and no kit package may import it.
//
// [cosign signature spec]: https://github.com/sigstore/cosign/blob/main/specs/SIGNATURE_SPEC.md
// [SLSA v1 provenance]: https://slsa.dev/spec/v1.0/provenance
package release
