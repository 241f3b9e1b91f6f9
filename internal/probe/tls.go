package probe

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"time"
)

// ExpiryWarning is how close to its expiry a certificate gets a warning.
const ExpiryWarning = 30 * 24 * time.Hour

// TLSInfo summarises a TLS connection for the report.
type TLSInfo struct {
	Version string `json:"version"` // "TLS 1.3"
	Cipher  string `json:"cipher"`  // "TLS_AES_128_GCM_SHA256"
	ALPN    string `json:"alpn,omitempty"`
	// ServerName is the name the certificate was checked against (SNI).
	ServerName string     `json:"server_name,omitempty"`
	Chain      []CertInfo `json:"chain"`
	// VerifyError is set when the certificate would not be trusted (the
	// probe ran with -k).
	VerifyError string `json:"verify_error,omitempty"`
	// Warnings: expiry within 30 days, expired, not trusted.
	Warnings []string `json:"warnings,omitempty"`
}

// CertInfo is one certificate of the chain, leaf first.
type CertInfo struct {
	Subject   string    `json:"subject"`
	Issuer    string    `json:"issuer"`
	NotBefore time.Time `json:"not_before"`
	NotAfter  time.Time `json:"not_after"`
	DaysLeft  int       `json:"days_left"`
	SANs      []string  `json:"sans,omitempty"`
}

// SummarizeTLS describes cs; now is the clock the expiry is measured
// against. It returns nil for a nil state.
func SummarizeTLS(cs *tls.ConnectionState, verifyError string, now time.Time) *TLSInfo {
	if cs == nil {
		return nil
	}
	info := &TLSInfo{
		Version:     tls.VersionName(cs.Version),
		Cipher:      tls.CipherSuiteName(cs.CipherSuite),
		ALPN:        cs.NegotiatedProtocol,
		ServerName:  cs.ServerName,
		VerifyError: verifyError,
		Chain:       []CertInfo{},
	}
	for i, c := range cs.PeerCertificates {
		ci := CertInfo{
			Subject:   escapeName(c.Subject.String()),
			Issuer:    escapeName(c.Issuer.String()),
			NotBefore: c.NotBefore.UTC(),
			NotAfter:  c.NotAfter.UTC(),
			DaysLeft:  int(c.NotAfter.Sub(now).Hours() / 24),
		}
		for _, d := range c.DNSNames {
			ci.SANs = append(ci.SANs, escapeName(d))
		}
		for _, ip := range c.IPAddresses {
			ci.SANs = append(ci.SANs, ip.String())
		}
		info.Chain = append(info.Chain, ci)
		who := "the certificate"
		if i > 0 {
			who = fmt.Sprintf("chain certificate %d (%s)", i, ci.Subject)
		}
		switch left := c.NotAfter.Sub(now); {
		case left < 0:
			info.Warnings = append(info.Warnings, fmt.Sprintf("%s expired on %s", who, ci.NotAfter.Format(time.DateOnly)))
		case left < ExpiryWarning:
			info.Warnings = append(info.Warnings, fmt.Sprintf("%s expires in %d days (%s): renew it", who, ci.DaysLeft, ci.NotAfter.Format(time.DateOnly)))
		}
	}
	if verifyError != "" {
		info.Warnings = append(info.Warnings, "the certificate is not trusted: "+verifyError)
	}
	return info
}

func escapeName(s string) string { return escape(s) }

// verifyChain checks what -k skipped, so the report can still say whether
// the certificate would be trusted.
func verifyChain(cs tls.ConnectionState, host string, roots *x509.CertPool) error {
	if len(cs.PeerCertificates) == 0 {
		return fmt.Errorf("the server sent no certificate")
	}
	inter := x509.NewCertPool()
	for _, c := range cs.PeerCertificates[1:] {
		inter.AddCert(c)
	}
	_, err := cs.PeerCertificates[0].Verify(x509.VerifyOptions{DNSName: host, Roots: roots, Intermediates: inter})
	return err
}
