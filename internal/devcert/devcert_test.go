package devcert

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

func newTestCA(t *testing.T) *CA {
	t.Helper()
	ca, err := Create(filepath.Join(t.TempDir(), "ca"))
	if err != nil {
		t.Fatal(err)
	}
	return ca
}

func TestCreateLoadPermissions(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "golocal", "ca")
	ca, created, err := Open(dir)
	if err != nil || !created {
		t.Fatalf("Open: created=%v err=%v", created, err)
	}
	if runtime.GOOS != "windows" {
		for path, want := range map[string]os.FileMode{dir: 0o700, filepath.Join(dir, KeyFile): 0o600} {
			st, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if got := st.Mode().Perm(); got != want {
				t.Errorf("%s: mode %04o, want %04o", path, got, want)
			}
		}
	}
	again, created, err := Open(dir)
	if err != nil || created {
		t.Fatalf("second Open: created=%v err=%v", created, err)
	}
	if again.Fingerprint() != ca.Fingerprint() {
		t.Errorf("second Open loaded another CA: %s vs %s", again.Fingerprint(), ca.Fingerprint())
	}
	if _, err := Create(dir); err == nil || !strings.Contains(err.Error(), "refusing to replace") {
		t.Errorf("Create over an existing CA: %v", err)
	}
	if _, err := Load(t.TempDir()); err == nil || !strings.Contains(err.Error(), "golocal trust") {
		t.Errorf("Load of an empty dir: %v", err)
	}
}

func TestCACertificate(t *testing.T) {
	c := newTestCA(t).Certificate()
	if c.PublicKeyAlgorithm != x509.ECDSA || c.PublicKey.(*ecdsa.PublicKey).Curve != elliptic.P256() {
		t.Errorf("key: %v", c.PublicKeyAlgorithm)
	}
	if !c.IsCA || !c.MaxPathLenZero || c.KeyUsage&x509.KeyUsageCertSign == 0 {
		t.Errorf("not a path-length-0 CA: IsCA=%v MaxPathLenZero=%v", c.IsCA, c.MaxPathLenZero)
	}
	if !slices.Equal(c.PermittedDNSDomains, PermittedDNS) {
		t.Errorf("permitted DNS %v, want %v", c.PermittedDNSDomains, PermittedDNS)
	}
	var ranges []string
	for _, r := range c.PermittedIPRanges {
		ranges = append(ranges, r.String())
	}
	if !slices.Equal(ranges, PermittedIPRanges) {
		t.Errorf("permitted IP ranges %v, want %v", ranges, PermittedIPRanges)
	}
	nameConstraints := asn1.ObjectIdentifier{2, 5, 29, 30}
	found := false
	for _, ext := range c.Extensions {
		if ext.Id.Equal(nameConstraints) {
			found = true
			if !ext.Critical {
				t.Error("name constraints extension is not critical")
			}
		}
	}
	if !found {
		t.Error("no name constraints extension")
	}
	if !slices.Equal(c.ExtKeyUsage, []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}) {
		t.Errorf("CA extended key usage %v, want server auth only", c.ExtKeyUsage)
	}
}

func verify(ca *CA, leaf *x509.Certificate, name string) error {
	roots := x509.NewCertPool()
	roots.AddCert(ca.Certificate())
	_, err := leaf.Verify(x509.VerifyOptions{DNSName: name, Roots: roots})
	return err
}

func TestLeafNames(t *testing.T) {
	ca := newTestCA(t)
	leaf, err := ca.Issue(LeafNames(net.ParseIP("192.168.1.20")), time.Now())
	if err != nil {
		t.Fatal(err)
	}
	good := []string{"localhost", "app.localhost", "api.localhost", "127.0.0.1", "::1", "192.168.1.20"}
	bad := []string{"example.com", "localhost.example.com", "a.b.localhost", "127.0.0.2", "192.168.1.21", "8.8.8.8", "::2", "local", "foo.test"}
	for _, n := range good {
		if err := verify(ca, leaf.Leaf, n); err != nil {
			t.Errorf("%s: %v", n, err)
		}
	}
	for _, n := range bad {
		if err := verify(ca, leaf.Leaf, n); err == nil {
			t.Errorf("%s: the leaf validates for a name it was not issued for", n)
		}
	}
}

// TestConstraintsEnforced signs, with the CA's own key and without
// golocal's checks, leaves for names outside the constraints: Go's
// verifier must refuse them because of the CA, whatever the leaf says.
func TestConstraintsEnforced(t *testing.T) {
	ca := newTestCA(t)
	cases := []struct {
		name string
		tmpl x509.Certificate
	}{
		{"public DNS", x509.Certificate{DNSNames: []string{"example.com"}}},
		{"public DNS below localhost", x509.Certificate{DNSNames: []string{"localhost.example.com"}}},
		{"public IPv4", x509.Certificate{IPAddresses: []net.IP{net.ParseIP("8.8.8.8")}}},
		{"public IPv6", x509.Certificate{IPAddresses: []net.IP{net.ParseIP("2001:db8::1")}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
			tmpl := tc.tmpl
			tmpl.Subject = pkix.Name{CommonName: "x"}
			tmpl.NotBefore, tmpl.NotAfter = time.Now().Add(-time.Hour), time.Now().Add(time.Hour)
			tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
			der, err := x509.CreateCertificate(rand.Reader, &tmpl, ca.cert, &key.PublicKey, ca.key)
			if err != nil {
				t.Fatal(err)
			}
			leaf, _ := x509.ParseCertificate(der)
			name := append(tmpl.DNSNames, "")[0]
			if name == "" {
				name = tmpl.IPAddresses[0].String()
			}
			err = verify(ca, leaf, name)
			if _, ok := err.(x509.CertificateInvalidError); !ok || !strings.Contains(err.Error(), "constraint") {
				t.Errorf("verify %s: %v, want a name constraint violation", name, err)
			}
		})
	}
}

func TestIssueRefusesNamesOutsideConstraints(t *testing.T) {
	ca := newTestCA(t)
	for _, names := range [][]string{{"example.com"}, {"localhost", "8.8.8.8"}, {"100.64.0.1"}, {""}, {"test"}} {
		if _, err := ca.Issue(names, time.Now()); err == nil {
			t.Errorf("Issue(%q) succeeded", names)
		}
	}
	if _, err := ca.Issue([]string{"myapp.local", "api.test", "10.1.2.3", "fe80::1"}, time.Now()); err != nil {
		t.Errorf("permitted names refused: %v", err)
	}
}

func writeCA(t *testing.T, dir string, cert, key []byte) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if cert != nil {
		if err := os.WriteFile(filepath.Join(dir, CertFile), cert, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if key != nil {
		if err := os.WriteFile(filepath.Join(dir, KeyFile), key, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

func TestLoadRefusesBadCA(t *testing.T) {
	good := newTestCA(t)
	other := newTestCA(t)
	goodKey, _ := os.ReadFile(filepath.Join(good.Dir(), KeyFile))
	otherKey, _ := os.ReadFile(filepath.Join(other.Dir(), KeyFile))
	p384, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	p384DER, _ := x509.MarshalECPrivateKey(p384)
	p384PEM := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: p384DER})
	leaf, _ := good.Issue([]string{"localhost"}, time.Now())
	leafPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: leaf.Certificate[0]})
	encrypted := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Headers: map[string]string{"Proc-Type": "4,ENCRYPTED"}, Bytes: []byte{1}})

	cases := []struct {
		name      string
		cert, key []byte
		want      string
	}{
		{"garbage key", good.CertPEM(), []byte("not a key"), "no PEM block"},
		{"truncated key", good.CertPEM(), goodKey[:len(goodKey)/2], "no PEM block"},
		{"key of another CA", good.CertPEM(), otherKey, "does not belong"},
		{"P-384 key", good.CertPEM(), p384PEM, "not an ECDSA P-256 key"},
		{"encrypted key", good.CertPEM(), encrypted, "PEM headers"},
		{"two keys", good.CertPEM(), append(slices.Clone(goodKey), goodKey...), "more than one PEM block"},
		{"key where the cert goes", goodKey, goodKey, "want CERTIFICATE"},
		{"empty certificate", []byte{}, goodKey, "no PEM block"},
		{"leaf as CA", leafPEM, goodKey, "not a CA"},
		{"huge certificate", make([]byte, maxPEM+10), goodKey, "larger than"},
		{"missing key", good.CertPEM(), nil, "no such file"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "ca")
			writeCA(t, dir, tc.cert, tc.key)
			_, err := Load(dir)
			if err == nil {
				t.Fatal("loaded")
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "golocal trust --install") {
				t.Errorf("error %q: want %q and how to regenerate", err, tc.want)
			}
		})
	}
	if _, err := ParseCA(good.CertPEM(), goodKey, time.Now().Add(CAValidity+time.Hour)); err == nil || !strings.Contains(err.Error(), "expired") {
		t.Errorf("expired CA: %v", err)
	}
}

func TestLoadRefusesOpenPermissions(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no permission bits on Windows")
	}
	if os.Geteuid() == 0 {
		t.Log("running as root: permission bits are still read, so the check still applies")
	}
	cases := []struct {
		name, file string
		mode       os.FileMode
		want       string
	}{
		{"group-readable dir", "", 0o750, "chmod 700"},
		{"world-readable dir", "", 0o755, "chmod 700"},
		{"world-readable key", KeyFile, 0o644, "chmod 600"},
		{"group-writable key", KeyFile, 0o620, "chmod 600"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ca := newTestCA(t)
			path := filepath.Join(ca.Dir(), tc.file)
			if err := os.Chmod(path, tc.mode); err != nil {
				t.Fatal(err)
			}
			_, err := Load(ca.Dir())
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "regenerate") {
				t.Errorf("Load: %v; want %q and how to regenerate", err, tc.want)
			}
		})
	}
}

func TestLeafRenewal(t *testing.T) {
	now := time.Now()
	lan := LeafNames(net.ParseIP("10.0.0.5"))
	cases := []struct {
		name    string
		prepare func(t *testing.T, ca *CA)
		names   []string
		renewed bool
	}{
		{"valid leaf reused", func(t *testing.T, ca *CA) { store(t, ca, DefaultNames, now.Add(-24*time.Hour)) }, DefaultNames, false},
		{"expired leaf", func(t *testing.T, ca *CA) { store(t, ca, DefaultNames, now.Add(-LeafValidity-time.Hour)) }, DefaultNames, true},
		{"near expiry", func(t *testing.T, ca *CA) { store(t, ca, DefaultNames, now.Add(-LeafValidity+RenewBefore/2)) }, DefaultNames, true},
		{"missing LAN name", func(t *testing.T, ca *CA) { store(t, ca, DefaultNames, now) }, lan, true},
		{"corrupt leaf", func(t *testing.T, ca *CA) {
			os.WriteFile(filepath.Join(ca.Dir(), LeafFile), []byte("junk"), 0o644)
			os.WriteFile(filepath.Join(ca.Dir(), LeafKeyFile), []byte("junk"), 0o600)
		}, DefaultNames, true},
		{"leaf of another CA", func(t *testing.T, ca *CA) {
			other := newTestCA(t)
			other.dir = ca.dir
			store(t, other, DefaultNames, now)
		}, DefaultNames, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ca := newTestCA(t)
			tc.prepare(t, ca)
			before, _ := os.ReadFile(filepath.Join(ca.Dir(), LeafFile))
			leaf, err := ca.Leaf(tc.names, now)
			if err != nil {
				t.Fatal(err)
			}
			after, _ := os.ReadFile(filepath.Join(ca.Dir(), LeafFile))
			if renewed := string(before) != string(after); renewed != tc.renewed {
				t.Errorf("renewed=%v, want %v", renewed, tc.renewed)
			}
			if err := ca.check(leaf.Leaf, tc.names, now); err != nil {
				t.Errorf("the returned leaf is not good: %v", err)
			}
		})
	}
}

// store issues a leaf at issued and writes it as the stored leaf of ca.
func store(t *testing.T, ca *CA, names []string, issued time.Time) {
	t.Helper()
	_, files, err := ca.issue(names, issued)
	if err != nil {
		t.Fatal(err)
	}
	if err := writeFile(filepath.Join(ca.Dir(), LeafFile), files[0], 0o644); err != nil {
		t.Fatal(err)
	}
	if err := writeFile(filepath.Join(ca.Dir(), LeafKeyFile), files[1], 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestRenewWhileServing moves the renewer's clock past RenewBefore: the
// next handshake gets a fresh leaf.
func TestRenewWhileServing(t *testing.T) {
	ca := newTestCA(t)
	clock := time.Now()
	r := &renewer{ca: ca, names: DefaultNames, now: func() time.Time { return clock }}
	first, err := r.get()
	if err != nil {
		t.Fatal(err)
	}
	clock = clock.Add(LeafValidity - RenewBefore/2)
	second, err := r.get()
	if err != nil {
		t.Fatal(err)
	}
	if second.Leaf.SerialNumber.Cmp(first.Leaf.SerialNumber) == 0 {
		t.Fatal("leaf not renewed near its end")
	}
	if !second.Leaf.NotAfter.After(clock.Add(RenewBefore)) {
		t.Errorf("renewed leaf ends %s, too soon", second.Leaf.NotAfter)
	}
}

func FuzzParseCA(f *testing.F) {
	ca, keyDER, err := newCA(time.Now())
	if err != nil {
		f.Fatal(err)
	}
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
	f.Add(ca.certPEM, keyPEM)
	f.Add([]byte("-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n"), []byte{})
	f.Add(keyPEM, ca.certPEM)
	f.Fuzz(func(t *testing.T, cert, key []byte) {
		got, err := ParseCA(cert, key, time.Now())
		if err == nil && (got.cert == nil || got.key == nil) {
			t.Fatal("no error and no CA")
		}
		leaf, err := ParseLeaf(cert, key)
		if err == nil && leaf == nil {
			t.Fatal("no error and no leaf")
		}
	})
}
