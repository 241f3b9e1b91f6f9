package lint

// catalog is the rule registry, in the order of the catalog document. It is
// a constant-like table: Run reads it, nothing writes it.
var catalog = []Rule{
	// Framing and header syntax.
	{ID: "hdr-ws-before-colon", Family: "framing", Severity: Error, Reference: "RFC 9112 §5.1", Summary: "whitespace between field name and colon", needs: needRaw, check: checkWSBeforeColon},
	{ID: "hdr-obs-fold", Family: "framing", Severity: Warn, Reference: "RFC 9112 §5.2", Summary: "folded continuation lines", needs: needRaw, check: checkObsFold},
	{ID: "hdr-bare-lf-cr", Family: "framing", Severity: Warn, Reference: "RFC 9112 §2.2", Summary: "bare LF or CR line endings", needs: needRaw, check: checkBareLFCR},
	{ID: "hdr-bad-name", Family: "framing", Severity: Error, Reference: "RFC 9110 §5.1, §5.6.2", Summary: "non-token bytes in a field name", needs: needRaw, check: checkBadName},
	{ID: "hdr-ctl-value", Family: "framing", Severity: Error, Reference: "RFC 9110 §5.5", Summary: "control bytes in a field value", needs: needRaw, check: checkCtlValue},
	{ID: "cl-conflict", Family: "framing", Severity: Error, Reference: "RFC 9112 §6.3; Chromium ERR_RESPONSE_HEADERS_MULTIPLE_CONTENT_LENGTH", Summary: "Content-Length values that differ", needs: needRaw, check: checkCLConflict},
	{ID: "te-and-cl", Family: "framing", Severity: Error, Reference: "RFC 9112 §6.1 (smuggling)", Summary: "Transfer-Encoding and Content-Length both present", needs: needRaw, check: checkTEAndCL},
	{ID: "cl-mismatch", Family: "framing", Severity: Error, Reference: "RFC 9112 §6.3; Chromium ERR_CONTENT_LENGTH_MISMATCH", Summary: "Content-Length differs from the bytes received", needs: needRaw, check: checkCLMismatch},
	{ID: "location-multi", Family: "framing", Severity: Error, Reference: "Chromium ERR_RESPONSE_HEADERS_MULTIPLE_LOCATION", Summary: "Location repeated with different values", check: checkLocationMulti},
	{ID: "cdisp-multi", Family: "framing", Severity: Error, Reference: "Chromium ERR_RESPONSE_HEADERS_MULTIPLE_CONTENT_DISPOSITION", Summary: "Content-Disposition repeated with different values", check: checkCDispMulti},
	{ID: "singleton-dup", Family: "framing", Severity: Warn, Reference: "RFC 9110 §5.3; WPT fetch/content-type", Summary: "a single-value field repeated", check: checkSingletonDup},
	{ID: "h2-uppercase", Family: "framing", Severity: Error, Reference: "RFC 9113 §8.2.1", Summary: "upper-case field name over HTTP/2", needs: needH2, check: checkH2Uppercase},
	{ID: "h2-conn-specific", Family: "framing", Severity: Error, Reference: "RFC 9113 §8.2.2", Summary: "connection-specific field over HTTP/2", needs: needH2, check: checkH2ConnSpecific},
	{ID: "ce-corrupt", Family: "framing", Severity: Error, Reference: "RFC 9110 §8.4", Summary: "declared Content-Encoding does not decode", check: checkCECorrupt},

	// Content type and sniffing.
	{ID: "ct-missing", Family: "content-type", Severity: Warn, Reference: "RFC 9110 §8.3", Summary: "body without Content-Type", check: checkCTMissing},
	{ID: "ct-param-ws-eq", Family: "content-type", Severity: Error, Reference: "WHATWG MIME Sniffing, parse a MIME type", Summary: "whitespace around = in a parameter", check: checkCTParamWSEq},
	{ID: "ct-ws-before-semi", Family: "content-type", Severity: Info, Reference: "RFC 9110 §8.3.1", Summary: "whitespace before ; (valid)", check: checkCTWSBeforeSemi},
	{ID: "ct-no-charset", Family: "content-type", Severity: Info, Reference: "HTML encoding sniffing", Summary: "text without charset", check: checkCTNoCharset},
	{ID: "xcto", Family: "content-type", Severity: Warn, Reference: "Fetch, determine nosniff", Summary: "X-Content-Type-Options missing or not nosniff", check: checkXCTO},
	{ID: "nosniff-block", Family: "content-type", Severity: Error, Reference: "Fetch, should response be blocked due to nosniff", Summary: "script or stylesheet blocked under nosniff", check: checkNosniffBlock},

	// CORS.
	{ID: "cors-star-cred", Family: "cors", Severity: Error, Reference: "Fetch, CORS check", Summary: "ACAO * with credentials", check: checkCORSStarCred},
	{ID: "cors-reflect", Family: "cors", Severity: Error, Reference: "Fetch, CORS protocol and credentials", Summary: "attacker Origin echoed with credentials", needs: needAttacker, check: checkCORSReflect},
	{ID: "cors-null", Family: "cors", Severity: Error, Reference: "Fetch", Summary: "ACAO null", check: checkCORSNull},
	{ID: "cors-acao-list", Family: "cors", Severity: Error, Reference: "Fetch (byte-exact match)", Summary: "ACAO not a single serialized origin", check: checkCORSACAOList},
	{ID: "cors-acac-value", Family: "cors", Severity: Error, Reference: "Fetch", Summary: "Allow-Credentials other than true", check: checkCORSACACValue},
	{ID: "cors-vary-origin", Family: "cors", Severity: Warn, Reference: "Fetch, CORS protocol and HTTP caches", Summary: "request-dependent ACAO without Vary: Origin", check: checkCORSVaryOrigin},
	{ID: "cors-preflight", Family: "cors", Severity: Error, Reference: "Fetch, CORS-preflight fetch", Summary: "preflight refused or incomplete", needs: needPreflight, check: checkCORSPreflight},
	{ID: "cors-wildcard-cred", Family: "cors", Severity: Warn, Reference: "Fetch", Summary: "* in Allow-Methods/Headers/Expose-Headers under credentials", check: checkCORSWildcardCred},
	{ID: "cors-max-age", Family: "cors", Severity: Info, Reference: "MDN", Summary: "Max-Age above engine caps", check: checkCORSMaxAge},

	// Cookies.
	{ID: "ck-none-insecure", Family: "cookies", Severity: Error, Reference: "RFC 6265bis; Chromium SameSite rules", Summary: "SameSite=None without Secure", check: cookieCheck(ckNoneInsecure)},
	{ID: "ck-samesite-bad", Family: "cookies", Severity: Warn, Reference: "RFC 6265bis", Summary: "unknown SameSite value", check: cookieCheck(ckSameSiteBad)},
	{ID: "ck-default-lax", Family: "cookies", Severity: Info, Reference: "Chromium", Summary: "no SameSite (treated as Lax)", check: cookieCheck(ckDefaultLax)},
	{ID: "ck-no-secure", Family: "cookies", Severity: Warn, Reference: "Observatory cookies", Summary: "no Secure over HTTPS", needs: needHTTPS, check: cookieCheck(ckNoSecure)},
	{ID: "ck-session-httponly", Family: "cookies", Severity: Error, Reference: "Observatory cookies", Summary: "session cookie without HttpOnly", check: cookieCheck(ckSessionHTTPOnly)},
	{ID: "ck-prefix-secure", Family: "cookies", Severity: Error, Reference: "RFC 6265bis §4.1.3", Summary: "__Secure- without Secure", check: cookieCheck(ckPrefixSecure)},
	{ID: "ck-prefix-host", Family: "cookies", Severity: Error, Reference: "RFC 6265bis §4.1.3", Summary: "__Host- rules broken", check: cookieCheck(ckPrefixHost)},
	{ID: "ck-size", Family: "cookies", Severity: Error, Reference: "RFC 6265bis", Summary: "name+value over 4096 bytes", check: cookieCheck(ckSize)},
	{ID: "ck-400d", Family: "cookies", Severity: Info, Reference: "RFC 6265bis", Summary: "lifetime over 400 days", check: cookieCheck(ck400d)},
	{ID: "ck-partitioned", Family: "cookies", Severity: Warn, Reference: "CHIPS", Summary: "Partitioned without Secure", check: cookieCheck(ckPartitioned)},
	{ID: "ck-cacheable", Family: "cookies", Severity: Warn, Reference: "RFC 9111 §7.3", Summary: "Set-Cookie on a publicly cacheable response", check: checkCookieCacheable},

	// Transport security and framing of pages.
	{ID: "hsts-http", Family: "hsts", Severity: Warn, Reference: "RFC 6797 §7.2, §8.1", Summary: "HSTS over plain HTTP", check: checkHSTSHTTP},
	{ID: "hsts-invalid", Family: "hsts", Severity: Error, Reference: "RFC 6797 §6.1", Summary: "HSTS header ignored for bad syntax", needs: needHTTPS, check: checkHSTSInvalid},
	{ID: "hsts-multi", Family: "hsts", Severity: Warn, Reference: "RFC 6797 §8.1", Summary: "several HSTS fields", needs: needHTTPS, check: checkHSTSMulti},
	{ID: "hsts-short", Family: "hsts", Severity: Warn, Reference: "Observatory", Summary: "max-age below 15552000", needs: needHTTPS, check: checkHSTSShort},
	{ID: "hsts-missing", Family: "hsts", Severity: Warn, Reference: "Observatory", Summary: "no HSTS over HTTPS", needs: needHTTPS, check: checkHSTSMissing},
	{ID: "hsts-preload", Family: "hsts", Severity: Warn, Reference: "hstspreload.org", Summary: "preload without its requirements", needs: needHTTPS, check: checkHSTSPreload},
	{ID: "redirect-https", Family: "hsts", Severity: Warn, Reference: "Observatory redirection", Summary: "plain HTTP does not redirect to HTTPS on the same host", check: checkRedirectHTTPS},
	{ID: "xfo-allow-from", Family: "headers", Severity: Error, Reference: "MDN", Summary: "X-Frame-Options ALLOW-FROM", check: checkXFOAllowFrom},
	{ID: "xfo-conflict", Family: "headers", Severity: Warn, Reference: "HTML standard", Summary: "several X-Frame-Options values", check: checkXFOConflict},
	{ID: "csp-missing", Family: "csp", Severity: Warn, Reference: "Observatory", Summary: "no enforced CSP", check: checkCSPMissing},
	{ID: "csp-ro-only", Family: "csp", Severity: Warn, Reference: "Observatory", Summary: "only Content-Security-Policy-Report-Only", check: checkCSPReportOnly},
	{ID: "csp-unsafe", Family: "csp", Severity: Warn, Reference: "CSP3; Observatory", Summary: "unsafe script or object sources", check: checkCSPUnsafe},
	{ID: "csp-comma", Family: "csp", Severity: Warn, Reference: "CSP3", Summary: "comma splits the header into several policies", check: checkCSPComma},
	{ID: "csp-meta-ignored", Family: "csp", Severity: Warn, Reference: "CSP3", Summary: "directive ignored in a meta tag", check: checkCSPMetaIgnored},
	{ID: "rp-unsafe", Family: "headers", Severity: Warn, Reference: "Referrer Policy", Summary: "Referrer-Policy leaks", check: checkReferrerPolicy},
	{ID: "pp-legacy", Family: "headers", Severity: Error, Reference: "Permissions Policy", Summary: "Feature-Policy syntax in Permissions-Policy", check: checkPermissionsPolicy},
	{ID: "coop-invalid", Family: "headers", Severity: Warn, Reference: "HTML standard", Summary: "unknown Cross-Origin-Opener-Policy", check: checkCOOP},
	{ID: "coep-invalid", Family: "headers", Severity: Warn, Reference: "HTML standard", Summary: "unknown Cross-Origin-Embedder-Policy", check: checkCOEP},
	{ID: "corp-invalid", Family: "headers", Severity: Warn, Reference: "Fetch", Summary: "unknown Cross-Origin-Resource-Policy", check: checkCORP},
	{ID: "info-leak", Family: "headers", Severity: Info, Reference: "OWASP Secure Headers", Summary: "Server version, X-Powered-By and similar", check: checkInfoLeak},

	// Caching and negotiation.
	{ID: "vary-conneg", Family: "cache", Severity: Warn, Reference: "RFC 9110 §12.5.5", Summary: "negotiated response without Vary", check: checkVaryConneg},
	{ID: "vary-star", Family: "cache", Severity: Info, Reference: "RFC 9110 §12.5.5", Summary: "Vary: *", check: checkVaryStar},
	{ID: "vary-ua", Family: "cache", Severity: Warn, Reference: "RFC 9110", Summary: "Vary: User-Agent", check: checkVaryUA},
	{ID: "cc-conflict", Family: "cache", Severity: Warn, Reference: "RFC 9111 §5.2.2", Summary: "contradictory Cache-Control", check: checkCCConflict},
	{ID: "expires-bad", Family: "cache", Severity: Warn, Reference: "RFC 9111 §5.3", Summary: "invalid Expires", check: checkExpires},
	{ID: "etag-unquoted", Family: "cache", Severity: Warn, Reference: "RFC 9110 §8.8.3", Summary: "ETag not quoted", check: checkETag},
	{ID: "date-skew", Family: "cache", Severity: Info, Reference: "RFC 9110 §6.6.1", Summary: "Date far from the local clock", check: checkDateSkew},
}
