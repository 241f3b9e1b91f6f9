package devcert

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/golocal/golocal/internal/devtest"
)

func lookOnly(found ...string) func(string) (string, error) {
	return func(name string) (string, error) {
		for _, f := range found {
			if filepath.Base(f) == name {
				return f, nil
			}
		}
		return "", exec.ErrNotFound
	}
}

// TestInstallNSS installs the CA into a real NSS database made by the
// test (Chromium's ~/.pki/nssdb in a temporary home) and removes it again;
// the system store is only planned, never touched.
func TestInstallNSS(t *testing.T) {
	certutil := devtest.Certutil(t)
	ca := newTestCA(t)
	home := t.TempDir()
	db := devtest.NSSDB(t, home)
	var ran []string
	in := &Installer{CA: ca, GOOS: "linux", Home: home, LookPath: lookOnly("/usr/sbin/update-ca-certificates", certutil),
		Run: func(ctx context.Context, argv []string) ([]byte, error) {
			ran = append(ran, strings.Join(argv, " "))
			return exec.CommandContext(ctx, argv[0], argv[1:]...).CombinedOutput()
		}}
	listed := func() bool {
		return exec.Command(certutil, "-L", "-d", "sql:"+db, "-n", ca.Nickname()).Run() == nil
	}

	results := in.Install(context.Background())
	if len(results) != 2 {
		t.Fatalf("results %+v, want the system store and one NSS database", results)
	}
	sys, nss := results[0], results[1]
	if sys.Done || sys.Err != nil || len(sys.Commands) != 2 || !strings.HasPrefix(sys.Commands[0], "sudo install -m 0644 "+ca.CertPath()+" /usr/local/share/ca-certificates/golocal-") || sys.Commands[1] != "sudo update-ca-certificates" {
		t.Errorf("system store: %+v; want two sudo commands, not run", sys)
	}
	if !nss.Done || nss.Err != nil || !listed() {
		t.Fatalf("NSS: %+v; listed=%v", nss, listed())
	}
	for _, cmd := range ran {
		if !strings.HasPrefix(cmd, certutil) {
			t.Errorf("ran %q: only certutil may run unprivileged", cmd)
		}
	}
	out, _ := exec.Command(certutil, "-L", "-d", "sql:"+db).CombinedOutput()
	if !strings.Contains(string(out), ca.Nickname()) || !strings.Contains(string(out), "C,,") {
		t.Errorf("certutil -L does not show %q trusted for TLS (C,,):\n%s", ca.Nickname(), out)
	}

	for i := range 2 { // the second uninstall finds nothing and is still fine
		results = in.Uninstall(context.Background())
		if nss := results[1]; !nss.Done || nss.Err != nil {
			t.Fatalf("uninstall %d: %+v", i, nss)
		}
		if listed() {
			t.Fatalf("uninstall %d: still in the NSS database", i)
		}
	}
}

func TestInstallPlans(t *testing.T) {
	ca := newTestCA(t)
	home := t.TempDir()
	profile := filepath.Join(home, ".mozilla", "firefox", "abc.default")
	os.MkdirAll(profile, 0o700)
	os.WriteFile(filepath.Join(profile, "cert9.db"), nil, 0o600)
	cases := []struct {
		name       string
		in         Installer
		wantStores int
		wantFirst  string
		wantErr    string
		wantDone   bool
	}{
		{"debian unprivileged", Installer{GOOS: "linux", LookPath: lookOnly("/usr/sbin/update-ca-certificates", "/usr/bin/certutil")}, 2, "sudo install -m 0644", "", false},
		{"debian as root", Installer{GOOS: "linux", Privileged: true, LookPath: lookOnly("/usr/sbin/update-ca-certificates", "/usr/bin/certutil")}, 2, "install -m 0644", "", true},
		{"fedora", Installer{GOOS: "linux", LookPath: lookOnly("/usr/bin/update-ca-trust")}, 2, "sudo install -m 0644 " + ca.CertPath() + " /etc/pki/ca-trust/source/anchors/", "", false},
		{"unknown linux", Installer{GOOS: "linux", LookPath: lookOnly()}, 2, "", "add " + ca.CertPath(), false},
		{"macos", Installer{GOOS: "darwin", LookPath: lookOnly()}, 1, "sudo security add-trusted-cert -d -r trustRoot -k /Library/Keychains/System.keychain " + ca.CertPath(), "", false},
		{"windows", Installer{GOOS: "windows", LookPath: lookOnly()}, 1, "certutil -user -addstore -f Root " + ca.CertPath(), "", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var ran [][]string
			in := tc.in
			in.CA, in.Home = ca, home
			in.Run = func(_ context.Context, argv []string) ([]byte, error) { ran = append(ran, argv); return nil, nil }
			results := in.Install(context.Background())
			if len(results) != tc.wantStores {
				t.Fatalf("%d stores, want %d: %+v", len(results), tc.wantStores, results)
			}
			sys := results[0]
			if tc.wantFirst != "" && (len(sys.Commands) == 0 || !strings.HasPrefix(sys.Commands[0], tc.wantFirst)) {
				t.Errorf("first command %q, want prefix %q", sys.Commands, tc.wantFirst)
			}
			if tc.wantErr != "" && (sys.Err == nil || !strings.Contains(sys.Err.Error(), tc.wantErr)) {
				t.Errorf("error %v, want %q", sys.Err, tc.wantErr)
			}
			if sys.Done != tc.wantDone || (tc.wantDone && len(ran) == 0) {
				t.Errorf("done=%v ran=%q, want done=%v", sys.Done, ran, tc.wantDone)
			}
		})
	}
}

func TestInstallWithoutCertutil(t *testing.T) {
	ca := newTestCA(t)
	home := t.TempDir()
	db := filepath.Join(home, ".pki", "nssdb")
	os.MkdirAll(db, 0o700)
	os.WriteFile(filepath.Join(db, "cert9.db"), nil, 0o600)
	in := &Installer{CA: ca, GOOS: "linux", Home: home, LookPath: lookOnly("/usr/sbin/update-ca-certificates"),
		Run: func(context.Context, []string) ([]byte, error) { return nil, errors.New("must not run") }}
	results := in.Install(context.Background())
	nss := results[len(results)-1]
	if nss.Done || nss.Err == nil || !strings.Contains(nss.Err.Error(), "libnss3-tools") || !strings.HasPrefix(nss.Commands[0], "certutil -A -d sql:") {
		t.Errorf("NSS without certutil: %+v", nss)
	}
}

func TestShellJoin(t *testing.T) {
	got := shellJoin([]string{"certutil", "-d", "sql:/home/a b/x", "-n", "it's"}, true)
	want := `sudo certutil -d 'sql:/home/a b/x' -n 'it'\''s'`
	if got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}
