package cli

import (
	"crypto/tls"
	"crypto/x509"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golocal/golocal/internal/browsertest"
	"github.com/golocal/golocal/internal/devcert"
	"github.com/golocal/golocal/internal/devtest"
	"github.com/golocal/golocal/internal/term"
)

func TestDevHTTPSRefusesPublicAddrWithoutLAN(t *testing.T) {
	dir := writeDevModule(t, map[string]string{"main.go": devApp("x")})
	for _, addr := range []string{"0.0.0.0:0", "192.168.1.20:8443", "[::]:0"} {
		code, _, errOut := runCLI(t, hostEnv(nil), "dev", "-C", dir, "--https", "--addr", addr)
		if code != ExitUsage || !strings.Contains(errOut, "add --lan") {
			t.Errorf("--https --addr %s: exit %d, stderr %q; want a usage error naming --lan", addr, code, errOut)
		}
	}
}

func TestDevThrottleFileBadInput(t *testing.T) {
	dir := writeDevModule(t, map[string]string{"main.go": devApp("x")})
	file := filepath.Join(t.TempDir(), "presets")
	os.WriteFile(file, []byte("hotel = latency=fast\n"), 0o644)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--throttle-file", file, "--throttle", "hotel"}, file + ":1"},
		{[]string{"--throttle-file", filepath.Join(t.TempDir(), "missing"), "--throttle", "x"}, "--throttle-file"},
	} {
		code, _, errOut := runCLI(t, hostEnv(nil), append([]string{"dev", "-C", dir}, tc.args...)...)
		if code != ExitUsage || !strings.Contains(errOut, tc.want) {
			t.Errorf("%q: exit %d, stderr %q; want %q", tc.args, code, errOut, tc.want)
		}
	}
}

// TestDevAndroid runs golocal dev --android with a fake adb on PATH that
// records its arguments: the front's port is reversed on the ready
// device, left alone where another process reversed it, and the reverse
// is removed on exit. Without adb, dev says so and starts anyway.
func TestDevAndroid(t *testing.T) {
	fake, log := devtest.FakeADB(t, "PHONE\tdevice\nOTHER\tdevice\n", "OTHER tcp:PORT tcp:9999\n")
	t.Setenv("PATH", fake+string(os.PathListSeparator)+os.Getenv("PATH"))
	dir := writeDevModule(t, map[string]string{"main.go": devApp("android")})
	s := startDev(t, dir, "--android")
	port := s.addr[strings.LastIndexByte(s.addr, ':')+1:]
	// The fake's reverse list names the port the front got.
	rev := filepath.Join(fake, "reverses")
	if data, _ := os.ReadFile(rev); len(data) > 0 {
		os.WriteFile(rev, []byte(strings.ReplaceAll(string(data), "PORT", port)), 0o644)
	}
	s.waitBody("android", 90*time.Second)
	s.cancel()
	<-s.code
	s.code <- 0 // for the cleanup's wait
	calls, _ := os.ReadFile(log)
	for _, want := range []string{"devices", "-s PHONE reverse tcp:" + port + " tcp:" + port, "-s PHONE reverse --remove tcp:" + port} {
		if !strings.Contains(string(calls), want+"\n") {
			t.Errorf("adb was not called with %q; calls:\n%s", want, calls)
		}
	}
	for _, want := range []string{"PHONE: the phone's http://localhost:" + port, "chrome://inspect"} {
		if !strings.Contains(s.out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, s.out)
		}
	}
}

func TestDevAndroidWithoutADB(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go not on PATH")
	}
	t.Setenv("PATH", filepath.Dir(goBin))
	if _, err := exec.LookPath("adb"); err == nil {
		t.Skip("adb is installed next to go")
	}
	dir := writeDevModule(t, map[string]string{"main.go": devApp("no adb")})
	s := startDevEnv(t, dir, map[string]string{"PATH": os.Getenv("PATH")}, "--android")
	s.waitBody("no adb", 90*time.Second)
	if !strings.Contains(s.out.String(), "adb not found on PATH") || !strings.Contains(s.out.String(), "goes on without it") {
		t.Errorf("no clear message without adb:\n%s", s.out)
	}
}

// httpsAppSource sets a __Host- cookie when the front says the scheme
// is https (as an app behind a proxy does), sends HSTS as production
// would, and shows GOLOCAL_DEV_URL.
const httpsAppSource = `package main

import (
	"fmt"
	"net/http"
	"os"
)

func main() {
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Forwarded-Proto") == "https" {
			http.SetCookie(w, &http.Cookie{Name: "__Host-sid", Value: "s1", Path: "/", Secure: true, SameSite: http.SameSiteLaxMode})
		}
		w.Header().Set("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, "<!doctype html><html><head><title>t</title></head><body><p id=text>TEXT</p><p id=url>%s</p></body></html>", os.Getenv("GOLOCAL_DEV_URL"))
	})
	http.ListenAndServe("127.0.0.1:"+os.Getenv("PORT"), nil)
}
`

// TestDevHTTPSBrowser is the acceptance test of golocal dev --https:
// Chromium trusts golocal's CA through an NSS database the test made in
// a temporary HOME (nothing of the machine changes), opens
// https://localhost:PORT without an interstitial, in a secure context,
// over HTTP/2, gets the app's __Host- cookie, sees HSTS unpinned, and the
// page still reloads by itself on an edit.
func TestDevHTTPSBrowser(t *testing.T) {
	certutil := devtest.Certutil(t)
	home := t.TempDir()
	db := devtest.NSSDB(t, home)
	caDir := filepath.Join(home, "ca")
	ca, _, err := devcert.Open(caDir)
	if err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(certutil, "-A", "-d", "sql:"+db, "-n", "golocal", "-t", "C,,", "-i", ca.CertPath()).CombinedOutput(); err != nil {
		t.Fatalf("certutil -A: %v: %s", err, out)
	}
	b := browsertest.NewWithHome(t, home)

	src := func(text string) string { return strings.Replace(httpsAppSource, "TEXT", text, 1) }
	dir := writeDevModule(t, map[string]string{"main.go": src("secure one")})
	s := startDevEnv(t, dir, map[string]string{devcert.EnvDir: caDir}, "--https")
	s.waitOutput("started", 90*time.Second)
	port := s.addr[strings.LastIndexByte(s.addr, ':')+1:]
	url := "https://localhost:" + port + "/"
	if !strings.Contains(s.out.String(), url) {
		t.Errorf("banner lacks %s:\n%s", url, s.out)
	}

	if err := b.Navigate(url); err != nil {
		t.Fatal(err)
	}
	if err := b.WaitFor(`document.getElementById("text") && document.getElementById("text").textContent === "secure one"`, 15*time.Second); err != nil {
		loc, _ := browsertest.Eval[string](b, "location.href")
		t.Fatalf("page not shown (certificate interstitial?): %v; at %s\n%s", err, loc, s.out)
	}
	checks := []struct{ what, js, want string }{
		{"secure context", `String(window.isSecureContext)`, "true"},
		{"HTTP/2", `performance.getEntriesByType("navigation")[0].nextHopProtocol`, "h2"},
		{"__Host- cookie", `document.cookie`, "__Host-sid=s1"},
		{"GOLOCAL_DEV_URL", `document.getElementById("url").textContent`, url},
	}
	for _, c := range checks {
		got, err := browsertest.Eval[string](b, c.js)
		if err != nil || got != c.want {
			t.Errorf("%s: %s = %q (%v), want %q", c.what, c.js, got, err, c.want)
		}
	}
	if _, err := browsertest.Eval[bool](b, `fetch("/").then(r => { window.hsts = r.headers.get("strict-transport-security"); }), true`); err != nil {
		t.Fatal(err)
	}
	if err := b.WaitFor(`window.hsts === "max-age=0"`, 10*time.Second); err != nil {
		got, _ := browsertest.Eval[string](b, `String(window.hsts)`)
		t.Errorf("HSTS seen by the page: %q, want max-age=0", got)
	}
	if err := b.WaitFor(`window.__golocalClient === true`, 10*time.Second); err != nil {
		t.Fatalf("the reload client did not run: %v", err)
	}
	saveFile(t, filepath.Join(dir, "main.go"), src("secure two"))
	if err := b.WaitFor(`document.getElementById("text") && document.getElementById("text").textContent === "secure two"`, 90*time.Second); err != nil {
		t.Fatalf("no live reload over HTTPS: %v\n%s", err, s.out)
	}
}

// TestDevHTTPSHandshake checks the front's TLS from a Go client: a client
// trusting the CA gets HTTP/2 for localhost and 127.0.0.1; one that does
// not fails, and golocal dev says how to trust the CA.
func TestDevHTTPSHandshake(t *testing.T) {
	caDir := filepath.Join(t.TempDir(), "ca")
	dir := writeDevModule(t, map[string]string{"main.go": devApp("tls")})
	s := startDevEnv(t, dir, map[string]string{devcert.EnvDir: caDir}, "--https")
	s.waitOutput("started", 90*time.Second)
	if !strings.Contains(s.out.String(), "created golocal's local CA in "+caDir) {
		t.Errorf("no note about the new CA:\n%s", s.out)
	}
	ca, err := devcert.Load(caDir)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca.Certificate())
	port := s.addr[strings.LastIndexByte(s.addr, ':')+1:]
	for _, name := range []string{"localhost", "127.0.0.1"} {
		conn, err := tls.Dial("tcp", s.addr, &tls.Config{RootCAs: roots, ServerName: name, NextProtos: []string{"h2", "http/1.1"}})
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if p := conn.ConnectionState().NegotiatedProtocol; p != "h2" {
			t.Errorf("%s: ALPN %q, want h2", name, p)
		}
		conn.Close()
	}
	if _, err := http.Get("https://localhost:" + port + "/"); err == nil {
		t.Fatal("a client that does not trust the CA connected")
	}
	s.waitOutput("golocal trust --install", 10*time.Second)
}

// TestDevTLSLeafAddresses: the leaf covers a private address the front
// listens on (and, with --lan, the LAN address); a public one is left
// out with a note, since the CA may not sign it.
func TestDevTLSLeafAddresses(t *testing.T) {
	leafFor := func(lan bool, ip string) (*x509.Certificate, string) {
		t.Helper()
		env := &Env{Getenv: func(k string) string {
			if k == devcert.EnvDir {
				return filepath.Join(t.TempDir(), "ca")
			}
			return ""
		}}
		out := &lockedBuffer{}
		var addr *net.TCPAddr
		if ip != "" {
			addr = &net.TCPAddr{IP: net.ParseIP(ip), Port: 8443}
		}
		cfg, err := devTLS(env, &devOutput{w: out}, lan, addr)
		if err != nil {
			t.Fatal(err)
		}
		leaf, err := cfg.GetCertificate(&tls.ClientHelloInfo{})
		if err != nil {
			t.Fatal(err)
		}
		return leaf.Leaf, out.String()
	}
	leaf, _ := leafFor(false, "192.168.77.5")
	if err := leaf.VerifyHostname("192.168.77.5"); err != nil {
		t.Errorf("private listen address not covered: %v", err)
	}
	leaf, out := leafFor(false, "8.8.8.8")
	if leaf.VerifyHostname("8.8.8.8") == nil || !strings.Contains(out, "8.8.8.8 is not a private address") {
		t.Errorf("public address: covered or no note; output %q", out)
	}
	if lan := term.LANAddress(); lan != "" && devcert.Permitted(lan) {
		leaf, _ := leafFor(true, "")
		if err := leaf.VerifyHostname(lan); err != nil {
			t.Errorf("the --lan leaf does not cover %s: %v", lan, err)
		}
	}
}
