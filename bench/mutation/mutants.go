package main

// mutant is one hand-made careless edit: Old, found exactly once in File,
// becomes New. Equivalent, when set, says why no test can tell the two
// apart; such mutants are listed but not counted.
type mutant struct {
	File, Old, New string
	Equivalent     string
}

// mutants is the curated table: lines whose careless edit ships a
// security or correctness bug, in the packages of issue 19. Keep each Old
// unique in its file (the program refuses a stale or ambiguous entry),
// and add a line here with every fix a mutant would have caught.
var mutants = []mutant{
	// negotiate: q-values and specificity.
	{File: "negotiate/choose.go", Old: "if score > bestScore {", New: "if score >= bestScore {"},
	{File: "negotiate/choose.go", Old: "q > bestQ {", New: "q >= bestQ {"},
	{File: "negotiate/accept.go", Old: "m.Q = float64(milli) / 1000", New: "m.Q = float64(milli) / 100"},
	{File: "negotiate/accept.go", Old: "if quoted || !valid {", New: "if !valid {"},

	// problem: status mapping.
	{File: "problem/code.go", Old: "if status == StatusClientClosedRequest {", New: "if status != StatusClientClosedRequest {"},
	{File: "problem/details.go", Old: `if typ == "" {`, New: `if typ != "" {`},

	// static: path cleaning.
	{File: "static/path.go", Old: "case c < 0x20 || c == 0x7f:", New: "case c < 0x20:"},
	{File: "static/path.go", Old: "case c == ':':", New: "case c == ';':"},
	{File: "static/path.go", Old: "if len(p) > MaxPathLength {", New: "if len(p) > 2*MaxPathLength {"},
	{File: "static/symlink.go", Old: "if hops++; hops > maxSymlinkHops {", New: "if hops++; hops > 100*maxSymlinkHops {"},

	// middleware: secure headers, panics, body limit.
	{File: "middleware/secure.go", Old: "if i := strings.LastIndexByte(last, ','); i >= 0 {", New: "if i := strings.IndexByte(last, ','); i >= 0 {"},
	{File: "middleware/secure.go", Old: "last := vals[len(vals)-1]", New: "last := vals[0]"},
	{File: "middleware/recover.go", Old: "if v == http.ErrAbortHandler {", New: "if v == nil {"},
	{File: "middleware/limit.go", Old: "if limit >= 0 && r.ContentLength > limit {", New: "if limit >= 0 && r.ContentLength > 2*limit {"},
	{File: "middleware/limit.go", Old: "if b.max >= 0 && cur > own && cur+n > b.max {", New: "if b.max >= 0 && cur > own && cur > b.max {"},
	{File: "middleware/fault.go", Old: `case "prod", "production":`, New: `case "production":`},

	// session: cookie flags and rejection.
	{File: "session/session.go", Old: "\t\ts.modified = true\n\t\treturn s", New: "\t\treturn s"},
	{File: "session/session.go", Old: "HttpOnly: true,", New: "HttpOnly: false,"},
	{File: "session/session.go", Old: "if m.sameSite == 0 || m.sameSite == http.SameSiteDefaultMode {", New: "if m.sameSite == 0 {"},

	// health: liveness/readiness content negotiation.
	{File: "health/accept.go", Old: "if jsonQ <= 0 {", New: "if jsonQ < 0 {"},
	{File: "health/accept.go", Old: "return jsonQ > textQ", New: "return jsonQ >= textQ"},
	{File: "health/health.go", Old: "case len(name) > 63:", New: "case len(name) > 64:"},

	// serve: timeouts.
	{File: "serve/options.go", Old: "\tcase v < 0:\n\t\treturn 0", New: "\tcase v < 0:\n\t\treturn def"},
	{File: "serve/options.go", Old: "r.ReadHeaderTimeout = pickDuration(o.ReadHeaderTimeout, DefaultReadHeaderTimeout)", New: "r.ReadHeaderTimeout = pickDuration(o.ReadHeaderTimeout, 0)"},

	// listen: socket activation, privileged ports.
	{File: "listen/activation.go", Old: "if err != nil || pid <= 0 {", New: "if err != nil || pid < 0 {"},
	{File: "listen/activation.go", Old: "if n > maxListenFDs {", New: "if n > 2*maxListenFDs {"},
	{File: "listen/privileged.go", Old: "if port <= 0 || port >= unprivilegedStart || capable {", New: "if port <= 0 || port > unprivilegedStart || capable {"},

	// admin: proxy refusal.
	{File: "admin/admin.go", Old: `"Forwarded", "Via",`, New: `"Via",`},

	// config: secret redaction.
	{File: "config/redact.go", Old: "!f.secret && !v.IsZero() {", New: "!v.IsZero() {"},

	// internal/lint: cookie prefixes, HSTS bounds.
	{File: "internal/lint/cookies.go", Old: `if !ck.HasPath || ck.Path != "/" {`, New: `if ck.HasPath && ck.Path != "/" {`},
	{File: "internal/lint/hsts.go", Old: "h.MaxAge < hstsShort {", New: "h.MaxAge < hstsShort-1 {"},

	// the order domain of the reference service.
	{File: "examples/orders/order/order.go", Old: "if it.Quantity < 1 || it.Quantity > MaxQuantity {", New: "if it.Quantity < 0 || it.Quantity > MaxQuantity {"},
	{File: "examples/orders/order/order.go", Old: "case len(n.Items) > MaxItems:", New: "case len(n.Items) > MaxItems+1:"},
	{File: "examples/orders/order/order.go", Old: "if unicode.IsControl(r) {", New: "if r == 0 {"},
	{File: "examples/orders/order/order.go", Old: "if it.UnitPrice < 0 || it.UnitPrice > MaxUnitPrice {", New: "if it.UnitPrice < -1 || it.UnitPrice > MaxUnitPrice {"},
}
