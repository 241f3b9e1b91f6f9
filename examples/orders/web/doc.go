// Package web is the HTTP surface of the orders service: the JSON API and
// the HTML pages, served by one set of handlers on a net/http ServeMux
// (routes.go maps all of it).
//
// The same URLs serve both audiences. GET /orders and GET /orders/{id}
// answer JSON or HTML by the Accept header (negotiate.Render: browsers get
// the pages, curl and scripts get JSON); the API lives under /api/v1 and
// /api/v2, and /api/orders (and /orders) pick the version from Accept:
// application/vnd.orders.v2+json or application/json; version=2. Version 2
// writes money as {"amount": "12.50", "currency": "EUR"}; version 1 as an
// integer number of minor units. An Accept that admits only unknown
// versions is a 406 problem.
//
// POST reads JSON (the API: 201 Created with Location, Idempotency-Key
// honoured) or an HTML form (the pages: a redirect and a flash message).
// Every error is application/problem+json (RFC 9457), or an error page for
// a browser; validation errors list each bad field. errors.go decides, in
// one place, what each domain and storage error means to a client (for
// example order.ErrUnavailable is a 503 with Retry-After). Unsafe cross-origin
// requests are refused by the standard library's CrossOriginProtection
// except from TrustedOrigins.
//
// The handler does not include golocal's middleware: wrap it in
// middleware.Stack (security headers with the CSP nonce the templates use,
// CORS, access log, body limit, metrics), as package app does.
package web
