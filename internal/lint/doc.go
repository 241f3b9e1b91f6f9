// Package lint checks an HTTP response for what browsers reject and what is
// insecure, the way `golocal probe` reports it.
//
// The probe fills an [Exchange]: the request, Go's parsed view of the
// response and, for HTTP/1.x, the bytes as they came off the wire parsed by
// [ParseRaw] — a lenient parser of our own, because net/http silently
// rewrites or refuses exactly the framing problems worth reporting (folded
// lines, bare LF, "Content-Type :", conflicting Content-Length). [Run]
// applies every rule of the catalog (see [Rules]; ids such as
// "hdr-obs-fold" or "cors-reflect" are stable) and returns a [Report]:
// findings with rule id, severity, evidence (the header line, escaped so it
// is safe to print), a one-line fix and the reference (RFC section, Fetch,
// browser behaviour), the rules it could not evaluate and why, and a 0–100
// score with a letter grade modelled on the MDN HTTP Observatory.
//
// To lint a captured response:
//
//	raw, _ := lint.ParseRaw(bytesFromTheWire)
//	rep := lint.Run(&lint.Exchange{URL: u, Proto: "HTTP/1.1", Raw: raw}, lint.Options{})
//	for _, f := range rep.Findings { fmt.Println(f.Severity, f.Rule, f.Message) }
//
// Rules live in one file per family: framing.go, contenttype.go, cors.go,
// cookies.go, hsts.go, csp.go, headers.go and cache.go; rules.go is the
// registry (id, family, severity, reference and its link, what goes wrong,
// the fix) and score.go the Observatory model. docs/lint-rules.md, the
// catalog users read, is generated from the registry by catalog.go:
// after changing a rule run `go generate ./internal/lint` (a test fails
// while the file is stale). Every parser of response
// input (ParseRaw, ParseSetCookie, ParseCSP, ParseHSTS, ParseCacheControl,
// ParseMediaType, ParseSFDictionary) is lenient, bounded and never panics.
// The package lint

// on loopback for tests.
//
//go:generate go run ./gen -o ../../docs/lint-rules.mdtest serves canned raw bytes (HTTP/1.x, or HTTP/2 frames)
package lint

//go:generate go run ./gen -o ../../docs/lint-rules.md
