package release

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"os"

	"github.com/secure-systems-lab/go-securesystemslib/encrypted"
)

// PEM block types of cosign's key files. Older cosign releases wrote
// "ENCRYPTED COSIGN PRIVATE KEY"; both are read.
const (
	PrivateKeyPEMType       = "ENCRYPTED SIGSTORE PRIVATE KEY"
	legacyPrivateKeyPEMType = "ENCRYPTED COSIGN PRIVATE KEY"
	PublicKeyPEMType        = "PUBLIC KEY"
)

// ErrWrongPassword is returned when a key file does not decrypt.
var ErrWrongPassword = errors.New("wrong password for the private key")

// GenerateKeyPair makes an ECDSA P-256 key pair in cosign's file format:
// the private key as PKCS #8, encrypted with password (scrypt + NaCl
// secretbox, securesystemslib's "encrypted" format) in a PEM block, and the
// public key as a PKIX PEM block. `cosign verify --key` reads the public key;
// `cosign sign --key` would read the private one.
func GenerateKeyPair(password []byte) (privPEM, pubPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	enc, err := encrypted.Encrypt(der, password)
	if err != nil {
		return nil, nil, err
	}
	pubDER, err := x509.MarshalPKIXPublicKey(key.Public())
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: PrivateKeyPEMType, Bytes: enc}),
		pem.EncodeToMemory(&pem.Block{Type: PublicKeyPEMType, Bytes: pubDER}), nil
}

// WriteKeyPair writes cosign.key and cosign.pub style files, refusing to
// overwrite either.
func WriteKeyPair(privPath, pubPath string, password []byte) error {
	for _, p := range []string{privPath, pubPath} {
		if _, err := os.Stat(p); err == nil {
			return fmt.Errorf("%s already exists: remove it or choose another --output prefix (a key is never overwritten)", p)
		}
	}
	priv, pub, err := GenerateKeyPair(password)
	if err != nil {
		return err
	}
	if err := os.WriteFile(privPath, priv, 0o600); err != nil {
		return err
	}
	return os.WriteFile(pubPath, pub, 0o644)
}

// LoadPrivateKey decrypts a cosign private key file.
func LoadPrivateKey(pemBytes, password []byte) (crypto.Signer, error) {
	block, _ := pem.Decode(pemBytes)
	if block == nil {
		return nil, errors.New("not a PEM file: want a cosign private key (golocal release keygen makes one)")
	}
	if block.Type != PrivateKeyPEMType && block.Type != legacyPrivateKeyPEMType {
		return nil, fmt.Errorf("PEM block %q is not an encrypted cosign private key (want %q)", block.Type, PrivateKeyPEMType)
	}
	der, err := encrypted.Decrypt(block.Bytes, password)
	if err != nil {
		return nil, fmt.Errorf("%w (%v): check COSIGN_PASSWORD", ErrWrongPassword, err)
	}
	key, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("private key: %v", err)
	}
	signer, ok := key.(*ecdsa.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("private key is %T: only ECDSA keys (what cosign generates) are supported", key)
	}
	return signer, nil
}

// LoadPublicKey parses a PKIX PEM public key.
func LoadPublicKey(pemBytes []byte) (crypto.PublicKey, error) {
	block, _ := pem.Decode(pemBytes)
	if block == nil || block.Type != PublicKeyPEMType {
		return nil, errors.New("not a PEM public key: want the cosign.pub written next to the private key")
	}
	return x509.ParsePKIXPublicKey(block.Bytes)
}
