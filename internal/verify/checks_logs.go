package verify

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

var _ = register(
	Check{
		ID: "logs.json", Area: Logs, Required: true, needs: needProcess,
		Why:       "log pipelines parse one JSON object per line; a plain-text line is lost or mangled",
		Fix:       "log with log/slog's JSON handler (middleware.NewJSONHandler) and print nothing else on stdout or stderr",
		Reference: "The Twelve-Factor App, XI. Logs; log/slog JSONHandler",
		run:       checkLogsJSON,
	},
	Check{
		ID: "logs.fields", Area: Logs, Required: true, needs: needProcess,
		Why:       "without time, level and msg a log line cannot be ordered, filtered or alerted on",
		Fix:       "use slog's JSON handler, which writes time, level and msg on every record",
		Reference: "log/slog: JSONHandler output keys (slog.TimeKey, LevelKey, MessageKey)",
		run:       checkLogFields,
	},
	Check{
		ID: "logs.trace-id", Area: Logs, Required: true, needs: needProcess,
		Why:       "a request's log line without the caller's trace id cannot be joined to its trace across services",
		Fix:       "read traceparent and log its trace id on the request line (middleware.TraceID before AccessLog)",
		Reference: "W3C Trace Context, §3.2 traceparent",
		run:       checkTraceID,
	},
	Check{
		ID: "logs.requests", Area: Logs, Required: false, needs: needProcess,
		Why:       "without an access log an incident cannot say which requests failed or how slowly",
		Fix:       "log one line per request (middleware.AccessLog) with method, route, status and duration",
		Reference: "Google SRE book, ch. 6 Monitoring Distributed Systems",
		run:       checkRequestLogged,
	},
	Check{
		ID: "logs.no-debug-in-prod", Area: Logs, Required: false, needs: needProcess,
		Why:       "debug logging in production costs CPU and disk and tends to print request bodies and secrets",
		Fix:       "default the log level to info outside local and dev (config.Base does)",
		Reference: "golocal config package: log_level per profile",
		run:       checkNoDebug,
	},
	Check{
		ID: "logs.no-secret-in-logs", Area: Logs, Required: true, needs: needProcess,
		Why:       "logs are read by many people and kept for long; a secret in them is a leaked secret",
		Fix:       "tag secret fields secret:\"true\" (config.Dump redacts them) and never log the environment or raw configuration",
		Reference: "OWASP Logging Cheat Sheet (data to exclude); CWE-532",
		run:       checkSecretInLogs,
	},
	Check{
		ID: "logs.no-secret-in-responses", Area: Logs, Required: true, needs: needProcess,
		Why:       "a secret echoed in a page or an error body is public",
		Fix:       "never render configuration or environment into responses; problem details carry no internals",
		Reference: "OWASP Top 10 A05 Security Misconfiguration; CWE-200",
		run:       checkSecretInResponses,
	},
	Check{
		ID: "logs.no-secret-in-debug", Area: Logs, Required: true, needs: needProcess,
		Why:       "debug endpoints (/debug/config, pprof's cmdline, expvar) show configuration and arguments to whoever reaches them",
		Fix:       "serve debug endpoints on the admin listener only and redact secrets there (admin.Options.Config goes through config.Dump)",
		Reference: "net/http/pprof and expvar documentation; CWE-215",
		run:       checkSecretInDebug,
	},
	Check{
		ID: "logs.no-secret-in-metrics", Area: Logs, Required: true, needs: needProcess | needAdmin,
		Why:       "metrics are scraped into shared systems; a secret in a label value is copied everywhere",
		Fix:       "never put configuration values in labels (build_info carries version and revision only)",
		Reference: "Prometheus: instrumentation best practices (labels)",
		run:       checkSecretInMetrics,
	},
)

// jsonLines parses the output lines that are JSON objects; the rest are
// returned as text.
func jsonLines(ls []Line) (recs []map[string]any, plain []Line) {
	for _, l := range ls {
		if strings.TrimSpace(l.Text) == "" {
			continue
		}
		var rec map[string]any
		if err := json.Unmarshal([]byte(l.Text), &rec); err != nil {
			plain = append(plain, l)
			continue
		}
		recs = append(recs, rec)
	}
	return recs, plain
}

// settleLogs gives the service a moment to write what verify's requests
// caused (access logs are written after the response).
func (a *Audit) settleLogs() []Line {
	time.Sleep(300 * time.Millisecond)
	return a.proc.out.Lines()
}

func quoteLines(ls []Line, n int) string {
	var b strings.Builder
	for i, l := range ls {
		if i == n {
			fmt.Fprintf(&b, "\n  … and %d more", len(ls)-n)
			break
		}
		fmt.Fprintf(&b, "\n  %s: %s", l.Stream, truncate(l.Text, 200))
	}
	return b.String()
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

func checkLogsJSON(a *Audit) Result {
	// Make sure there is something to read: a request is logged by most services.
	a.do(http.MethodGet, "/", nil, nil)
	ls := a.settleLogs()
	recs, plain := jsonLines(ls)
	if len(plain) > 0 {
		return fail("%d of %d lines are not JSON objects:%s", len(plain), len(plain)+len(recs), quoteLines(plain, 5))
	}
	if len(recs) == 0 {
		return fail("the service wrote nothing on stdout or stderr while starting and serving requests")
	}
	return pass("all %d lines are JSON objects", len(recs))
}

func checkLogFields(a *Audit) Result {
	recs, _ := jsonLines(a.settleLogs())
	if len(recs) == 0 {
		return fail("no JSON log line to read (see logs.json)")
	}
	for _, rec := range recs {
		var missing []string
		for _, k := range []string{"time", "level", "msg"} {
			if _, ok := rec[k]; !ok {
				missing = append(missing, k)
			}
		}
		if len(missing) > 0 {
			b, _ := json.Marshal(rec)
			return fail("a line lacks %s: %s", strings.Join(missing, ", "), truncate(string(b), 300))
		}
	}
	return pass("all %d JSON lines have time, level and msg", len(recs))
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func checkTraceID(a *Audit) Result {
	trace := randomHex(16)
	tp := "00-" + trace + "-" + randomHex(8) + "-01"
	if _, err := a.do(http.MethodGet, "/", hdr("traceparent", tp), nil); err != nil {
		return fail("GET / with traceparent failed: %v", err)
	}
	for _, l := range a.settleLogs() {
		if strings.Contains(l.Text, trace) {
			return pass("sent traceparent %s; logged: %s", tp, truncate(l.Text, 300))
		}
	}
	return fail("sent GET / with traceparent %s; no log line carries trace id %s", tp, trace)
}

func checkRequestLogged(a *Audit) Result {
	path := "/verify-" + randomHex(6)
	if _, err := a.do(http.MethodGet, path, nil, nil); err != nil {
		return fail("GET %s failed: %v", path, err)
	}
	for _, l := range a.settleLogs() {
		if strings.Contains(l.Text, path) {
			return pass("GET %s was logged: %s", path, truncate(l.Text, 300))
		}
	}
	return fail("GET %s left no log line naming the path", path)
}

func checkNoDebug(a *Audit) Result {
	if a.opts.Profile != "prod" && a.opts.Profile != "staging" {
		return notRun("only meaningful in the prod and staging profiles (this run: %s)", a.opts.Profile)
	}
	recs, _ := jsonLines(a.settleLogs())
	for _, rec := range recs {
		if lv, _ := rec["level"].(string); strings.EqualFold(lv, "debug") {
			b, _ := json.Marshal(rec)
			return fail("a DEBUG line in the %s profile: %s", a.opts.Profile, truncate(string(b), 300))
		}
	}
	return pass("no DEBUG line among %d", len(recs))
}

// secretForms are the ways a secret value can show in text: as is, JSON-
// escaped, URL-encoded.
func secretForms(s string) []string {
	j, _ := json.Marshal(s)
	return []string{s, strings.Trim(string(j), `"`), url.QueryEscape(s), url.PathEscape(s)}
}

// findSecret returns a description of the first secret found in text.
func (a *Audit) findSecret(text string) string {
	for _, s := range a.secrets {
		for _, f := range secretForms(s) {
			if i := strings.Index(text, f); i >= 0 {
				from := max(0, i-60)
				return fmt.Sprintf("…%s[SECRET]%s…", text[from:i], text[i+len(f):min(len(text), i+len(f)+40)])
			}
		}
	}
	return ""
}

func checkSecretInLogs(a *Audit) Result {
	ls := a.settleLogs()
	for _, l := range ls {
		if where := a.findSecret(l.Text); where != "" {
			return fail("a planted secret is in the %s log: %s", l.Stream, truncate(where, 300))
		}
	}
	return pass("none of %d planted or given secrets in %d log lines", len(a.secrets), len(ls))
}

// leakIn fetches each path (public or admin) and reports the first secret found.
func (a *Audit) leakIn(base string, paths []string) (string, int) {
	n := 0
	for _, p := range paths {
		r, err := a.doURL(http.MethodGet, base+p, nil, nil)
		if err != nil {
			continue
		}
		n++
		var text strings.Builder
		for k, vs := range r.header {
			text.WriteString(k + ": " + strings.Join(vs, ", ") + "\n")
		}
		text.Write(r.body)
		if where := a.findSecret(text.String()); where != "" {
			return fmt.Sprintf("GET %s%s shows a secret: %s", base, p, truncate(where, 300)), n
		}
	}
	return "", n
}

func checkSecretInResponses(a *Audit) Result {
	paths := append([]string{"/", "/verify-" + randomHex(4)}, a.routes()...)
	if where, n := a.leakIn(a.base.String(), paths); where != "" {
		return fail("%s", where)
	} else {
		return pass("no secret in %d responses (%s)", n, strings.Join(paths, " "))
	}
}

var debugPaths = []string{"/debug/pprof/cmdline", "/debug/config", "/debug/vars", "/debug/buildinfo", "/debug/env", "/env", "/config"}

func checkSecretInDebug(a *Audit) Result {
	if where, _ := a.leakIn(a.base.String(), debugPaths); where != "" {
		return fail("%s", where)
	}
	if a.admin == nil {
		return pass("no secret in the public %s", strings.Join(debugPaths, " "))
	}
	if where, _ := a.leakIn(a.admin.String(), append([]string{"/"}, debugPaths...)); where != "" {
		return fail("%s", where)
	}
	return pass("no secret in %s on the public and the admin listener", strings.Join(debugPaths, " "))
}

func checkSecretInMetrics(a *Audit) Result {
	if where, _ := a.leakIn(a.admin.String(), []string{"/metrics"}); where != "" {
		return fail("%s", where)
	}
	if where, _ := a.leakIn(a.base.String(), []string{"/metrics"}); where != "" {
		return fail("%s", where)
	}
	return pass("no secret in /metrics")
}
