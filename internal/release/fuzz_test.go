package release

import (
	"testing"
)

// FuzzDecodeStatement feeds attestation layers as a registry could serve
// them: decoding must fail with an error, never panic.
func FuzzDecodeStatement(f *testing.F) {
	f.Add([]byte(`{"payloadType":"application/vnd.in-toto+json","payload":"e30=","signatures":[]}`))
	f.Add([]byte(`{"payloadType":"text/plain","payload":"!!"}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		st, err := decodeStatement(b)
		if err == nil && st == nil {
			t.Fatal("nil statement without an error")
		}
	})
}

func FuzzLoadPrivateKey(f *testing.F) {
	priv, _ := testKey()
	f.Add(priv, []byte("test password"))
	f.Add([]byte("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n"), []byte(""))
	f.Fuzz(func(t *testing.T, pemBytes, pw []byte) {
		if len(pemBytes) > 4096 {
			return
		}
		k, err := LoadPrivateKey(pemBytes, pw)
		if err == nil && k == nil {
			t.Fatal("nil key without an error")
		}
	})
}
