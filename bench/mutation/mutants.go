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
	// negotiate: q-values, specificity, matching, Vary, HEAD.
	{File: "negotiate/choose.go", Old: "if score > bestScore {", New: "if score >= bestScore {"},
	{File: "negotiate/choose.go", Old: "q > bestQ {", New: "q >= bestQ {"},
	{File: "negotiate/choose.go", Old: `if r.Type != "*" && (r.Type != o.Type || (r.Subtype != "*" && r.Subtype != o.Subtype)) {`, New: `if r.Type != "*" && r.Type != o.Type {`},
	{File: "negotiate/accept.go", Old: "m.Q = float64(milli) / 1000", New: "m.Q = float64(milli) / 100"},
	{File: "negotiate/accept.go", Old: "if quoted || !valid {", New: "if !valid {"},
	{File: "negotiate/accept.go", Old: "if c < '0' || c > '9' || (whole == 1 && c != '0') {", New: "if c < '0' || c > '9' {"},
	{File: "negotiate/accept.go", Old: "case c == ',' && !inQuote:", New: "case c == ',':"},
	{File: "negotiate/render.go", Old: "if r.Method != http.MethodHead {", New: "if r.Method != http.MethodOptions {"},
	{File: "negotiate/versions.go", Old: "if len(seg) > 6 || seg[0] == '0' {", New: "if len(seg) > 6 {"},

	// problem: status mapping, defaults, what a client is told.
	{File: "problem/code.go", Old: "if status == StatusClientClosedRequest {", New: "if status != StatusClientClosedRequest {"},
	{File: "problem/code.go", Old: "\treturn http.StatusInternalServerError\n}", New: "\treturn http.StatusOK\n}"},
	{File: "problem/details.go", Old: `if typ == "" {`, New: `if typ != "" {`},
	{File: "problem/details.go", Old: "if d.Status < 100 || d.Status > 999 {", New: "if d.Status < 100 {"},
	{File: "problem/details.go", Old: "if r != nil && r.Method == http.MethodHead {", New: "if r == nil {"},
	{File: "problem/error.go", Old: "if e.Code == Internal || e.Code.Status() == http.StatusInternalServerError {", New: "if e.Code == Internal {"},
	{File: "problem/error.go", Old: "if errors.Is(err, context.Canceled) && r != nil && r.Context().Err() != nil {", New: "if errors.Is(err, context.Canceled) {"},
	{File: "problem/details.go", Old: "if !slices.Contains(standardMembers, name) {", New: "if name != \"status\" {"},

	// static: path cleaning, symlinks, dotfiles, fingerprints.
	{File: "static/path.go", Old: "case c < 0x20 || c == 0x7f:", New: "case c < 0x20:"},
	{File: "static/path.go", Old: "case c == ':':", New: "case c == ';':"},
	{File: "static/path.go", Old: "if len(p) > MaxPathLength {", New: "if len(p) > 2*MaxPathLength {"},
	{File: "static/path.go", Old: `if strings.HasPrefix(seg, ".") {`, New: `if strings.HasPrefix(seg, "..") {`},
	{File: "static/symlink.go", Old: "if hops++; hops > maxSymlinkHops {", New: "if hops++; hops > 100*maxSymlinkHops {"},
	{File: "static/symlink.go", Old: "if len(resolved) == 0 {\n\t\t\t\treturn \"\", errEscapes", New: "if len(resolved) == 0 {\n\t\t\t\tcontinue"},
	{File: "static/symlink.go", Old: `if target == "" || strings.HasPrefix(target, "/") ||`, New: `if target == "" ||`},
	{File: "static/static.go", Old: "if f.sum.hash != hash {", New: `if f.sum.hash == "" {`},
	{File: "static/static.go", Old: "if !s.allowDot && hasDotSegment(resolved) {", New: "if s.allowDot && hasDotSegment(resolved) {"},

	// middleware: secure headers, panics, body limit, trace ids, CORS.
	{File: "middleware/secure.go", Old: "if i := strings.LastIndexByte(last, ','); i >= 0 {", New: "if i := strings.IndexByte(last, ','); i >= 0 {"},
	{File: "middleware/secure.go", Old: "last := vals[len(vals)-1]", New: "last := vals[0]"},
	{File: "middleware/secure.go", Old: "if s.hsts != nil && s.isHTTPS(r) && !isLoopbackHost(r.Host) {", New: "if s.hsts != nil && !isLoopbackHost(r.Host) {"},
	{File: "middleware/secure.go", Old: `if !opts.Development && !hasDirective("upgrade-insecure-requests") {`, New: `if !hasDirective("upgrade-insecure-requests") {`},
	{File: "middleware/recover.go", Old: "if v == http.ErrAbortHandler {", New: "if v == nil {"},
	{File: "middleware/limit.go", Old: "if limit >= 0 && r.ContentLength > limit {", New: "if limit >= 0 && r.ContentLength > 2*limit {"},
	{File: "middleware/limit.go", Old: "if b.max >= 0 && cur > own && cur+n > b.max {", New: "if b.max >= 0 && cur > own && cur > b.max {"},
	{File: "middleware/fault.go", Old: `case "prod", "production":`, New: `case "production":`},
	{File: "middleware/traceid.go", Old: "if len(v) == 1 && ValidRequestID(v[0]) {", New: "if ValidRequestID(v[0]) {"},
	{File: "middleware/traceid.go", Old: "if len(s) == 0 || len(s) > MaxRequestIDLength {", New: "if len(s) == 0 || len(s) > 2*MaxRequestIDLength {"},
	{File: "middleware/cors.go", Old: `if n > 1 || !strings.HasPrefix(host, "*.") || len(host) < 3 {`, New: `if n > 1 || len(host) < 3 {`},
	{File: "middleware/cors.go", Old: "if opts.MaxAge < 0 || opts.MaxAge > 24*time.Hour {", New: "if opts.MaxAge < 0 || opts.MaxAge > 48*time.Hour {"},

	// session: cookie flags, profiles, rejection, expiry, key rotation.
	{File: "session/session.go", Old: "\t\ts.modified = true\n\t\treturn s", New: "\t\treturn s"},
	{File: "session/session.go", Old: "HttpOnly: true,", New: "HttpOnly: false,"},
	{File: "session/session.go", Old: "if m.sameSite == 0 || m.sameSite == http.SameSiteDefaultMode {", New: "if m.sameSite == 0 {"},
	{File: "session/session.go", Old: "case \"local\", \"dev\":\n\t\tm.secure = false\n\tcase \"\", \"staging\", \"prod\":", New: "case \"local\", \"dev\", \"\":\n\t\tm.secure = false\n\tcase \"staging\", \"prod\":"},
	{File: "session/session.go", Old: "if m.sameSite == http.SameSiteNoneMode && !m.secure {", New: "if m.sameSite == http.SameSiteStrictMode && !m.secure {"},
	{File: "session/session.go", Old: "s.modified = keyIndex > 0", New: "s.modified = keyIndex > 1"},
	{File: "session/session.go", Old: "if m.now().Unix() >= p.Expires {", New: "if m.now().Unix() > p.Expires {"},
	{File: "session/session.go", Old: "if m.maxAge > 400*24*time.Hour {", New: "if m.maxAge > 4000*24*time.Hour {"},

	// health: liveness/readiness content negotiation, names, failures.
	{File: "health/accept.go", Old: "if jsonQ <= 0 {", New: "if jsonQ < 0 {"},
	{File: "health/accept.go", Old: "return jsonQ > textQ", New: "return jsonQ >= textQ", Equivalent: "the line runs only when jsonQ != textQ, where > and >= agree"},
	{File: "health/accept.go", Old: "return jsonSpec == 2 && textSpec < 2", New: "return jsonSpec == 2"},
	{File: "health/accept.go", Old: "if err != nil || f < 0 || f > 1 || f != f {", New: "if err != nil || f != f {"},
	{File: "health/health.go", Old: "case len(name) > 63:", New: "case len(name) > 64:"},
	{File: "health/health.go", Old: "if err == nil && ctx.Err() != nil {", New: "if err == nil && ctx.Err() != nil && false {"},
	{File: "health/health.go", Old: "stale := !c.have || c.now().Sub(c.last.At) >= c.Interval", New: "stale := !c.have"},
	{File: "health/handler.go", Old: "if failed {\n\t\tstatus = http.StatusServiceUnavailable", New: "if false {\n\t\tstatus = http.StatusServiceUnavailable"},
	{File: "health/handler.go", Old: "\t\tif s.detailed {\n\t\t\tcj.Error = res.Err.Error()\n\t\t\treason", New: "\t\tif true {\n\t\t\tcj.Error = res.Err.Error()\n\t\t\treason"},

	// serve: timeouts, admin on loopback, header cap.
	{File: "serve/options.go", Old: "\tcase v < 0:\n\t\treturn 0", New: "\tcase v < 0:\n\t\treturn def"},
	{File: "serve/options.go", Old: "r.ReadHeaderTimeout = pickDuration(o.ReadHeaderTimeout, DefaultReadHeaderTimeout)", New: "r.ReadHeaderTimeout = pickDuration(o.ReadHeaderTimeout, 0)"},
	{File: "serve/options.go", Old: "if o.LameDuck < 0 {", New: "if o.LameDuck < -time.Second {"},
	{File: "serve/serve.go", Old: "if !ip.IsLoopback() {", New: "if ip.IsUnspecified() {"},
	{File: "serve/serve.go", Old: `case "":`, New: `case "0.0.0.0":`},
	{File: "serve/headers.go", Old: "return n, n > limit", New: "return n, n > 2*limit"},
	{File: "serve/headers.go", Old: "return 2 * limit", New: "return limit"},

	// listen: socket activation, privileged ports, port parsing, ranges.
	{File: "listen/activation.go", Old: "if err != nil || pid <= 0 {", New: "if err != nil || pid < 0 {"},
	{File: "listen/activation.go", Old: "if n > maxListenFDs {", New: "if n > 2*maxListenFDs {"},
	{File: "listen/activation.go", Old: "if self := os.Getpid(); pid != self {", New: "if self := os.Getpid(); pid == -self {"},
	{File: "listen/activation.go", Old: "if len(names) != n {", New: "if len(names) < n {"},
	{File: "listen/privileged.go", Old: "if port <= 0 || port >= unprivilegedStart || capable {", New: "if port <= 0 || port > unprivilegedStart || capable {"},
	{File: "listen/privileged.go", Old: "if port <= 0 || port < low || port > high {", New: "if port <= 0 || port < low || port >= high {"},
	{File: "listen/privileged.go", Old: "lo < 1 || hi > 65535 || lo > hi {", New: "lo < 1 || hi > 65535 {"},
	{File: "listen/ports.go", Old: "if n > 65535 || n < 0 || (n == 0 && !allowZero) || s[0] == '+' {", New: "if n > 65536 || n < 0 || (n == 0 && !allowZero) || s[0] == '+' {"},

	// admin: proxy refusal, loopback, DNS rebinding, secrets in cmdline and config.
	{File: "admin/admin.go", Old: `"Forwarded", "Via",`, New: `"Via",`},
	{File: "admin/admin.go", Old: `"X-Forwarded-For", "X-Forwarded-Host",`, New: `"X-Forwarded-Host",`},
	{File: "admin/admin.go", Old: "AnyIP: allowNonLoopback}", New: "AnyIP: true}"},
	{File: "admin/admin.go", Old: "if !ap.Addr().Unmap().IsLoopback() {", New: "if ap.Addr().Unmap().IsUnspecified() {"},
	{File: "admin/admin.go", Old: `strings.Join(config.RedactArgs(configStruct(cfg), args), "\x00")`, New: `strings.Join(args, "\x00")`},
	{File: "admin/admin.go", Old: "if rv.Kind() == reflect.Struct {\n\t\treturn config.Dump(v)", New: "if rv.Kind() == reflect.Map {\n\t\treturn config.Dump(v)"},
	{File: "admin/admin.go", Old: `w.Header().Set("Cache-Control", "no-store")`, New: `w.Header().Set("Cache-Control", "private")`},

	// config: secret redaction, profiles, runtime settings.
	{File: "config/redact.go", Old: "!f.secret && !v.IsZero() {", New: "!v.IsZero() {"},
	{File: "config/redact.go", Old: "\t\tcase f.secret:\n\t\t\tshown = Redacted", New: "\t\tcase f.secret && false:\n\t\t\tshown = Redacted"},
	{File: "config/args.go", Old: "redact := all || kind.secret", New: "redact := all && kind.secret"},
	{File: "config/args.go", Old: "case i+1 < len(out) && (kind.secret || !isFlag(out[i+1])):", New: "case i+1 < len(out) && !isFlag(out[i+1]):"},
	{File: "config/base.go", Old: `func (b Base) Dev() bool { return b.Profile == "local" || b.Profile == "dev" }`, New: `func (b Base) Dev() bool { return b.Profile != "prod" }`},
	{File: "config/base.go", Old: "if err != nil || n < 0 {", New: "if err != nil || n < -1 {"},
	{File: "config/base.go", Old: "if err != nil || x < 0 || math.IsInf(x, 0) || math.IsNaN(x) {", New: "if err != nil || math.IsInf(x, 0) || math.IsNaN(x) {"},

	// internal/lint: cookie prefixes and flags, HSTS bounds, framing, CORS.
	{File: "internal/lint/cookies.go", Old: `if !ck.HasPath || ck.Path != "/" {`, New: `if ck.HasPath && ck.Path != "/" {`},
	{File: "internal/lint/cookies.go", Old: `if ck.HasSameSite && strings.EqualFold(ck.SameSite, "none") && !ck.Secure {`, New: `if ck.HasSameSite && ck.SameSite == "None" && !ck.Secure {`},
	{File: "internal/lint/cookies.go", Old: "if n := len(ck.Name) + len(ck.Value); n > 4096 {", New: "if n := len(ck.Name) + len(ck.Value); n > 8192 {"},
	{File: "internal/lint/cookies.go", Old: "if sessionLike(ck.Name) && !ck.HTTPOnly && !ck.deletes(c.now()) {", New: "if sessionLike(ck.Name) && !ck.HTTPOnly && ck.deletes(c.now()) {"},
	{File: "internal/lint/hsts.go", Old: "h.MaxAge < hstsShort {", New: "h.MaxAge < hstsShort-1 {"},
	{File: "internal/lint/framing.go", Old: "if len(r.ContentLengths) < 2 {", New: "if len(r.ContentLengths) < 3 {"},
	{File: "internal/lint/framing.go", Old: "if strings.ToLower(f.Name) != f.Name {", New: "if strings.ToUpper(f.Name) == f.Name {"},
	{File: "internal/lint/cors.go", Old: `if ok && acao == "*" && strings.EqualFold(acac, "true") {`, New: `if ok && acao == "*" && acac == "True" {`},

	// the order domain of the reference service.
	{File: "examples/orders/order/order.go", Old: "if it.Quantity < 1 || it.Quantity > MaxQuantity {", New: "if it.Quantity < 0 || it.Quantity > MaxQuantity {"},
	{File: "examples/orders/order/order.go", Old: "case len(n.Items) > MaxItems:", New: "case len(n.Items) > MaxItems+1:"},
	{File: "examples/orders/order/order.go", Old: "if unicode.IsControl(r) {", New: "if unicode.IsControl(r) && r < 0x80 {"},
	{File: "examples/orders/order/order.go", Old: "if it.UnitPrice < 0 || it.UnitPrice > MaxUnitPrice {", New: "if it.UnitPrice < -1 || it.UnitPrice > MaxUnitPrice {"},
	{File: "examples/orders/order/order.go", Old: "Shipped: {Delivered},", New: "Shipped: {Delivered, Cancelled},"},
	{File: "examples/orders/order/order.go", Old: "Created: {Paid, Cancelled},", New: "Created: {Paid, Shipped, Cancelled},"},
	{File: "examples/orders/order/order.go", Old: "} else if !contains(Currencies, n.Currency) {", New: "} else if n.Currency == \"\" {"},
	{File: "examples/orders/order/order.go", Old: "} else if it.SKU == \"\" || len(it.SKU) > 64 {", New: "} else if it.SKU == \"\" || len(it.SKU) > 128 {"},

	// internal/verify: the judgement (score, exit code, selection, lifecycle verdicts).
	{File: "internal/verify/report.go", Old: "r.Score = (200*r.Summary.Pass + 100*r.Summary.Warn) / (2 * ran)", New: "r.Score = (200*r.Summary.Pass + 200*r.Summary.Warn) / (2 * ran)"},
	{File: "internal/verify/report.go", Old: "if r.Summary.Fail > 0 {", New: "if r.Summary.Fail > 1 {"},
	{File: "internal/verify/check.go", Old: "if len(s.Only) > 0 && !match(s.Only) {", New: "if len(s.Only) > 1 && !match(s.Only) {"},
	{File: "internal/verify/check.go", Old: "return !match(s.Skip)", New: "return true"},
	{File: "internal/verify/checks_lifecycle.go", Old: "case s.load.failed > 0:", New: "case s.load.failed > 1:"},
	{File: "internal/verify/checks_lifecycle.go", Old: "case s.load.ok == 0:", New: "case s.load.ok < 0:"},
	{File: "internal/verify/checks_lifecycle.go", Old: "if s.exitCode != 0 {", New: "if s.exitCode > 0 {"},
	{File: "internal/verify/checks_lifecycle.go", Old: "case s.first503 < 0:", New: "case s.first503 < -1:"},

	// internal/release: what Verify accepts as signed and attested.
	{File: "internal/release/verify.go", Old: "if stmts[w] == nil {", New: "if stmts[w] == nil && w == \"\" {"},
	{File: "internal/release/verify.go", Old: "if ss.Critical.Image.DockerManifestDigest != digest.String() {", New: "if ss.Critical.Image.DockerManifestDigest == \"\" {"},
	{File: "internal/release/verify.go", Old: "err != nil || ss.Critical.Type != simpleSigningType {", New: "err != nil {"},
	{File: "internal/release/verify.go", Old: "return s.Digest[digest.Algorithm] == digest.Hex", New: "return s.Digest[digest.Algorithm] != \"\""},
	{File: "internal/release/verify.go", Old: "if e.PayloadType != InTotoPayloadType {", New: "if e.PayloadType == \"\" {"},
	{File: "internal/release/verify.go", Old: "bytes.NewReader(p)); err != nil {", New: "bytes.NewReader(p)); err != nil && len(sig) == 0 {"},
	{File: "internal/release/verify.go", Old: "\timg, err := desc.Image()\n\tif err == nil {\n\t\terr = validate.Image(img)", New: "\timg, err := desc.Image()\n\tif err == nil {\n\t\t_ = img"},
	{File: "internal/release/source.go", Old: "if src.Dirty && !allowDirty {", New: "if src.Dirty && allowDirty {"},
}

// testArgs narrows the tests run for a package when its full suite would
// make one mutant cost minutes. internal/verify's audits start real
// services (minutes per run); its judgement mutants are checked by the
// unit tests, which feed the checks recorded measurements.
// internal/release's image tests build and run the orders service in
// Docker (five minutes); its Verify mutants are checked by the tests that
// push a signed release to an in-process registry and tamper with it or
// forge its signatures. A
// mutant only the skipped tests would catch shows as survived: the figure
// is a floor.
var testArgs = map[string][]string{
	"internal/release": {"-run", "^(TestPushAndVerify|TestVerifyRejectsTampering|TestVerifyRejectsForgeries|TestBadInput|TestKeyFiles|FuzzDecodeStatement|FuzzLoadPrivateKey)$"},
	"internal/verify":  {"-skip", "^(TestGoodServicePassesEverything|TestNamedBadServices|TestEveryCheckFailsWhenBroken|TestBuildSettingsPassFromAdmin|TestURLModeReportsProcessChecksNotRun)$"},
}
