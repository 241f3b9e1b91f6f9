package cli

import (
	"encoding/json"
	"encoding/xml"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestProbeUsageErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"probe"}, "accepts 1 arg"},
		{[]string{"probe", "ftp://example.test/"}, "unsupported URL scheme"},
		{[]string{"probe", "http://x/", "--slo", "latency=1s"}, "unknown phase"},
		{[]string{"probe", "http://x/", "--resolve", "x:80"}, "missing the address"},
		{[]string{"probe", "http://x/", "--connect-to", "x"}, "--connect-to"},
		{[]string{"probe", "http://x/", "-H", "no colon"}, "no colon"},
		{[]string{"probe", "http://x/", "--fail-on", "info"}, "use error or warn"},
		{[]string{"probe", "http://x/", "--format", "xml"}, "use text, json or junit"},
		{[]string{"probe", "http://x/", "--http1.1", "--http2"}, "exclude each other"},
		{[]string{"probe", "http://x/", "-4", "-6"}, "exclude each other"},
		{[]string{"probe", "http://x/", "--timeout", "soon"}, "not a duration"},
		{[]string{"probe", "http://x/", "-n", "0"}, "use 1 to 1000"},
		{[]string{"probe", "http://x/", "--origin", "https://a.test/path"}, "not an origin"},
		{[]string{"probe", "http://x/", "-d", "@/nonexistent/file"}, "--data @/nonexistent/file"},
		{[]string{"probe", "http://x/", "-X", "GE T"}, "not a valid method"},
	}
	for _, tt := range tests {
		code, _, errOut := runCLI(t, nil, tt.args...)
		if code != ExitUsage || !strings.Contains(errOut, tt.want) {
			t.Errorf("%q: exit %d stderr %q; want %d and %q", tt.args, code, errOut, ExitUsage, tt.want)
		}
	}
}

func TestProbeRequestFailedExit3(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	start := time.Now()
	code, out, errOut := runCLI(t, nil, "probe", addr, "--timeout", "2s")
	if code != ExitRequestFailed || !strings.Contains(errOut, "refused") || !strings.Contains(out, "assuming http://") {
		t.Errorf("exit %d, stdout %q, stderr %q", code, out, errOut)
	}
	if time.Since(start) > 5*time.Second {
		t.Errorf("took %v", time.Since(start))
	}
}

func serveHello(t *testing.T, header map[string]string) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		for k, v := range header {
			w.Header().Set(k, v)
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = io.WriteString(w, "hello")
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/"
}

func TestProbeOutputs(t *testing.T) {
	good := serveHello(t, map[string]string{"X-Content-Type-Options": "nosniff"})
	bad := serveHello(t, map[string]string{"X-Frame-Options": "ALLOW-FROM https://a.test"})

	code, out, errOut := runCLI(t, map[string]string{"NO_COLOR": "1"}, "probe", good, "-n", "3")
	if code != ExitOK || strings.Contains(out, "\x1b[") {
		t.Errorf("text: exit %d stderr %q; colour in output: %v", code, errOut, strings.Contains(out, "\x1b["))
	}
	for _, want := range []string{"namelookup", "starttransfer", "█", "score", "grade", "over 3 runs", "median", "stricter"} {
		if !strings.Contains(out, want) {
			t.Errorf("text output lacks %q:\n%s", want, out)
		}
	}

	code, out, _ = runCLI(t, nil, "probe", bad, "--json")
	var rep map[string]any
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("--json output is not JSON: %v\n%s", err, out)
	}
	if code != ExitFailure || rep["schema_version"] != float64(1) || rep["exit_code"] != float64(ExitFailure) {
		t.Errorf("json: exit %d, schema %v, exit_code %v", code, rep["schema_version"], rep["exit_code"])
	}

	code, out, _ = runCLI(t, nil, "probe", bad, "--format", "junit")
	var suites struct {
		XMLName xml.Name `xml:"testsuites"`
	}
	if err := xml.Unmarshal([]byte(out), &suites); err != nil || code != ExitFailure {
		t.Errorf("junit: exit %d, %v\n%s", code, err, out)
	}

	// --fail-on warn turns a warning into exit 1; an SLO breach too.
	warnOnly := serveHello(t, map[string]string{"Vary": "User-Agent", "X-Content-Type-Options": "nosniff"})
	if code, _, _ := runCLI(t, nil, "probe", warnOnly); code != ExitOK {
		t.Errorf("warnings with --fail-on error: exit %d, want 0", code)
	}
	if code, _, _ := runCLI(t, nil, "probe", warnOnly, "--fail-on", "warn"); code != ExitFailure {
		t.Errorf("warnings with --fail-on warn: exit %d, want 1", code)
	}
	if code, out, _ := runCLI(t, nil, "probe", good, "--slo", "total=1ns"); code != ExitFailure || !strings.Contains(out, "BREACH") {
		t.Errorf("SLO breach: exit %d\n%s", code, out)
	}
}
