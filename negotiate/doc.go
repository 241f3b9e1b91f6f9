// Package negotiate implements HTTP content negotiation (RFC 9110 §12,
// https://www.rfc-editor.org/rfc/rfc9110#section-12): parsing Accept across
// all its field lines, choosing among the representations a handler can
// produce, rendering one value as JSON or HTML, and API versions by path or
// media type.
//
// A handler that serves the same data to scripts and browsers:
//
//	page := template.Must(template.New("order").Parse(
//		`<h1>Order {{.Value.ID}}</h1><script nonce="{{.Nonce}}">…</script>`))
//	opts := negotiate.Options{Template: page, Nonce: middleware.Nonce}
//
//	func getOrder(w http.ResponseWriter, r *http.Request) {
//		negotiate.Render(w, r, order, opts) // JSON for curl, HTML for browsers, 406 otherwise
//	}
//
// For other formats use [Negotiate] (choose, Vary, 406) or [Choose] (just the
// choice). Versioned APIs wrap their routes in [Versions.Handler]:
// /api/v2/orders, Accept: application/vnd.orders.v2+json and Accept:
// application/json; version=2 all select version 2, the response
// Content-Type names it, and an unknown version, in the path or in Accept,
// is a problem+json 406 listing the supported versions.
//
// Every negotiated response carries Vary: Accept so caches keep the JSON and
// HTML variants apart. Parsing is lenient per RFC 9110 §5.6.1: malformed
// Accept members are skipped, never fatal.
package negotiate
