package cli

import (
	"crypto"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/golocal/golocal/internal/release"
)

const releaseLong = `Build the main package PKG (default ".") reproducibly (CGO off, -trimpath,
VCS stamping, no build id) and pack it into an OCI image without a Docker
daemon: scratch plus a CA bundle, /etc/passwd with the non-root user 65532,
/tmp, and tzdata with --tzdata; the binary is the entrypoint, and the OCI
labels name the source, the revision and the commit time. Two releases of
one commit have the same digest.

Beside the image go its SBOMs (CycloneDX 1.6 and SPDX 2.3 JSON) and a SLSA
v1 provenance statement, written into --out. With --key (a cosign key made
by 'golocal release keygen'; its password from COSIGN_PASSWORD or the
terminal) the image is signed and the provenance and SBOMs are attached as
signed attestations, so 'cosign verify --key cosign.pub' and
'cosign verify-attestation --key cosign.pub' accept them.

The image goes to --oci-layout DIR, --tarball FILE (docker load), or the
registry of --image with --push; with none of them, to OUT/oci.

A work tree with uncommitted changes is refused: the image would carry a
revision that is not what was built. --allow-dirty releases it anyway and
marks it dirty in the provenance.`

type releaseFlags struct {
	dir, image, platforms, out, layout, tarball, key, caBundle string
	push, allowDirty, tzdata                                   bool
}

func newReleaseCmd(env *Env) *cobra.Command {
	var f releaseFlags
	cmd := &cobra.Command{
		Use:   "release [PKG] --image REPO[:TAG]",
		Short: "Reproducible, signed OCI image with SBOM and provenance, without Docker",
		Long:  releaseLong,
		Example: `  golocal release keygen
  COSIGN_PASSWORD=... golocal release ./examples/orders --image ghcr.io/me/orders:v1 --key cosign.key --push
  golocal release --image orders:dev --tarball orders.tar && docker load -i orders.tar`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			pkg := "."
			if len(args) == 1 {
				pkg = args[0]
			}
			return runRelease(cmd, env, pkg, f)
		},
	}
	fl := cmd.Flags()
	fl.StringVarP(&f.dir, "dir", "C", "", "run as if started in this folder (PKG is resolved there)")
	fl.StringVar(&f.image, "image", "", "repository and tag of the image, REPO[:TAG] (required)")
	fl.StringVar(&f.platforms, "platform", "linux/"+runtime.GOARCH, "platforms to build, comma-separated (linux/amd64,linux/arm64)")
	fl.StringVar(&f.out, "out", "dist", "folder for the SBOMs and the provenance")
	fl.StringVar(&f.layout, "oci-layout", "", "write the image (and its signatures) to this OCI layout folder")
	fl.StringVar(&f.tarball, "tarball", "", "write a docker-load tarball of the image (one platform)")
	fl.BoolVar(&f.push, "push", false, "push the image, its signature and attestations to the registry of --image")
	fl.StringVar(&f.key, "key", "", "cosign private key file to sign with (password: COSIGN_PASSWORD)")
	fl.StringVar(&f.caBundle, "ca-bundle", "", "PEM file of trusted roots to put in the image (default: this machine's "+release.DefaultCABundle+")")
	fl.BoolVar(&f.allowDirty, "allow-dirty", false, "release a work tree with uncommitted changes (marked dirty)")
	fl.BoolVar(&f.tzdata, "tzdata", false, "add Go's time zone database (ZONEINFO)")
	cmd.AddCommand(newKeygenCmd(env))
	return cmd
}

func golocalVersion() string { return readBuildInfo(debug.ReadBuildInfo).Version }

func runRelease(cmd *cobra.Command, env *Env, pkg string, f releaseFlags) error {
	if f.image == "" {
		return usageErrorf("--image is required: the repository and tag to name the image, e.g. --image ghcr.io/me/orders:v1")
	}
	plats, err := release.ParsePlatforms(f.platforms)
	if err != nil {
		return usageErrorf("--platform: %v", err)
	}
	opts := release.Options{Dir: f.dir, Package: pkg, Image: f.image, Platforms: plats, AllowDirty: f.allowDirty,
		CABundle: f.caBundle, TZData: f.tzdata, Tool: golocalVersion()}
	if f.key != "" {
		if opts.Key, err = loadSigningKey(env, f.key); err != nil {
			return err
		}
	}
	a, err := release.Build(cmd.Context(), opts)
	if err != nil {
		return err
	}
	if err := writeRelease(cmd, env, a, f); err != nil {
		return err
	}
	return nil
}

func writeRelease(cmd *cobra.Command, env *Env, a *release.Artifact, f releaseFlags) error {
	w := env.Stdout
	size, err := imageSize(a)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "built %s (%s) from %.12s%s: %s, %.1f MB compressed\n", a.Source.ImportPath, platformList(a), a.Source.Revision, dirtyMark(a), a.Digest, float64(size)/1e6)
	files, err := a.WriteDocuments(f.out)
	if err != nil {
		return err
	}
	for _, p := range files {
		fmt.Fprintf(w, "wrote %s\n", p)
	}
	if f.layout == "" && f.tarball == "" && !f.push {
		f.layout = filepath.Join(f.out, "oci")
	}
	if f.layout != "" {
		if err := a.WriteLayout(f.layout); err != nil {
			return err
		}
		fmt.Fprintf(w, "wrote OCI layout %s (tag %s)\n", f.layout, a.Ref.TagStr())
	}
	if f.tarball != "" {
		if err := a.WriteTarball(f.tarball); err != nil {
			return err
		}
		fmt.Fprintf(w, "wrote %s (docker load -i %s)\n", f.tarball, f.tarball)
	}
	if f.push {
		pushed, err := a.Push(cmd.Context())
		if err != nil {
			return err
		}
		for _, r := range pushed {
			fmt.Fprintf(w, "pushed %s\n", r)
		}
	}
	if a.Signature == nil {
		fmt.Fprintln(env.Stderr, "note: not signed (no --key); a cluster admitting signed images only will refuse it")
	}
	return nil
}

func dirtyMark(a *release.Artifact) string {
	if a.Source.Dirty {
		return " (dirty)"
	}
	return ""
}

func platformList(a *release.Artifact) string {
	s := make([]string, len(a.Platforms))
	for i, p := range a.Platforms {
		s[i] = p.String()
	}
	return strings.Join(s, ",")
}

// imageSize is the compressed size of every layer of every platform.
func imageSize(a *release.Artifact) (int64, error) {
	var n int64
	for _, img := range a.Images {
		ls, err := img.Layers()
		if err != nil {
			return 0, err
		}
		for _, l := range ls {
			s, err := l.Size()
			if err != nil {
				return 0, err
			}
			n += s
		}
	}
	return n, nil
}

// keyPassword follows cosign: COSIGN_PASSWORD when set, else a prompt on
// the terminal.
func keyPassword(env *Env, prompt string, confirm bool) ([]byte, error) {
	if v := env.Getenv("COSIGN_PASSWORD"); v != "" {
		return []byte(v), nil
	}
	in, ok := env.Stdin.(*os.File)
	if !ok || !term.IsTerminal(int(in.Fd())) {
		return nil, errors.New("no password: set COSIGN_PASSWORD (standard input is not a terminal to ask on)")
	}
	fmt.Fprint(env.Stderr, prompt)
	p, err := term.ReadPassword(int(in.Fd()))
	fmt.Fprintln(env.Stderr)
	if err != nil || !confirm {
		return p, err
	}
	fmt.Fprint(env.Stderr, "Enter password again: ")
	p2, err := term.ReadPassword(int(in.Fd()))
	fmt.Fprintln(env.Stderr)
	if err == nil && string(p) != string(p2) {
		err = errors.New("the passwords differ")
	}
	return p, err
}

func loadSigningKey(env *Env, path string) (crypto.Signer, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("--key: %v (make one with 'golocal release keygen')", err)
	}
	pw, err := keyPassword(env, "Enter password for private key: ", false)
	if err != nil {
		return nil, err
	}
	k, err := release.LoadPrivateKey(b, pw)
	if err != nil {
		return nil, fmt.Errorf("--key %s: %w", path, err)
	}
	return k, nil
}

func newKeygenCmd(env *Env) *cobra.Command {
	var prefix string
	cmd := &cobra.Command{
		Use:   "keygen",
		Short: "Make a cosign key pair (PREFIX.key encrypted, PREFIX.pub)",
		Long: `Make an ECDSA P-256 key pair in cosign's format: PREFIX.key, the private key
encrypted with a password (COSIGN_PASSWORD, or asked twice on the terminal),
and PREFIX.pub, the public key that 'cosign verify --key' and admission
policies read. Existing files are never overwritten.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			pw, err := keyPassword(env, "Enter password for private key: ", true)
			if err != nil {
				return err
			}
			if err := release.WriteKeyPair(prefix+".key", prefix+".pub", pw); err != nil {
				return err
			}
			fmt.Fprintf(env.Stdout, "wrote %s.key (private, keep secret) and %s.pub (public)\n", prefix, prefix)
			return nil
		},
	}
	cmd.Flags().StringVar(&prefix, "output-key-prefix", "cosign", "file name prefix of the key pair")
	return cmd
}
