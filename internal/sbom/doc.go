// Package sbom turns a Go binary's own build information (the module list
// that `go version -m` prints: main module, every dependency with its
// version and go.sum hash, the toolchain and the build settings) into a
// software bill of materials in the two formats security tools read:
// CycloneDX 1.6 JSON through the format's own library, and SPDX 2.3 JSON.
//
// Read a binary with [ReadBinary], then render with [CycloneDX] and
// [EncodeCycloneDX], or [SPDX] and [EncodeSPDX]. The output depends only on
// the binary (timestamps come from its vcs.time stamp, serial numbers from a
// digest of its contents), so the same binary always yields the same bytes,
// which is what lets `golocal release` produce byte-identical images.
// `golocal sbom BINARY` is the command line for it.
//
// [CycloneDX 1.6]: https://cyclonedx.org/docs/1.6/json/
// [SPDX 2.3]: https://spdx.github.io/spdx-spec/v2.3/
package sbom
