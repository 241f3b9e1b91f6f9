package cli

import (
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/golocal/golocal/internal/lint"
	"github.com/golocal/golocal/internal/probe"
	"github.com/golocal/golocal/internal/term"
)

const probeLong = `Request URL once (or -n times) with a fresh connection and report every phase
in curl's -w terms (namelookup, connect, appconnect, pretransfer, posttransfer,
starttransfer, total; cumulative from the start), the connection (addresses,
protocol, ALPN, TLS version, cipher, certificate chain), the true sizes (no
transparent decompression), and lint the response against a catalog of what
browsers reject and what is insecure, with an HTTP Observatory-style grade.

For HTTP/1.x the bytes are captured as they came off the wire and parsed by a
lenient parser, so framing problems that Go's client hides or refuses are
reported; a response Go's client refuses is a finding, not a crash. Over
HTTP/2 one more, untimed request reads the response head with field names as
sent (Go's client refuses upper-case names and canonicalises the rest).

Active checks: --origin sends a CORS preflight, a credentialed request and one
from an unlisted attacker origin; by default the Accept, Accept-Encoding and
Accept-Language headers are varied once each (--conneg=false turns it off), and
for an https URL on port 443 the http:// URL is asked (--plain-http=false).

Output: a human view (colour only on a terminal, never with NO_COLOR), --json
(schema in docs/probe-json.md, with schema_version) or --format junit.

Exit status: 0 ok; 1 a finding at or above --fail-on (error by default), a
response Go's client refused, or an --slo breach; 2 usage error; 3 the request
itself failed (DNS, refused, TLS, timeout, oversized head or body) or the
URL cannot be probed (unsupported scheme, no host).`

type probeFlags struct {
	method     string
	headers    []string
	data       string
	http11     bool
	http2      bool
	insecure   bool
	cacert     string
	resolve    []string
	connectTo  []string
	ipv4, ipv6 bool
	timeout    string
	location   bool
	maxRedirs  int
	runs       int
	origin     string
	conneg     bool
	plainHTTP  bool
	asJSON     bool
	format     string
	failOn     string
	slo        string
	maxBody    int64
}

func newProbeCmd(env *Env) *cobra.Command {
	var f probeFlags
	cmd := &cobra.Command{
		Use:   "probe URL",
		Short: "Curl-grade timings plus a linter of what browsers reject",
		Long:  probeLong,
		Example: `  golocal probe localhost:8080
  golocal probe https://example.test/ -L -n 20 --slo total=300ms,ttfb=100ms
  golocal probe https://api.example.test/v1 --origin https://app.example.test -H "Authorization: Bearer x"
  golocal probe https://example.test/ --resolve example.test:443:127.0.0.1 --json`,
		Args: func(cmd *cobra.Command, args []string) error {
			switch {
			case len(args) == 0:
				return usageErrorf("probe needs a URL, e.g. golocal probe http://127.0.0.1:8080/ (see golocal probe --help)")
			case len(args) > 1:
				return usageErrorf("probe takes one URL, got %d arguments %q; quote a URL that holds & or ? so the shell leaves it whole", len(args), args)
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, format, err := f.config(cmd, args[0])
			if err != nil {
				return err
			}
			var rep *probe.Report
			if cfg.urlErr != nil {
				// An unusable URL is a request that cannot be made: exit 3
				// with the report (so --json and junit consumers see it).
				rep = probe.URLErrorReport(args[0], cfg.urlErr, cfg.FailOn)
			} else {
				rep = probe.Probe(cmd.Context(), cfg.url, cfg.Config)
			}
			switch format {
			case "json":
				enc := json.NewEncoder(env.Stdout)
				enc.SetIndent("", "  ")
				err = enc.Encode(rep)
			case "junit":
				err = probe.WriteJUnit(env.Stdout, rep, cfg.FailOn)
			default:
				err = probe.WriteText(env.Stdout, rep, term.Palette{Enabled: env.Color})
			}
			if err != nil {
				return fmt.Errorf("writing the report: %w", err)
			}
			switch rep.ExitCode {
			case probe.ExitRequestFailed:
				return withCode(ExitRequestFailed, errors.New(rep.Error.Message))
			case probe.ExitFailure:
				return failure()
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.method, "request", "X", "", "request method (default GET, or POST with -d)")
	fl.StringArrayVarP(&f.headers, "header", "H", nil, `request header "Name: value" (repeatable)`)
	fl.StringVarP(&f.data, "data", "d", "", "request body; @FILE reads it from a file")
	fl.BoolVar(&f.http11, "http1.1", false, "use HTTP/1.1 only")
	fl.BoolVar(&f.http2, "http2", false, "offer HTTP/2 (over TLS via ALPN; over http:// with prior knowledge)")
	fl.BoolVarP(&f.insecure, "insecure", "k", false, "do not verify the certificate (it is still reported)")
	fl.StringVar(&f.cacert, "cacert", "", "trust the CA certificates in this PEM file instead of the system roots")
	fl.StringArrayVar(&f.resolve, "resolve", nil, "host:port:addr[,addr] — connect there without DNS (repeatable)")
	fl.StringArrayVar(&f.connectTo, "connect-to", nil, "HOST1:PORT1:HOST2:PORT2 — connect to HOST2:PORT2 instead (repeatable)")
	fl.BoolVarP(&f.ipv4, "ipv4", "4", false, "connect over IPv4 only")
	fl.BoolVarP(&f.ipv6, "ipv6", "6", false, "connect over IPv6 only")
	fl.StringVar(&f.timeout, "timeout", "30s", "limit for one whole run (all hops): a duration (5s, 500ms) or seconds")
	fl.BoolVarP(&f.location, "location", "L", false, "follow redirects hop by hop, each hop timed")
	fl.IntVar(&f.maxRedirs, "max-redirs", probe.DefaultMaxRedirects, "most redirects to follow with -L")
	fl.IntVarP(&f.runs, "runs", "n", 1, "repeat the probe N times (1-1000) for min/median/p90/max per phase")
	fl.StringVar(&f.origin, "origin", "", "run the active CORS checks as this origin, e.g. https://app.example.test")
	fl.BoolVar(&f.conneg, "conneg", true, "vary Accept, Accept-Encoding and Accept-Language once each")
	fl.BoolVar(&f.plainHTTP, "plain-http", true, "for an https URL on port 443, also ask the http:// URL")
	fl.BoolVar(&f.asJSON, "json", false, "print the report as JSON (same as --format json)")
	fl.StringVar(&f.format, "format", "text", "output format: text, json or junit")
	fl.StringVar(&f.failOn, "fail-on", "error", "least severe finding that makes the exit status 1: error or warn")
	fl.StringVar(&f.slo, "slo", "", "time budgets, e.g. total=300ms,ttfb=100ms; a breach exits 1")
	fl.Int64Var(&f.maxBody, "max-body", probe.DefaultMaxBodyBytes, "stop reading a body after this many bytes")
	return cmd
}

// probeConfig is a parsed command line.
type probeConfig struct {
	probe.Config
	url *url.URL
	// urlErr is why the URL cannot be probed (exit 3, not a usage error:
	// the command line is well formed, the request cannot be made).
	urlErr error
}

// config parses the flags (a bad flag is a usage error, exit 2) and then
// the URL (an unusable URL is reported in urlErr).
func (f *probeFlags) config(cmd *cobra.Command, rawURL string) (probeConfig, string, error) {
	c, format, err := f.flagConfig(cmd)
	if err != nil {
		return c, "", err
	}
	u, note, err := probe.ParseURL(rawURL)
	if err != nil {
		c.urlErr = err
		return c, format, nil
	}
	c.url = u
	if note != "" {
		c.Notes = append(c.Notes, note)
	}
	return c, format, nil
}

func (f *probeFlags) flagConfig(cmd *cobra.Command) (probeConfig, string, error) {
	var c probeConfig
	var err error
	format := strings.ToLower(f.format)
	if f.asJSON {
		if cmd.Flags().Changed("format") && format != "json" {
			return c, "", usageErrorf("--json and --format %s disagree; use one", f.format)
		}
		format = "json"
	}
	switch format {
	case "text", "json", "junit":
	default:
		return c, "", usageErrorf("--format %q: use text, json or junit", f.format)
	}
	switch strings.ToLower(f.failOn) {
	case "error":
		c.FailOn = lint.Error
	case "warn", "warning":
		c.FailOn = lint.Warn
	default:
		return c, "", usageErrorf("--fail-on %q: use error or warn", f.failOn)
	}
	o := &c.Options
	o.Method = f.method
	if f.method != "" && !isMethodToken(f.method) {
		return c, "", usageErrorf("-X %q is not a valid method name; use e.g. GET, POST, PUT", f.method)
	}
	o.Header = http.Header{}
	for _, h := range f.headers {
		name, value, err := probe.ParseHeader(h)
		if err != nil {
			return c, "", usageErrorf("%v", err)
		}
		o.Header.Add(name, value)
	}
	if cmd.Flags().Changed("data") {
		if name, ok := strings.CutPrefix(f.data, "@"); ok {
			b, err := readLimited(name, 64<<20)
			if err != nil {
				return c, "", usageErrorf("--data @%s: %v", name, err)
			}
			o.Body = b
		} else {
			o.Body = []byte(f.data)
		}
	}
	switch {
	case f.http11 && f.http2:
		return c, "", usageErrorf("--http1.1 and --http2 exclude each other; pick one")
	case f.http11:
		o.HTTP = "1.1"
	case f.http2:
		o.HTTP = "2"
	}
	o.Insecure = f.insecure
	if f.cacert != "" {
		b, err := readLimited(f.cacert, 8<<20)
		if err != nil {
			return c, "", usageErrorf("--cacert %s: %v", f.cacert, err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(b) {
			return c, "", usageErrorf("--cacert %s: no PEM certificate in the file", f.cacert)
		}
		o.RootCAs = pool
	}
	for _, r := range f.resolve {
		v, err := probe.ParseResolve(r)
		if err != nil {
			return c, "", usageErrorf("%v", err)
		}
		o.Resolve = append(o.Resolve, v)
	}
	for _, r := range f.connectTo {
		v, err := probe.ParseConnectTo(r)
		if err != nil {
			return c, "", usageErrorf("%v", err)
		}
		o.ConnectTo = append(o.ConnectTo, v)
	}
	switch {
	case f.ipv4 && f.ipv6:
		return c, "", usageErrorf("-4 and -6 exclude each other; pick one")
	case f.ipv4:
		o.IPVersion = 4
	case f.ipv6:
		o.IPVersion = 6
	}
	if o.Timeout, err = parseTimeout(f.timeout); err != nil {
		return c, "", usageErrorf("%v", err)
	}
	o.FollowRedirects = f.location
	if f.maxRedirs < 0 || f.maxRedirs > 100 {
		return c, "", usageErrorf("--max-redirs %d: use 0 to 100", f.maxRedirs)
	}
	o.MaxRedirects = f.maxRedirs
	if f.maxRedirs == 0 && f.location {
		o.FollowRedirects = false
	}
	if f.maxBody < 1 {
		return c, "", usageErrorf("--max-body %d: use a positive number of bytes", f.maxBody)
	}
	o.MaxBodyBytes = f.maxBody
	if f.runs < 1 || f.runs > 1000 {
		return c, "", usageErrorf("-n %d: use 1 to 1000 runs", f.runs)
	}
	c.Runs = f.runs
	if f.origin != "" {
		if err := checkOrigin(f.origin); err != nil {
			return c, "", usageErrorf("%v", err)
		}
		c.Origin = f.origin
	}
	c.Conneg, c.PlainHTTP = f.conneg, f.plainHTTP
	if f.slo != "" {
		if c.SLO, err = probe.ParseSLO(f.slo); err != nil {
			return c, "", usageErrorf("%v", err)
		}
	}
	return c, format, nil
}

func isMethodToken(m string) bool {
	_, _, err := probe.ParseHeader(m + ": x")
	return err == nil
}

func parseTimeout(s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil {
		secs, ferr := strconv.ParseFloat(s, 64)
		if ferr != nil {
			return 0, fmt.Errorf("--timeout %q: not a duration; use e.g. 5s, 500ms or 2.5", s)
		}
		d = time.Duration(secs * float64(time.Second))
	}
	if d <= 0 || d > time.Hour {
		return 0, fmt.Errorf("--timeout %q: use more than 0 and at most 1h", s)
	}
	return d, nil
}

func checkOrigin(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.User != nil {
		return fmt.Errorf("--origin %q is not an origin; give scheme://host[:port], e.g. https://app.example.test", s)
	}
	return nil
}

func readLimited(name string, limit int64) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("larger than %d bytes", limit)
	}
	return b, nil
}
