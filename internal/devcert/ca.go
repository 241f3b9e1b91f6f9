package devcert

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// EnvDir names the environment variable that overrides the CA directory
// (tests, CI, several CAs side by side).
const EnvDir = "GOLOCAL_CA_DIR"

// File names inside the CA directory.
const (
	CertFile    = "ca.pem"
	KeyFile     = "ca-key.pem"
	LeafFile    = "leaf.pem"
	LeafKeyFile = "leaf-key.pem"
)

// CAValidity is how long a new CA is valid.
const CAValidity = 10 * 365 * 24 * time.Hour

// PermittedDNS are the DNS name constraints of the CA. In Go's reading
// (and RFC 5280's) "localhost" permits localhost and every name below it;
// ".local" and ".test" permit only names below them.
var PermittedDNS = []string{"localhost", ".local", ".test"}

// PermittedIPRanges are the IP address constraints of the CA: loopback,
// RFC 1918 private ranges, link-local and IPv6 unique local addresses.
var PermittedIPRanges = []string{
	"127.0.0.0/8", "::1/128", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16",
	"169.254.0.0/16", "fc00::/7", "fe80::/10",
}

// ErrNoCA is wrapped by Load's error when the directory holds no CA yet.
var ErrNoCA = errors.New("no golocal CA yet")

// CA is a loaded local certificate authority.
type CA struct {
	dir     string
	cert    *x509.Certificate
	certPEM []byte
	key     *ecdsa.PrivateKey
}

// Dir returns the CA directory: $GOLOCAL_CA_DIR when set, else
// golocal/ca under the user's configuration directory
// (os.UserConfigDir: ~/.config on Linux, ~/Library/Application Support on
// macOS, %AppData% on Windows).
func Dir(getenv func(string) string) (string, error) {
	if d := getenv(EnvDir); d != "" {
		return filepath.Abs(d)
	}
	base, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("finding where to keep the golocal CA: %w; set %s to a directory", err, EnvDir)
	}
	return filepath.Join(base, "golocal", "ca"), nil
}

// Dir returns the directory the CA was loaded from.
func (ca *CA) Dir() string { return ca.dir }

// Certificate returns the CA certificate.
func (ca *CA) Certificate() *x509.Certificate { return ca.cert }

// CertPEM returns the CA certificate in PEM form (what browsers and phones
// import).
func (ca *CA) CertPEM() []byte { return ca.certPEM }

// CertPath returns the path of the CA certificate file.
func (ca *CA) CertPath() string { return filepath.Join(ca.dir, CertFile) }

// Fingerprint returns the SHA-256 fingerprint of the CA certificate as
// colon-separated upper-case hex, the form browsers and phones show.
func (ca *CA) Fingerprint() string {
	sum := sha256.Sum256(ca.cert.Raw)
	parts := make([]string, len(sum))
	for i, b := range sum {
		parts[i] = fmt.Sprintf("%02X", b)
	}
	return strings.Join(parts, ":")
}

// Open loads the CA in dir, creating it when there is none; created
// reports whether it was created now.
func Open(dir string) (ca *CA, created bool, err error) {
	ca, err = Load(dir)
	if err == nil || !errors.Is(err, ErrNoCA) {
		return ca, false, err
	}
	ca, err = Create(dir)
	return ca, err == nil, err
}

// Load reads the CA in dir. Its error wraps ErrNoCA when neither file
// exists; it refuses a directory or key readable by others and a corrupt,
// mismatched or expired CA, saying how to fix or regenerate it.
func Load(dir string) (*CA, error) {
	certPath, keyPath := filepath.Join(dir, CertFile), filepath.Join(dir, KeyFile)
	_, certErr := os.Stat(certPath)
	_, keyErr := os.Stat(keyPath)
	if errors.Is(certErr, fs.ErrNotExist) && errors.Is(keyErr, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w in %s; create one with: golocal trust", ErrNoCA, dir)
	}
	if err := checkPrivate(dir, keyPath); err != nil {
		return nil, err
	}
	certPEM, err := readSmall(certPath)
	if err != nil {
		return nil, fmt.Errorf("reading the golocal CA: %w; %s", err, regenerateHint(dir))
	}
	keyPEM, err := readSmall(keyPath)
	if err != nil {
		return nil, fmt.Errorf("reading the golocal CA key: %w; %s", err, regenerateHint(dir))
	}
	ca, err := ParseCA(certPEM, keyPEM, time.Now())
	if err != nil {
		return nil, fmt.Errorf("the golocal CA in %s is unusable: %w; %s", dir, err, regenerateHint(dir))
	}
	ca.dir = dir
	return ca, nil
}

// regenerateHint says how to start over with a new CA.
func regenerateHint(dir string) string {
	return fmt.Sprintf("to regenerate it run: golocal trust --uninstall; then remove %s and run golocal trust --install (browsers and phones must trust the new CA again)", dir)
}

// checkPrivate refuses a CA directory or key file that other users can
// read or write (on Windows, where permission bits mean nothing, the user
// profile's ACL protects the directory).
func checkPrivate(dir, keyPath string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	st, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("golocal CA directory: %w", err)
	}
	if !st.IsDir() {
		return fmt.Errorf("golocal CA directory %s is not a directory; remove it, or set %s to a directory", dir, EnvDir)
	}
	if perm := st.Mode().Perm(); perm&0o077 != 0 {
		return fmt.Errorf("golocal CA directory %s has mode %04o: other users can reach the key that your browsers trust; fix it with: chmod 700 %s (or, if someone may have copied the key, %s)", dir, perm, dir, regenerateHint(dir))
	}
	kst, err := os.Stat(keyPath)
	if err != nil {
		return fmt.Errorf("golocal CA key: %w; %s", err, regenerateHint(dir))
	}
	if perm := kst.Mode().Perm(); perm&0o077 != 0 {
		return fmt.Errorf("golocal CA key %s has mode %04o: other users can read the key that your browsers trust; fix it with: chmod 600 %s (or, if someone may have copied it, %s)", keyPath, perm, keyPath, regenerateHint(dir))
	}
	return nil
}

// maxPEM bounds the size of a CA or key file: real ones are under 1 kB.
const maxPEM = 64 << 10

// ParseCA parses a CA certificate and its key (PEM) and checks that they
// belong together and make a usable golocal CA at now. The returned CA has
// no directory.
func ParseCA(certPEM, keyPEM []byte, now time.Time) (*CA, error) {
	cert, err := parseCertPEM(certPEM, CertFile)
	if err != nil {
		return nil, err
	}
	if !cert.IsCA || !cert.BasicConstraintsValid {
		return nil, fmt.Errorf("%s is not a CA certificate", CertFile)
	}
	if cert.KeyUsage&x509.KeyUsageCertSign == 0 {
		return nil, fmt.Errorf("%s may not sign certificates (no certSign key usage)", CertFile)
	}
	if now.After(cert.NotAfter) {
		return nil, fmt.Errorf("%s expired on %s", CertFile, cert.NotAfter.Format(time.DateOnly))
	}
	key, err := parseKeyPEM(keyPEM, KeyFile)
	if err != nil {
		return nil, err
	}
	pub, ok := cert.PublicKey.(*ecdsa.PublicKey)
	if !ok || !pub.Equal(&key.PublicKey) {
		return nil, fmt.Errorf("%s does not belong to %s (the public keys differ)", KeyFile, CertFile)
	}
	return &CA{cert: cert, certPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}), key: key}, nil
}

// parseCertPEM reads exactly one CERTIFICATE block.
func parseCertPEM(data []byte, name string) (*x509.Certificate, error) {
	block, err := onePEM(data, name, "CERTIFICATE")
	if err != nil {
		return nil, err
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return cert, nil
}

// parseKeyPEM reads exactly one P-256 ECDSA key, in SEC 1 ("EC PRIVATE
// KEY") or PKCS #8 ("PRIVATE KEY") form.
func parseKeyPEM(data []byte, name string) (*ecdsa.PrivateKey, error) {
	block, err := onePEM(data, name, "EC PRIVATE KEY", "PRIVATE KEY")
	if err != nil {
		return nil, err
	}
	var key any
	if block.Type == "EC PRIVATE KEY" {
		key, err = x509.ParseECPrivateKey(block.Bytes)
	} else {
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	ec, ok := key.(*ecdsa.PrivateKey)
	if !ok || ec.Curve != elliptic.P256() {
		return nil, fmt.Errorf("%s is not an ECDSA P-256 key", name)
	}
	return ec, nil
}

// onePEM decodes data as a single PEM block of one of the given types,
// with nothing but white space around it.
func onePEM(data []byte, name string, types ...string) (*pem.Block, error) {
	if len(data) > maxPEM {
		return nil, fmt.Errorf("%s is %d bytes, too large for a certificate or key", name, len(data))
	}
	block, rest := pem.Decode(data)
	if block == nil {
		return nil, fmt.Errorf("%s holds no PEM block", name)
	}
	if len(strings.TrimSpace(string(rest))) != 0 {
		return nil, fmt.Errorf("%s holds more than one PEM block", name)
	}
	for _, t := range types {
		if block.Type == t {
			if len(block.Headers) != 0 {
				return nil, fmt.Errorf("%s: PEM headers are not expected (an encrypted key?)", name)
			}
			return block, nil
		}
	}
	return nil, fmt.Errorf("%s holds a %q PEM block; want %s", name, block.Type, strings.Join(types, " or "))
}

// Create makes a new CA in dir (created 0700 if missing) and writes its
// files; it refuses to replace an existing CA.
func Create(dir string) (*CA, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("creating the golocal CA directory: %w", err)
	}
	if err := os.Chmod(dir, 0o700); err != nil && runtime.GOOS != "windows" {
		return nil, fmt.Errorf("making the golocal CA directory private: %w", err)
	}
	for _, f := range []string{CertFile, KeyFile} {
		if _, err := os.Lstat(filepath.Join(dir, f)); err == nil {
			return nil, fmt.Errorf("%s already exists in %s; refusing to replace a CA that browsers may trust (%s)", f, dir, regenerateHint(dir))
		}
	}
	ca, keyDER, err := newCA(time.Now())
	if err != nil {
		return nil, err
	}
	ca.dir = dir
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER})
	if err := writeFile(filepath.Join(dir, KeyFile), keyPEM, 0o600); err != nil {
		return nil, err
	}
	if err := writeFile(filepath.Join(dir, CertFile), ca.certPEM, 0o644); err != nil {
		return nil, err
	}
	return ca, nil
}

// newCA generates the key and the self-signed, name-constrained CA
// certificate.
func newCA(now time.Time) (*CA, []byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	var ipRanges []*net.IPNet
	for _, r := range PermittedIPRanges {
		_, n, err := net.ParseCIDR(r)
		if err != nil {
			return nil, nil, err
		}
		ipRanges = append(ipRanges, n)
	}
	tmpl := &x509.Certificate{
		// A nil SerialNumber makes CreateCertificate pick a random
		// RFC 5280 serial.
		Subject:               pkix.Name{Organization: []string{"golocal development CA"}, CommonName: "golocal development CA " + owner()},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(CAValidity),
		IsCA:                  true,
		BasicConstraintsValid: true,
		MaxPathLenZero:        true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},

		PermittedDNSDomainsCritical: true,
		PermittedDNSDomains:         PermittedDNS,
		PermittedIPRanges:           ipRanges,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, fmt.Errorf("creating the CA certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, err
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	return &CA{cert: cert, certPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), key: key}, keyDER, nil
}

// owner names the CA after user@host, so that a trust store listing shows
// whose CA it is.
func owner() string {
	name := "user"
	if u, err := user.Current(); err == nil && u.Username != "" {
		name = u.Username
	}
	if h, err := os.Hostname(); err == nil && h != "" {
		name += "@" + h
	}
	return name
}

// writeFile writes data to path with perm through a temporary file and a
// rename, so a crash never leaves half a key.
func writeFile(path string, data []byte, perm os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(perm); err != nil && runtime.GOOS != "windows" {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// readSmall reads a file of at most maxPEM bytes.
func readSmall(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxPEM+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxPEM {
		return nil, fmt.Errorf("%s is larger than %d bytes", path, maxPEM)
	}
	return data, nil
}
