// Package probe makes the requests of `golocal probe`: one fresh transport
// per request, every phase timed in curl's -w terms, the raw HTTP/1.x bytes
// captured below net/http, and a report in text, JSON or JUnit.
//
// [Do] is the entry point for other packages: a URL string and a [Config]
// in, a [Report] (and an error when the request failed) out.
// [Run] makes one probe (following redirects hop by hop with
// Options.FollowRedirects); [Probe] repeats it (-n), runs the active checks
// (CORS with an origin, content negotiation, the plain-HTTP redirect), lints
// the final response with internal/lint and checks an [SLO]:
//
//	u, note, err := probe.ParseURL("localhost:8080/health") // note: assuming http://
//	rep := probe.Probe(ctx, u, probe.Config{Runs: 20, SLO: slo})
//	probe.WriteText(os.Stdout, rep, term.Palette{})
//
// Each [Hop] embeds the [lint.Exchange] it made (request, status, header,
// raw views, body prefix), so the probe, the linter and the report share one
// model of a response; the Hop adds timing, the connection and sizes. The
// code follows a request's phases: transport.go (dialers, TLS), send.go
// (request, body), capture.go (the raw HTTP/1.x bytes), h2raw.go (the raw
// HTTP/2 head), timing.go (trace hooks to curl's phases) and errors.go
// (what went wrong, in words a user can act on).
//
// Timings are cumulative from a clock started before name resolution, as
// curl's are: namelookup (DNSDone; when no lookup runs, for an IP literal
// or --resolve, the microseconds spent picking the address, ~0 as in curl), connect (the winning ConnectDone), appconnect (TLS handshake
// done), pretransfer (GotConn), posttransfer (WroteRequest), starttransfer
// (GotFirstResponseByte) and total (body read to its end). bench/probe
// checks them against curl.
//
// The dialers are the probe's own: they apply --connect-to, --resolve and
// -4/-6, do the TLS handshake (so the certificate is reported even with -k,
// along with whether it would have been trusted) and, for HTTP/1.x, wrap the
// connection in a capture whose pump goroutine keeps reading when Go's
// client refuses a response, so the lenient parser still sees all of it.
// Over HTTP/2, where Go's client refuses upper-case field names and
// canonicalises the rest, one more untimed request on a new connection,
// made with the x/net Framer and an HPACK decoder of our own, reads the
// response head with names as sent (Hop.H2Fields, for rules h2-uppercase
// and h2-conn-specific); a response Go refused is then a finding
// (Hop.ClientError), not a failed request.
// Everything is bounded: the run's timeout covers every phase, a response
// head over MaxHeaderBytes and a body over MaxBodyBytes stop the request
// with a clear [Error], and at most MaxHeaderBytes+KeepBodyBytes of raw
// bytes are kept per connection.
//
// The JSON report ([Report], schema_version 1) is documented in
// docs/probe-json.md.
package probe
