// Package devcert is golocal's local certificate authority: the CA that
// "golocal trust" creates and installs, and the leaf certificates that
// "golocal dev --https" serves with.
//
// Open the CA (created on first use) and get a TLS configuration whose
// certificate covers the dev names and renews itself before it expires:
//
//	dir, err := devcert.Dir(os.Getenv) // $GOLOCAL_CA_DIR or <user config>/golocal/ca
//	ca, created, err := devcert.Open(dir)
//	cfg, err := ca.ServerConfig(devcert.LeafNames(lanIPs...))
//	srv := &http.Server{TLSConfig: cfg} // ServeTLS(ln, "", "") adds HTTP/2
//
// # What the CA may sign
//
// The CA is ECDSA P-256 and carries name constraints ([RFC 5280] §4.2.1.10),
// marked critical as the RFC requires, that limit it to development names:
// DNS localhost and its subdomains, .local (mDNS) and .test
// ([RFC 6761]); IP addresses in loopback (127.0.0.0/8, ::1), the private
// ranges of [RFC 1918] (10/8, 172.16/12, 192.168/16), link-local
// (169.254/16, fe80::/10) and IPv6 unique local addresses (fc00::/7). Its
// extended key usage is server authentication only. Verifiers that honour
// constraints on a trust anchor (Go, NSS — Firefox and Chromium on Linux —,
// Chrome's own verifier, Windows CryptoAPI, current Apple platforms) then
// reject any certificate it signed for another name, so a stolen key cannot
// impersonate a real site to them. A verifier that ignores the constraints
// of a root sees an unconstrained CA; that is why the key file is 0600, its
// directory 0700, and it never leaves the machine.
//
// # Files
//
// The CA directory holds ca.pem (the certificate, the one thing to share
// with browsers and phones), ca-key.pem, and the current leaf (leaf.pem,
// leaf-key.pem). Load refuses a directory or key that others can read and
// a corrupt or mismatched CA, with the command that fixes it. The leaf is
// a cache: an expired, nearly expired, corrupt or too narrow leaf is
// issued anew.
//
// [RFC 5280]: https://www.rfc-editor.org/rfc/rfc5280#section-4.2.1.10
// [RFC 6761]: https://www.rfc-editor.org/rfc/rfc6761
// [RFC 1918]: https://www.rfc-editor.org/rfc/rfc1918
package devcert
