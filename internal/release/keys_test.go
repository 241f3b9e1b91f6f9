package release

import (
	"encoding/pem"
	"errors"
	"strings"
	"testing"
)

func TestKeyFiles(t *testing.T) {
	priv, pub := testKey()
	if b, _ := pem.Decode(priv); b == nil || b.Type != "ENCRYPTED SIGSTORE PRIVATE KEY" {
		t.Fatalf("private key PEM type %v", b)
	}
	if _, err := LoadPublicKey(pub); err != nil {
		t.Fatal(err)
	}
	legacy := strings.ReplaceAll(string(priv), "SIGSTORE", "COSIGN")
	for _, tc := range []struct {
		name, pem, pw string
		is            error
		want          string
	}{
		{"right password", string(priv), "test password", nil, ""},
		{"legacy PEM type", legacy, "test password", nil, ""},
		{"wrong password", string(priv), "nope", ErrWrongPassword, "COSIGN_PASSWORD"},
		{"not PEM", "hello", "x", nil, "not a PEM file"},
		{"public key given", string(pub), "x", nil, "not an encrypted cosign private key"},
	} {
		_, err := LoadPrivateKey([]byte(tc.pem), []byte(tc.pw))
		if tc.want == "" {
			if err != nil {
				t.Errorf("%s: %v", tc.name, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.want) || (tc.is != nil && !errors.Is(err, tc.is)) {
			t.Errorf("%s: %v, want %q", tc.name, err, tc.want)
		}
	}
}
