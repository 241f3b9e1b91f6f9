package cosigncheck

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/sha256"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sigstore/cosign/v2/pkg/cosign"
	cosignsig "github.com/sigstore/cosign/v2/pkg/signature"
	"github.com/sigstore/sigstore/pkg/cryptoutils"

	"github.com/golocal/golocal/internal/release"
)

// TestCosignReadsKeyFiles checks golocal's key files against cosign's key
// code in both directions: cosign decrypts golocal's private key (and
// refuses a wrong password), its signatures verify with golocal's public
// key, and golocal reads a key pair cosign generated.
func TestCosignReadsKeyFiles(t *testing.T) {
	ctx := context.Background()
	kp := keys(t, keyPair)
	dir := t.TempDir()
	privPath := filepath.Join(dir, "cosign.key")
	writeFile(t, privPath, kp.priv)

	// The path `cosign sign --key cosign.key` takes: a key reference,
	// the password from a PassFunc.
	sv, err := cosignsig.SignerVerifierFromKeyRef(ctx, privPath, func(bool) ([]byte, error) { return []byte(password), nil }, nil)
	if err != nil {
		t.Fatalf("cosign reading golocal's private key: %v", err)
	}
	pub, err := sv.PublicKey()
	if err != nil {
		t.Fatal(err)
	}
	pubPEM, err := cryptoutils.MarshalPublicKeyToPEM(pub)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(pubPEM, kp.pub) {
		t.Errorf("cosign derives public key\n%s\nfrom golocal's private key; golocal wrote\n%s", pubPEM, kp.pub)
	}
	msg := []byte("signed by cosign with golocal's key")
	sig, err := sv.SignMessage(bytes.NewReader(msg))
	if err != nil {
		t.Fatalf("cosign signing: %v", err)
	}
	gpub, err := release.LoadPublicKey(kp.pub)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.Sum256(msg)
	if !ecdsa.VerifyASN1(gpub.(*ecdsa.PublicKey), h[:], sig) {
		t.Error("a signature cosign made with golocal's private key does not verify with golocal's public key")
	}

	for _, tt := range []struct {
		name, password string
		ok             bool
	}{
		{"right password", password, true},
		{"wrong password", "not the password", false},
		{"empty password", "", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := cosign.LoadPrivateKey(kp.priv, []byte(tt.password), nil)
			if tt.ok && err != nil {
				t.Fatalf("cosign.LoadPrivateKey: %v", err)
			}
			if !tt.ok && (err == nil || !strings.Contains(err.Error(), "decrypt")) {
				t.Fatalf("cosign.LoadPrivateKey with the %s: %v, want a decryption error", tt.name, err)
			}
		})
	}

	t.Run("cosign's key pair read by golocal", func(t *testing.T) {
		k, err := cosign.GenerateKeyPair(func(bool) ([]byte, error) { return []byte(password), nil })
		if err != nil {
			t.Fatal(err)
		}
		signer, err := release.LoadPrivateKey(k.PrivateBytes, []byte(password))
		if err != nil {
			t.Fatalf("golocal reading cosign's private key: %v", err)
		}
		cpub, err := release.LoadPublicKey(k.PublicBytes)
		if err != nil {
			t.Fatalf("golocal reading cosign's public key: %v", err)
		}
		if !signer.Public().(*ecdsa.PublicKey).Equal(cpub) {
			t.Error("golocal reads a private key from cosign's key file that does not match cosign's public key")
		}
		if _, err := release.LoadPrivateKey(k.PrivateBytes, []byte("wrong")); err == nil {
			t.Error("golocal decrypted cosign's key with a wrong password")
		}
	})
}
