package devtest

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// EnvRequireCertutil makes a missing certutil a test failure instead of a
// skip ("1"); CI sets it.
const EnvRequireCertutil = "GOLOCAL_REQUIRE_CERTUTIL"

// Certutil returns the path of NSS's certutil (Debian libnss3-tools),
// skipping t when it is absent unless GOLOCAL_REQUIRE_CERTUTIL=1.
func Certutil(t testing.TB) string {
	t.Helper()
	path, err := exec.LookPath("certutil")
	if err != nil {
		if os.Getenv(EnvRequireCertutil) == "1" {
			t.Fatalf("%s=1 but certutil (libnss3-tools) is not on PATH", EnvRequireCertutil)
		}
		t.Skip("certutil (libnss3-tools) not on PATH")
	}
	return path
}

// NSSDB creates an empty NSS database where Chromium on Linux looks for
// one, home/.pki/nssdb, and returns its directory. Chromium started with
// HOME=home then trusts what the test adds there, and nothing else of the
// machine changes.
func NSSDB(t testing.TB, home string) string {
	t.Helper()
	certutil := Certutil(t)
	db := filepath.Join(home, ".pki", "nssdb")
	if err := os.MkdirAll(db, 0o700); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(certutil, "-N", "-d", "sql:"+db, "--empty-password").CombinedOutput(); err != nil {
		t.Fatalf("certutil -N -d sql:%s: %v: %s", db, err, out)
	}
	return db
}
