package release

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"

	"github.com/golocal/golocal/internal/sbom"
)

func TestReproducibleDigest(t *testing.T) {
	dir := fixtureRepo(t)
	gitRun(t, dir, "remote", "add", "origin", "https://example.com/hello.git")
	opts := Options{Dir: dir, Image: "example.com/hello:v1", Platforms: []v1.Platform{hostPlatform}, Tool: "test"}
	a1, err := Build(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	// A second checkout of the same commit elsewhere: paths must not leak.
	clone := filepath.Join(t.TempDir(), "clone")
	gitRun(t, dir, "clone", "-q", dir, clone)
	gitRun(t, clone, "remote", "set-url", "origin", "https://example.com/hello.git")
	opts.Dir = clone
	a2, err := Build(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if a1.Digest != a2.Digest {
		t.Fatalf("two releases of one commit: digests %s and %s differ", a1.Digest, a2.Digest)
	}
	for i := range a1.Images {
		d1, _ := a1.Images[i].Digest()
		d2, _ := a2.Images[i].Digest()
		if d1 != d2 {
			t.Errorf("platform %s: %s != %s", a1.Platforms[i], d1, d2)
		}
	}
	if string(a1.CycloneDX) != string(a2.CycloneDX) || string(a1.SPDX) != string(a2.SPDX) {
		t.Error("SBOMs of two releases of one commit differ")
	}
	// A new commit changes the digest (the test can fail).
	write(t, filepath.Join(clone, "main.go"), strings.Replace(helloMain, `"ok"`, `"ready"`, 1))
	gitRun(t, clone, "commit", "-q", "-am", "change")
	a3, err := Build(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if a3.Digest == a1.Digest {
		t.Error("a different commit produced the same digest")
	}
}

func TestImageConfig(t *testing.T) {
	dir := fixtureRepo(t)
	a, err := Build(context.Background(), Options{Dir: dir, Image: "example.com/hello", Platforms: []v1.Platform{hostPlatform}, TZData: true})
	if err != nil {
		t.Fatal(err)
	}
	if a.Ref.TagStr() != "latest" {
		t.Errorf("tag = %q, want latest", a.Ref.TagStr())
	}
	cf, err := a.Images[0].ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	c := cf.Config
	if want := []string{"/app/hello"}; strings.Join(c.Entrypoint, " ") != want[0] {
		t.Errorf("entrypoint %v, want %v", c.Entrypoint, want)
	}
	if c.User != "65532:65532" {
		t.Errorf("user %q, want the non-root 65532:65532", c.User)
	}
	if cf.Created.UTC().Format("2006-01-02T15:04:05Z") != "2026-01-02T03:04:05Z" {
		t.Errorf("created %v, want the commit time", cf.Created)
	}
	if c.Labels["org.opencontainers.image.revision"] != a.Source.Revision || len(a.Source.Revision) != 40 {
		t.Errorf("revision label %q, source %q", c.Labels["org.opencontainers.image.revision"], a.Source.Revision)
	}
	root := t.TempDir()
	files := unpack(t, a.Images[0], root)
	for _, f := range []string{"etc/passwd", "etc/group", "etc/ssl/certs/ca-certificates.crt", "app/hello", "tmp", "usr/share/go/zoneinfo.zip"} {
		if _, ok := files[f]; !ok {
			t.Errorf("image lacks %s", f)
		}
	}
	info, err := sbom.ReadBinary(filepath.Join(root, "app", "hello"))
	if err != nil {
		t.Fatal(err)
	}
	if info.Setting("vcs.revision") != a.Source.Revision || info.Setting("-trimpath") != "true" || info.Setting("CGO_ENABLED") != "0" {
		t.Errorf("binary settings %v: want VCS stamping of %s, -trimpath, CGO_ENABLED=0", info.Settings, a.Source.Revision)
	}
	if m := files["app/hello"]; m&0o111 == 0 {
		t.Errorf("app/hello mode %v is not executable", m)
	}
	if m := files["tmp"]; m&os.ModeSticky == 0 {
		t.Errorf("/tmp mode %v, want sticky 1777", m)
	}
}

func TestOutputs(t *testing.T) {
	dir := fixtureRepo(t)
	priv, _ := testKey()
	key, err := LoadPrivateKey(priv, []byte("test password"))
	if err != nil {
		t.Fatal(err)
	}
	a, err := Build(context.Background(), Options{Dir: dir, Image: "example.com/hello:v1", Platforms: []v1.Platform{hostPlatform}, Key: key})
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	if err := a.WriteLayout(filepath.Join(out, "oci")); err != nil {
		t.Fatal(err)
	}
	p, err := layout.FromPath(filepath.Join(out, "oci"))
	if err != nil {
		t.Fatal(err)
	}
	idx, err := p.ImageIndex()
	if err != nil {
		t.Fatal(err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]v1.Hash{}
	for _, m := range im.Manifests {
		names[m.Annotations["org.opencontainers.image.ref.name"]] = m.Digest
	}
	if names["v1"] != a.Digest || names[SignatureTag(a.Digest)] == (v1.Hash{}) || names[AttestationTag(a.Digest)] == (v1.Hash{}) {
		t.Errorf("layout holds %v, want v1=%s plus its .sig and .att", names, a.Digest)
	}
	if err := a.WriteTarball(filepath.Join(out, "image.tar")); err != nil {
		t.Fatal(err)
	}
	files, err := a.WriteDocuments(out)
	if err != nil || len(files) != 3 {
		t.Fatalf("documents %v, %v", files, err)
	}
}

func TestBadInput(t *testing.T) {
	repo := fixtureRepo(t)
	noGit := t.TempDir()
	write(t, filepath.Join(noGit, "go.mod"), "module example.com/x\n\ngo 1.26\n")
	write(t, filepath.Join(noGit, "main.go"), helloMain)
	dirty := fixtureRepo(t)
	write(t, filepath.Join(dirty, "main.go"), helloMain+"\n// edited\n")
	lib := fixtureRepo(t)
	write(t, filepath.Join(lib, "main.go"), "package lib\n")
	gitRun(t, lib, "commit", "-q", "-am", "lib")
	plat := []v1.Platform{hostPlatform}
	for _, tc := range []struct {
		name string
		opts Options
		is   error
		want string
	}{
		{"no repository", Options{Dir: noGit, Image: "x/y", Platforms: plat}, ErrNoRepo, "git init"},
		{"dirty tree", Options{Dir: dirty, Image: "x/y", Platforms: plat}, ErrDirty, "--allow-dirty"},
		{"no image", Options{Dir: repo, Platforms: plat}, nil, "--image is required"},
		{"digest image", Options{Dir: repo, Image: "x/y@sha256:" + strings.Repeat("a", 64), Platforms: plat}, nil, "no digest"},
		{"not main", Options{Dir: lib, Image: "x/y", Platforms: plat}, nil, "not a main package"},
		{"no CA bundle", Options{Dir: repo, Image: "x/y", Platforms: plat, CABundle: "/nonexistent/ca.pem"}, nil, "--ca-bundle"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Build(context.Background(), tc.opts)
			if err == nil {
				t.Fatal("no error")
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("error %v is not %v", err, tc.is)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not say %q", err, tc.want)
			}
		})
	}
	// A dirty tree is released when allowed, and says so.
	a, err := Build(context.Background(), Options{Dir: dirty, Image: "x/y", Platforms: plat, AllowDirty: true})
	if err != nil {
		t.Fatal(err)
	}
	if !a.Source.Dirty || !strings.Contains(string(a.Provenance), `"dirty":true`) {
		t.Error("an allowed dirty release is not marked dirty in the provenance")
	}
}

func TestParsePlatforms(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string
		err  string
	}{
		{"linux/amd64,linux/arm64", "linux/amd64 linux/arm64", ""},
		{" linux/arm/v7 ", "linux/arm/v7", ""},
		{"", "", "no platform"},
		{"windows/amd64", "", "only linux"},
		{"linux", "", "want os/arch"},
		{"linux/amd64,linux/amd64", "", "twice"},
		{"linux/a/b/c", "", "want os/arch"},
	} {
		ps, err := ParsePlatforms(tc.in)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%q: error %v, want %q", tc.in, err, tc.err)
			}
			continue
		}
		var got []string
		for _, p := range ps {
			got = append(got, p.String())
		}
		if err != nil || strings.Join(got, " ") != tc.want {
			t.Errorf("%q: %v %v, want %s", tc.in, got, err, tc.want)
		}
	}
}

// TestKitDoesNotLinkReleaseDeps keeps the heavy dependencies of the release
// commands out of every kit package's build.
func TestKitDoesNotLinkReleaseDeps(t *testing.T) {
	kit := []string{"listen", "serve", "middleware", "negotiate", "problem", "static", "health", "metrics", "admin", "config", "session", "trace"}
	var pkgs []string
	for _, k := range kit {
		if _, err := os.Stat(filepath.Join("..", "..", k)); err == nil {
			pkgs = append(pkgs, "./"+k+"/...")
		}
	}
	cmd := exec.Command("go", append([]string{"list", "-deps"}, pkgs...)...)
	cmd.Dir = "../.."
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	for _, heavy := range []string{"github.com/google/go-containerregistry", "github.com/sigstore", "github.com/CycloneDX", "golang.org/x/vuln", "github.com/golocal/golocal/internal/release", "github.com/golocal/golocal/internal/sbom", "github.com/golocal/golocal/internal/vuln"} {
		if strings.Contains(string(out), heavy) {
			t.Errorf("a kit package links %s", heavy)
		}
	}
}
