package devcert

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Installer puts the CA into the trust stores of this machine: the system
// store (Debian/Ubuntu update-ca-certificates, Fedora update-ca-trust,
// macOS security add-trusted-cert, Windows certutil -addstore) and the NSS
// databases that Chromium and Firefox read on Linux and Firefox on macOS
// (certutil -d sql:DIR, from libnss3-tools / nss).
//
// Commands that need root are run only when Privileged is true; otherwise
// their exact command lines come back in the results, to be run with sudo.
// NSS databases belong to the user and are changed directly.
type Installer struct {
	CA *CA
	// GOOS is the operating system to act for (runtime.GOOS).
	GOOS string
	// Home is the user's home directory, where NSS databases are found.
	Home string
	// Privileged means commands needing root may be run (euid 0).
	Privileged bool
	// LookPath finds commands (exec.LookPath).
	LookPath func(string) (string, error)
	// NoSystem and NoNSS leave the system store or the NSS databases
	// alone.
	NoSystem, NoNSS bool
	// Run runs a command and returns its combined output; nil runs it
	// with os/exec.
	Run func(ctx context.Context, argv []string) ([]byte, error)
}

// Result is what happened to one trust store.
type Result struct {
	Store string `json:"store"`
	// Done is true when golocal changed the store itself.
	Done bool `json:"done"`
	// Commands are the exact command lines: run, or to run by hand when
	// Done is false and Err is nil (they need privileges).
	Commands []string `json:"commands,omitempty"`
	// Err says why the store could not be changed and what to do.
	Err error `json:"-"`
	// Error is Err as text, for JSON output.
	Error string `json:"error,omitempty"`
}

// Nickname is the name the CA gets in NSS databases and system stores:
// fixed per CA, so uninstalling finds exactly this CA.
func (ca *CA) Nickname() string {
	return "golocal development CA " + strings.ReplaceAll(ca.Fingerprint()[:11], ":", "")
}

// trustStore is one trust store with its install and uninstall commands.
type trustStore struct {
	name       string
	install    [][]string
	uninstall  [][]string
	privileged bool
	missing    string // a command the store needs that is not installed, and how to get it
}

// Install adds the CA to every trust store found.
func (in *Installer) Install(ctx context.Context) []Result { return in.apply(ctx, true) }

// Uninstall removes the CA from every trust store found. The CA files are
// kept.
func (in *Installer) Uninstall(ctx context.Context) []Result { return in.apply(ctx, false) }

func (in *Installer) apply(ctx context.Context, install bool) []Result {
	var results []Result
	for _, s := range in.stores() {
		cmds := s.uninstall
		if install {
			cmds = s.install
		}
		r := Result{Store: s.name}
		for _, argv := range cmds {
			r.Commands = append(r.Commands, shellJoin(argv, s.privileged && !in.Privileged))
		}
		switch {
		case s.missing != "":
			r.Err = fmt.Errorf("%s", s.missing)
		case s.privileged && !in.Privileged:
			// printed for the user to run with sudo
		default:
			r.Done, r.Err = true, in.runAll(ctx, cmds, install)
			if r.Err != nil {
				r.Done = false
			}
		}
		if r.Err != nil {
			r.Error = r.Err.Error()
		}
		results = append(results, r)
	}
	return results
}

func (in *Installer) runAll(ctx context.Context, cmds [][]string, install bool) error {
	run := in.Run
	if run == nil {
		run = func(ctx context.Context, argv []string) ([]byte, error) {
			return exec.CommandContext(ctx, argv[0], argv[1:]...).CombinedOutput()
		}
	}
	for _, argv := range cmds {
		out, err := run(ctx, argv)
		if err != nil {
			msg := strings.TrimSpace(string(out))
			if !install && notFound(msg) {
				continue // already gone: uninstall is idempotent
			}
			return fmt.Errorf("%s: %v: %s", shellJoin(argv, false), err, msg)
		}
	}
	return nil
}

// notFound recognises "the certificate is not there" from certutil,
// security and rm.
func notFound(out string) bool {
	out = strings.ToLower(out)
	for _, s := range []string{"could not find", "not found", "no such file", "unable to delete", "sec_error_bad_database"} {
		if strings.Contains(out, s) {
			return true
		}
	}
	return false
}

func (in *Installer) stores() []trustStore {
	var stores []trustStore
	if s, ok := in.systemStore(); ok && !in.NoSystem {
		stores = append(stores, s)
	}
	if in.NoNSS {
		return stores
	}
	return append(stores, in.nssStores()...)
}

// systemStore returns the operating system's trust store.
func (in *Installer) systemStore() (trustStore, bool) {
	ca := in.CA
	fileName := "golocal-" + strings.ReplaceAll(ca.Fingerprint()[:11], ":", "") + ".crt"
	switch in.GOOS {
	case "linux":
		if _, err := in.LookPath("update-ca-certificates"); err == nil {
			dst := filepath.Join("/usr/local/share/ca-certificates", fileName)
			return trustStore{
				name:       "system (update-ca-certificates)",
				install:    [][]string{{"install", "-m", "0644", ca.CertPath(), dst}, {"update-ca-certificates"}},
				uninstall:  [][]string{{"rm", "-f", dst}, {"update-ca-certificates", "--fresh"}},
				privileged: true,
			}, true
		}
		if _, err := in.LookPath("update-ca-trust"); err == nil {
			dst := filepath.Join("/etc/pki/ca-trust/source/anchors", fileName)
			return trustStore{
				name:       "system (update-ca-trust)",
				install:    [][]string{{"install", "-m", "0644", ca.CertPath(), dst}, {"update-ca-trust", "extract"}},
				uninstall:  [][]string{{"rm", "-f", dst}, {"update-ca-trust", "extract"}},
				privileged: true,
			}, true
		}
		return trustStore{name: "system", missing: "no update-ca-certificates or update-ca-trust on PATH: add " + ca.CertPath() + " to your distribution's trust store by hand"}, true
	case "darwin":
		sum := sha1.Sum(ca.cert.Raw)
		return trustStore{
			name:       "system keychain",
			install:    [][]string{{"security", "add-trusted-cert", "-d", "-r", "trustRoot", "-k", "/Library/Keychains/System.keychain", ca.CertPath()}},
			uninstall:  [][]string{{"security", "delete-certificate", "-Z", strings.ToUpper(hex.EncodeToString(sum[:])), "-t", "/Library/Keychains/System.keychain"}},
			privileged: true,
		}, true
	case "windows":
		// The user's Root store needs no administrator (Windows asks the
		// user to confirm); Firefox on Windows reads it too
		// (security.enterprise_roots.enabled is on by default).
		return trustStore{
			name:      "Windows user Root store",
			install:   [][]string{{"certutil", "-user", "-addstore", "-f", "Root", ca.CertPath()}},
			uninstall: [][]string{{"certutil", "-user", "-delstore", "Root", ca.cert.SerialNumber.Text(16)}},
		}, true
	}
	return trustStore{}, false
}

// nssStores returns the NSS databases of Chromium and Firefox found under
// Home (only databases that exist: browsers create them on first start).
func (in *Installer) nssStores() []trustStore {
	if in.GOOS == "windows" || in.Home == "" {
		return nil
	}
	patterns := []string{
		".pki/nssdb",                       // Chromium, Chrome
		"snap/chromium/current/.pki/nssdb", // Chromium snap
		".mozilla/firefox/*",               // Firefox profiles
		"snap/firefox/common/.mozilla/firefox/*",
		".var/app/org.mozilla.firefox/.mozilla/firefox/*", // Flatpak
	}
	if in.GOOS == "darwin" {
		// Chrome and Safari use the keychain; Firefox its own NSS.
		patterns = []string{"Library/Application Support/Firefox/Profiles/*"}
	}
	certutil, lookErr := in.LookPath("certutil")
	var stores []trustStore
	for _, p := range patterns {
		dirs, _ := filepath.Glob(filepath.Join(in.Home, p))
		for _, dir := range dirs {
			if _, err := os.Stat(filepath.Join(dir, "cert9.db")); err != nil {
				continue // not an NSS sql database
			}
			db := "sql:" + dir
			s := trustStore{
				name:      "NSS " + dir,
				install:   [][]string{{certutil, "-A", "-d", db, "-t", "C,,", "-n", in.CA.Nickname(), "-i", in.CA.CertPath()}},
				uninstall: [][]string{{certutil, "-D", "-d", db, "-n", in.CA.Nickname()}},
			}
			if lookErr != nil {
				s.missing = "certutil (NSS tools) is not installed: apt-get install libnss3-tools (Debian/Ubuntu), dnf install nss-tools (Fedora) or brew install nss (macOS), then run golocal trust again"
				s.install[0][0], s.uninstall[0][0] = "certutil", "certutil"
			}
			stores = append(stores, s)
		}
	}
	return stores
}

// shellJoin formats argv as a shell command line, with sudo in front when
// asked.
func shellJoin(argv []string, sudo bool) string {
	var b strings.Builder
	if sudo {
		b.WriteString("sudo ")
	}
	for i, a := range argv {
		if i > 0 {
			b.WriteByte(' ')
		}
		if a != "" && !strings.ContainsAny(a, " \t\n'\"\\$`*?[]{}()<>|&;#~!") {
			b.WriteString(a)
			continue
		}
		b.WriteString("'" + strings.ReplaceAll(a, "'", `'\''`) + "'")
	}
	return b.String()
}
