// Package vuln runs govulncheck's analysis (golang.org/x/vuln/scan, the
// same code as the govulncheck command) on a package pattern or a binary,
// against a vulnerability database given as a URL or a local folder in the
// OSV layout (index/db.json, index/modules.json, ID/<id>.json), and sorts
// what it finds by how close each vulnerability is to running: called
// (reachable from the code: the symbol is in the call graph), imported (the
// package is linked but the vulnerable symbol is not reached), or required
// (only the module is in the build list).
//
// Call [Scan] with [Options], print the [Report] with [Report.WriteText], and
// gate a release with [Report.Fails] and a [Level] (`--fail-on called` fails
// only on reachable vulnerabilities). `golocal vuln` is its command line.
//
// [OSV schema]: https://ossf.github.io/osv-schema/
// [Go vulnerability database]: https://go.dev/doc/security/vuln/database
package vuln
