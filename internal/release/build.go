package release

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// ParsePlatforms parses a comma-separated list such as
// "linux/amd64,linux/arm64,linux/arm/v7". Only linux images are built: the
// base is a Linux root file system.
func ParsePlatforms(list string) ([]v1.Platform, error) {
	var out []v1.Platform
	seen := map[string]bool{}
	for _, s := range strings.Split(list, ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		p, err := v1.ParsePlatform(s)
		if err != nil || p.OS == "" || p.Architecture == "" || strings.Count(s, "/") > 2 {
			return nil, fmt.Errorf("platform %q: want os/arch[/variant], e.g. linux/amd64", s)
		}
		if p.OS != "linux" {
			return nil, fmt.Errorf("platform %q: only linux images are built (the base is a Linux file system)", s)
		}
		if seen[p.String()] {
			return nil, fmt.Errorf("platform %q given twice", s)
		}
		seen[p.String()] = true
		out = append(out, *p)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no platform given: want e.g. linux/%s", runtime.GOARCH)
	}
	return out, nil
}

// Binary is one built executable.
type Binary struct {
	Platform v1.Platform
	Path     string
}

// BuildFlags are the go build flags of every release: no cgo, no paths of
// this machine, VCS stamping, and no build id (which would differ between
// two builds of the same source in different directories).
var BuildFlags = []string{"-trimpath", "-buildvcs=true", "-ldflags=-s -w -buildid="}

// BuildBinary compiles src's main package for p into dir and returns the file.
func BuildBinary(ctx context.Context, src *Source, p v1.Platform, dir string) (*Binary, error) {
	out := filepath.Join(dir, strings.ReplaceAll(p.String(), "/", "_"), src.Name)
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return nil, err
	}
	args := append([]string{"build"}, BuildFlags...)
	args = append(args, "-o", out, src.ImportPath)
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = src.ModuleDir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+p.OS, "GOARCH="+p.Architecture, "GOFLAGS=")
	if p.Architecture == "arm" && p.Variant != "" {
		cmd.Env = append(cmd.Env, "GOARM="+strings.TrimPrefix(p.Variant, "v"))
	}
	if p.Architecture == "amd64" && p.Variant != "" {
		cmd.Env = append(cmd.Env, "GOAMD64="+p.Variant)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("go build %s for %s: %v\n%s", src.ImportPath, p.String(), err, strings.TrimSpace(stderr.String()))
	}
	return &Binary{Platform: p, Path: out}, nil
}
