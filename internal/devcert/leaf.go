package devcert

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"net"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// LeafValidity is how long a leaf certificate is valid; RenewBefore is how
// long before its end a leaf is replaced (on load and while serving).
const (
	LeafValidity = 30 * 24 * time.Hour
	RenewBefore  = 10 * 24 * time.Hour
)

// DefaultNames are the names every dev leaf covers.
var DefaultNames = []string{"localhost", "*.localhost", "127.0.0.1", "::1"}

// LeafNames returns DefaultNames plus the given LAN addresses (each must
// be permitted by the CA's constraints; Issue says which is not).
func LeafNames(lan ...net.IP) []string {
	names := slices.Clone(DefaultNames)
	for _, ip := range lan {
		names = append(names, ip.String())
	}
	return names
}

// normalizeNames splits names into DNS names and IP addresses, sorted and
// without duplicates, and checks each against the CA's constraints so that
// a name the CA may not sign is refused here with a reason rather than by
// the browser.
func normalizeNames(names []string) (dns []string, ips []net.IP, err error) {
	seen := map[string]bool{}
	for _, n := range names {
		n = strings.ToLower(strings.TrimSuffix(strings.TrimSpace(n), "."))
		if n == "" || seen[n] {
			continue
		}
		seen[n] = true
		if ip := net.ParseIP(n); ip != nil {
			if !permittedIP(ip) {
				return nil, nil, fmt.Errorf("%s is not a loopback, private or link-local address, so the golocal CA may not sign it; use a LAN address such as 192.168.x.y", n)
			}
			ips = append(ips, ip)
			continue
		}
		if !permittedDNS(n) {
			return nil, nil, fmt.Errorf("%q is outside the names the golocal CA may sign (localhost, *.localhost, *.local, *.test)", n)
		}
		dns = append(dns, n)
	}
	if len(dns)+len(ips) == 0 {
		return nil, nil, fmt.Errorf("a leaf certificate needs at least one name")
	}
	sort.Strings(dns)
	sort.Slice(ips, func(i, j int) bool { return bytes.Compare(ips[i].To16(), ips[j].To16()) < 0 })
	return dns, ips, nil
}

func permittedIP(ip net.IP) bool {
	for _, r := range PermittedIPRanges {
		if _, n, err := net.ParseCIDR(r); err == nil && n.Contains(ip) {
			return true
		}
	}
	return false
}

func permittedDNS(name string) bool {
	name = strings.TrimPrefix(name, "*.")
	if name == "localhost" || strings.HasSuffix(name, ".localhost") {
		return true
	}
	for _, suffix := range []string{".local", ".test"} {
		if strings.HasSuffix(name, suffix) && len(name) > len(suffix) {
			return true
		}
	}
	return false
}

// Issue signs a new leaf for names, valid from now for LeafValidity.
func (ca *CA) Issue(names []string, now time.Time) (*tls.Certificate, error) {
	cert, _, err := ca.issue(names, now)
	return cert, err
}

// issue returns the leaf and its PEM files (certificate chain, key).
func (ca *CA) issue(names []string, now time.Time) (*tls.Certificate, [2][]byte, error) {
	var files [2][]byte
	dns, ips, err := normalizeNames(names)
	if err != nil {
		return nil, files, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, files, err
	}
	cn := "localhost"
	if len(dns) > 0 {
		cn = dns[0]
	}
	tmpl := &x509.Certificate{
		Subject:     pkix.Name{Organization: []string{"golocal development certificate"}, CommonName: cn},
		NotBefore:   now.Add(-time.Hour), // phones with a slightly slow clock
		NotAfter:    now.Add(LeafValidity),
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:    dns,
		IPAddresses: ips,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		return nil, files, fmt.Errorf("signing the leaf certificate: %w", err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, files, err
	}
	files[0] = append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), ca.certPEM...)
	files[1] = pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
	leaf, err := tls.X509KeyPair(files[0], files[1])
	if err != nil {
		return nil, files, err
	}
	return &leaf, files, nil
}

// Leaf returns a leaf for names, reusing the one stored in the CA
// directory when it was signed by this CA, covers every name, and has more
// than RenewBefore left; otherwise it issues one and stores it.
func (ca *CA) Leaf(names []string, now time.Time) (*tls.Certificate, error) {
	if ca.dir != "" {
		if leaf := ca.storedLeaf(names, now); leaf != nil {
			return leaf, nil
		}
	}
	leaf, files, err := ca.issue(names, now)
	if err != nil {
		return nil, err
	}
	if ca.dir != "" {
		if err := writeFile(filepath.Join(ca.dir, LeafKeyFile), files[1], 0o600); err != nil {
			return nil, fmt.Errorf("storing the leaf key: %w", err)
		}
		if err := writeFile(filepath.Join(ca.dir, LeafFile), files[0], 0o644); err != nil {
			return nil, fmt.Errorf("storing the leaf certificate: %w", err)
		}
	}
	return leaf, nil
}

// storedLeaf returns the stored leaf when it is still good for names at
// now, or nil. Any problem with it only means a new one is issued.
func (ca *CA) storedLeaf(names []string, now time.Time) *tls.Certificate {
	certPEM, err1 := readSmall(filepath.Join(ca.dir, LeafFile))
	keyPEM, err2 := readSmall(filepath.Join(ca.dir, LeafKeyFile))
	if err1 != nil || err2 != nil {
		return nil
	}
	leaf, err := ParseLeaf(certPEM, keyPEM)
	if err != nil || ca.check(leaf.Leaf, names, now) != nil {
		return nil
	}
	return leaf
}

// ParseLeaf parses a stored leaf: its certificate chain and its key (PEM).
func ParseLeaf(certPEM, keyPEM []byte) (*tls.Certificate, error) {
	if len(certPEM) > maxPEM || len(keyPEM) > maxPEM {
		return nil, fmt.Errorf("leaf files larger than %d bytes", maxPEM)
	}
	if _, err := parseKeyPEM(keyPEM, LeafKeyFile); err != nil {
		return nil, err
	}
	leaf, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", LeafFile, err)
	}
	return &leaf, nil // Go 1.23+ fills leaf.Leaf
}

// check reports why leaf is not good for names at now, or nil.
func (ca *CA) check(leaf *x509.Certificate, names []string, now time.Time) error {
	if leaf == nil {
		return fmt.Errorf("no parsed leaf")
	}
	if now.Add(RenewBefore).After(leaf.NotAfter) || now.Before(leaf.NotBefore) {
		return fmt.Errorf("the leaf expires on %s", leaf.NotAfter.Format(time.RFC3339))
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca.cert)
	for _, n := range names {
		if rest, ok := strings.CutPrefix(n, "*."); ok {
			n = "golocal-check." + rest // a name the wildcard must cover
		}
		opts := x509.VerifyOptions{DNSName: n, Roots: roots, CurrentTime: now}
		if _, err := leaf.Verify(opts); err != nil {
			return err
		}
	}
	return nil
}

// ServerConfig returns a TLS configuration serving a leaf for names that
// is renewed while serving once it is within RenewBefore of its end, and
// that offers HTTP/2 and HTTP/1.1.
func (ca *CA) ServerConfig(names []string) (*tls.Config, error) {
	r := &renewer{ca: ca, names: names, now: time.Now}
	if _, err := r.get(); err != nil {
		return nil, err
	}
	return &tls.Config{
		MinVersion:     tls.VersionTLS12,
		NextProtos:     []string{"h2", "http/1.1"},
		GetCertificate: func(*tls.ClientHelloInfo) (*tls.Certificate, error) { return r.get() },
	}, nil
}

// renewer hands out the current leaf and replaces it when it is near its
// end, so a dev server left running for weeks keeps a valid certificate.
type renewer struct {
	ca    *CA
	names []string
	now   func() time.Time

	mu   sync.Mutex
	leaf *tls.Certificate
}

func (r *renewer) get() (*tls.Certificate, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	now := r.now()
	if r.leaf != nil && now.Add(RenewBefore).Before(r.leaf.Leaf.NotAfter) {
		return r.leaf, nil
	}
	leaf, err := r.ca.Leaf(r.names, now)
	if err != nil {
		if r.leaf != nil && now.Before(r.leaf.Leaf.NotAfter) {
			return r.leaf, nil // keep serving the old one while it is valid
		}
		return nil, err
	}
	r.leaf = leaf
	return leaf, nil
}

// Permitted reports whether the CA may sign name (a DNS name or an IP
// address): whether it is inside the CA's name constraints.
func Permitted(name string) bool {
	_, _, err := normalizeNames([]string{name})
	return err == nil
}
