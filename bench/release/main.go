// Command release times `golocal release` of examples/orders and prints the
// image size, beside a plain `go build` of the same package with the same
// flags, so the cost of packing, describing and signing shows as a ratio.
// Runs alternate (build, release, build, release, …) so machine load hits
// both alike.
//
//	go run ./bench/release
//	go run ./bench/release -runs 3 -pkg ./examples/orders
//
// It signs with a throwaway key and writes into a temporary folder. Exit
// status: 0 when every run succeeded and the digests agreed, 1 otherwise,
// 2 on bad flags.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/golocal/golocal/internal/release"
)

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("release", flag.ContinueOnError)
	fs.SetOutput(stderr)
	runs := fs.Int("runs", 2, "measured runs of each (1 to 20)")
	pkg := fs.String("pkg", "./examples/orders", "main package to release")
	dir := fs.String("C", ".", "module folder")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if *runs < 1 || *runs > 20 {
		fmt.Fprintf(stderr, "-runs %d out of range; use 1 to 20\n", *runs)
		return 2
	}
	if err := measure(context.Background(), *dir, *pkg, *runs, stdout); err != nil {
		fmt.Fprintln(stderr, "bench/release:", err)
		return 1
	}
	return 0
}

func measure(ctx context.Context, dir, pkg string, runs int, w io.Writer) error {
	tmp, err := os.MkdirTemp("", "bench-release-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	priv, _, err := release.GenerateKeyPair([]byte("bench"))
	if err != nil {
		return err
	}
	key, err := release.LoadPrivateKey(priv, []byte("bench"))
	if err != nil {
		return err
	}
	opts := release.Options{Dir: dir, Package: pkg, Image: "bench.example/orders:bench", AllowDirty: true, Key: key, Tool: "bench",
		Platforms: []v1.Platform{{OS: "linux", Architecture: runtime.GOARCH}}}
	// Warm the build cache once, unmeasured.
	if _, err := release.Build(ctx, opts); err != nil {
		return err
	}
	var tBuild, tRelease time.Duration
	var first *release.Artifact
	for i := 0; i < runs; i++ {
		start := time.Now()
		if err := goBuild(ctx, dir, pkg, filepath.Join(tmp, "bin")); err != nil {
			return err
		}
		tBuild += time.Since(start)
		start = time.Now()
		a, err := release.Build(ctx, opts)
		if err == nil {
			err = a.WriteLayout(filepath.Join(tmp, fmt.Sprintf("oci-%d", i)))
		}
		if err != nil {
			return err
		}
		tRelease += time.Since(start)
		if first == nil {
			first = a
		} else if a.Digest != first.Digest {
			return fmt.Errorf("run %d: digest %s differs from %s", i, a.Digest, first.Digest)
		}
	}
	return report(w, first, runs, tBuild, tRelease)
}

func goBuild(ctx context.Context, dir, pkg, out string) error {
	args := append([]string{"build"}, release.BuildFlags...)
	cmd := exec.CommandContext(ctx, "go", append(args, "-o", out, pkg)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build: %v\n%s", err, out)
	}
	return nil
}

func report(w io.Writer, a *release.Artifact, runs int, tBuild, tRelease time.Duration) error {
	var size int64
	ls, err := a.Images[0].Layers()
	if err != nil {
		return err
	}
	for _, l := range ls {
		s, err := l.Size()
		if err != nil {
			return err
		}
		size += s
	}
	b, r := tBuild/time.Duration(runs), tRelease/time.Duration(runs)
	fmt.Fprintf(w, "release of %s, %d warm runs each, alternating\n", a.Source.ImportPath, runs)
	fmt.Fprintf(w, "  %-40s %10s\n", "go build (same flags, cached)", b.Round(time.Millisecond))
	fmt.Fprintf(w, "  %-40s %10s  (%.1fx go build)\n", "golocal release (image+SBOM+provenance+signing)", r.Round(time.Millisecond), float64(r)/float64(b))
	fmt.Fprintf(w, "image %s: %.1f MB compressed (limit 30 MB), digest stable across runs\n", a.Digest, float64(size)/1e6)
	return nil
}
