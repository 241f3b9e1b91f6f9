// Package cosigncheck proves that cosign's own verification library accepts
// what golocal's release package publishes.
//
// It is a separate Go module so that cosign's large dependency graph never
// enters the main module's go.mod. The package has no non-test code: its
// tests build a release with [github.com/golocal/golocal/internal/release],
// push it to go-containerregistry's in-process registry on loopback, and
// check the signature and the attestations with
// [github.com/sigstore/cosign/v2/pkg/cosign], with the right key, another
// key, and tampered images.
package cosigncheck
