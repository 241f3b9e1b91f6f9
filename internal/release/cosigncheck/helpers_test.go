package cosigncheck

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/sigstore/cosign/v2/pkg/cosign"
	"github.com/sigstore/cosign/v2/pkg/oci"
	ociremote "github.com/sigstore/cosign/v2/pkg/oci/remote"
	cosignsig "github.com/sigstore/cosign/v2/pkg/signature"
	"github.com/sigstore/sigstore/pkg/signature"

	"github.com/golocal/golocal/internal/release"
)

// password encrypts the test private key.
const password = "test password"

// wantTypes are the predicate types every golocal release attests.
var wantTypes = []string{release.SLSAProvenanceV1, release.CycloneDXBOM, release.SPDXDocument}

// hostPlatform is the platform the fixture is built for.
var hostPlatform = v1.Platform{OS: "linux", Architecture: runtime.GOARCH}

// keyPair is golocal's key pair (private and public PEM) for the whole test
// binary: scrypt makes each key file slow to write and read, on purpose.
var keyPair = sync.OnceValues(func() (keyPEMs, error) {
	priv, pub, err := release.GenerateKeyPair([]byte(password))
	return keyPEMs{priv, pub}, err
})

// otherKeyPair is a second, unrelated key pair.
var otherKeyPair = sync.OnceValues(func() (keyPEMs, error) {
	priv, pub, err := release.GenerateKeyPair([]byte("another password"))
	return keyPEMs{priv, pub}, err
})

type keyPEMs struct{ priv, pub []byte }

// keys returns kp's PEM files, failing t if they could not be made.
func keys(t *testing.T, kp func() (keyPEMs, error)) keyPEMs {
	t.Helper()
	k, err := kp()
	if err != nil {
		t.Fatalf("golocal key pair: %v", err)
	}
	return k
}

const helloMain = `package main

import "fmt"

func main() { fmt.Println("hello") }
`

// fixtureRepo makes a one-commit git repository holding a module with a
// main package and returns its directory.
func fixtureRepo(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "go.mod"), []byte("module example.com/hello\n\ngo 1.26\n"))
	writeFile(t, filepath.Join(dir, "main.go"), []byte(helloMain))
	for _, args := range [][]string{{"init", "-q"}, {"add", "."}, {"commit", "-q", "-m", "hello"}} {
		cmd := exec.Command("git", append([]string{"-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false"}, args...)...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	return dir
}

func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// buildRelease builds the fixture as image (REPO:TAG), signed with
// golocal's test key.
func buildRelease(t *testing.T, image string) *release.Artifact {
	t.Helper()
	key, err := release.LoadPrivateKey(keys(t, keyPair).priv, []byte(password))
	if err != nil {
		t.Fatalf("golocal reading its own key: %v", err)
	}
	a, err := release.Build(context.Background(), release.Options{
		Dir: fixtureRepo(t), Image: image, Platforms: []v1.Platform{hostPlatform}, Key: key, Tool: "test",
	})
	if err != nil {
		t.Fatalf("release.Build: %v", err)
	}
	return a
}

// pushRelease starts go-containerregistry's registry on loopback, builds
// the fixture and pushes it there with golocal's Push.
func pushRelease(t *testing.T) *release.Artifact {
	t.Helper()
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	a := buildRelease(t, strings.TrimPrefix(srv.URL, "http://")+"/team/hello:v1")
	if _, err := a.Push(context.Background()); err != nil {
		t.Fatalf("golocal push: %v", err)
	}
	return a
}

// verifier loads pubPEM the way `cosign verify --key cosign.pub` does:
// from a file, through cosign's key reference resolution.
func verifier(t *testing.T, pubPEM []byte) signature.Verifier {
	t.Helper()
	path := filepath.Join(t.TempDir(), "cosign.pub")
	writeFile(t, path, pubPEM)
	v, err := cosignsig.PublicKeyFromKeyRef(context.Background(), path)
	if err != nil {
		t.Fatalf("cosign loading golocal's public key: %v", err)
	}
	return v
}

// checkOpts are cosign's options for a key-based, offline check: no
// transparency log, no certificate, claims checked by claim.
func checkOpts(ctx context.Context, v signature.Verifier, claim func(oci.Signature, v1.Hash, map[string]any) error) *cosign.CheckOpts {
	return &cosign.CheckOpts{
		SigVerifier:        v,
		IgnoreTlog:         true,
		IgnoreSCT:          true,
		ClaimVerifier:      claim,
		RegistryClientOpts: []ociremote.Option{ociremote.WithRemoteOptions(remote.WithContext(ctx))},
	}
}

// statement is the part of an in-toto statement the tests read.
type statement struct {
	Type          string `json:"_type"`
	PredicateType string `json:"predicateType"`
	Subject       []struct {
		Name   string            `json:"name"`
		Digest map[string]string `json:"digest"`
	} `json:"subject"`
}

// statements decodes the in-toto statements of verified attestations (DSSE
// envelopes), by predicate type.
func statements(t *testing.T, atts []oci.Signature) map[string]statement {
	t.Helper()
	out := map[string]statement{}
	for _, att := range atts {
		p, err := att.Payload()
		if err != nil {
			t.Fatal(err)
		}
		var env struct {
			PayloadType string `json:"payloadType"`
			Payload     string `json:"payload"`
		}
		if err := json.Unmarshal(p, &env); err != nil {
			t.Fatalf("attestation is not a DSSE envelope: %v", err)
		}
		raw, err := base64.StdEncoding.DecodeString(env.Payload)
		if err != nil {
			t.Fatalf("DSSE payload: %v", err)
		}
		var st statement
		if err := json.Unmarshal(raw, &st); err != nil {
			t.Fatalf("DSSE payload is not an in-toto statement: %v", err)
		}
		if _, dup := out[st.PredicateType]; dup {
			t.Errorf("two verified attestations of type %s", st.PredicateType)
		}
		out[st.PredicateType] = st
	}
	return out
}

// checkStatements fails t unless sts holds exactly wantTypes, each about
// the image digest d.
func checkStatements(t *testing.T, sts map[string]statement, d v1.Hash) {
	t.Helper()
	if len(sts) != len(wantTypes) {
		t.Errorf("cosign verified %d attestations, want %d (%v)", len(sts), len(wantTypes), wantTypes)
	}
	for _, typ := range wantTypes {
		st, ok := sts[typ]
		switch {
		case !ok:
			t.Errorf("no verified attestation of type %s", typ)
		case len(st.Subject) == 0 || "sha256:"+st.Subject[0].Digest["sha256"] != d.String():
			t.Errorf("%s attestation is about %+v, want the image %s", typ, st.Subject, d)
		}
	}
}
