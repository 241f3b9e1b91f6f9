package cli

import (
	"context"
	"crypto/x509"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/golocal/golocal/internal/devcert"
	"github.com/golocal/golocal/internal/devtest"
)

func TestTrustShowAndReuse(t *testing.T) {
	env := map[string]string{devcert.EnvDir: filepath.Join(t.TempDir(), "ca")}
	code, out, errOut := runCLI(t, env, "trust")
	if code != ExitOK || !strings.Contains(out, "(created now)") || !strings.Contains(out, "golocal trust --install") {
		t.Fatalf("first run: exit %d\n%s%s", code, out, errOut)
	}
	sha := regexp.MustCompile(`SHA-256:\s+(\S+)`).FindStringSubmatch(out)
	code, out2, _ := runCLI(t, env, "trust")
	if code != ExitOK || strings.Contains(out2, "created now") || sha == nil || !strings.Contains(out2, sha[1]) {
		t.Fatalf("second run: exit %d; want the same CA\n%s", code, out2)
	}
}

func TestTrustBadInput(t *testing.T) {
	open := filepath.Join(t.TempDir(), "ca")
	if _, err := devcert.Create(open); err != nil {
		t.Fatal(err)
	}
	os.Chmod(open, 0o755)
	corrupt := filepath.Join(t.TempDir(), "ca")
	if _, err := devcert.Create(corrupt); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(corrupt, devcert.KeyFile), []byte("-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n"), 0o600)
	cases := []struct {
		name string
		dir  string
		args []string
		code int
		want string
	}{
		{"open directory", open, nil, ExitFailure, "chmod 700"},
		{"corrupt key", corrupt, nil, ExitFailure, "golocal trust --install"},
		{"two steps", "", []string{"--install", "--phone"}, ExitUsage, "one at a time"},
		{"unknown store", "", []string{"--install", "--stores", "java"}, ExitUsage, "not a store"},
		{"no phone time", "", []string{"--phone", "--phone-time", "0s"}, ExitUsage, "between 1s and 24h"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.dir == "" {
				tc.dir = filepath.Join(t.TempDir(), "ca")
			}
			code, _, errOut := runCLI(t, map[string]string{devcert.EnvDir: tc.dir}, append([]string{"trust"}, tc.args...)...)
			if code != tc.code || !strings.Contains(errOut, tc.want) {
				t.Errorf("exit %d (want %d), stderr %q (want %q)", code, tc.code, errOut, tc.want)
			}
		})
	}
}

// TestTrustInstallNSS installs into an NSS database the test creates in a
// temporary HOME (no system store is touched: --stores nss).
func TestTrustInstallNSS(t *testing.T) {
	certutil := devtest.Certutil(t)
	home := t.TempDir()
	db := devtest.NSSDB(t, home)
	env := map[string]string{devcert.EnvDir: filepath.Join(home, "ca"), "HOME": home}
	code, out, errOut := runCLI(t, env, "trust", "--install", "--stores", "nss")
	if code != ExitOK || !strings.Contains(out, "✓ NSS "+db+": installed") {
		t.Fatalf("install: exit %d\n%s%s", code, out, errOut)
	}
	ca, err := devcert.Load(filepath.Join(home, "ca"))
	if err != nil {
		t.Fatal(err)
	}
	if err := exec.Command(certutil, "-L", "-d", "sql:"+db, "-n", ca.Nickname()).Run(); err != nil {
		t.Fatalf("not in the NSS database after --install: %v", err)
	}
	code, out, errOut = runCLI(t, env, "trust", "--uninstall", "--stores", "nss")
	if code != ExitOK || !strings.Contains(out, "removed") {
		t.Fatalf("uninstall: exit %d\n%s%s", code, out, errOut)
	}
	if exec.Command(certutil, "-L", "-d", "sql:"+db, "-n", ca.Nickname()).Run() == nil {
		t.Fatal("still in the NSS database after --uninstall")
	}
}

// TestTrustPhone downloads the CA from "golocal trust --phone" and checks
// that the command ends by itself after --phone-time.
func TestTrustPhone(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "ca")
	out := &lockedBuffer{}
	code := make(chan int, 1)
	go func() {
		code <- Run(context.Background(), []string{"trust", "--phone", "--addr", "127.0.0.1:0", "--phone-time", "3s"},
			func(k string) string { return map[string]string{devcert.EnvDir: dir}[k] }, strings.NewReader(""), out, io.Discard)
	}()
	urlRE := regexp.MustCompile(`http://127\.0\.0\.1:\d+/`)
	var url string
	for deadline := time.Now().Add(30 * time.Second); url == "" && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		url = urlRE.FindString(out.String())
	}
	if url == "" {
		t.Fatalf("no URL printed:\n%s", out)
	}
	resp, err := http.Get(url + strings.TrimPrefix(devcert.PhoneCertPath, "/"))
	if err != nil {
		t.Fatal(err)
	}
	der, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if _, err := x509.ParseCertificate(der); err != nil {
		t.Fatalf("downloaded CA: %v", err)
	}
	select {
	case c := <-code:
		if c != ExitOK {
			t.Fatalf("exit %d\n%s", c, out)
		}
	case <-time.After(time.Minute):
		t.Fatal("trust --phone did not stop after --phone-time")
	}
	for _, want := range []string{"Certificate Trust Settings → enable full trust", "downloaded by 127.0.0.1", "Stopped serving the CA (1 download)"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}
