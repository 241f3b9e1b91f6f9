package sbom

import (
	"bytes"
	"crypto/sha256"
	"debug/buildinfo"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"runtime/debug"
	"sort"
	"strings"
	"time"
)

// Module is one module compiled into a binary, as its build information
// records it (after replace directives).
type Module struct {
	Path    string
	Version string
	// Sum is the go.sum hash ("h1:" + base64 SHA-256 of the module tree);
	// empty for the main module and for local replacements.
	Sum string
	// ReplacedPath is the original path when a replace directive
	// substituted this module.
	ReplacedPath string
}

// SHA256 returns the hex SHA-256 digest inside an "h1:" sum, or "" when the
// sum is absent or of another kind.
func (m Module) SHA256() string {
	b64, ok := strings.CutPrefix(m.Sum, "h1:")
	if !ok {
		return ""
	}
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil || len(raw) != sha256.Size {
		return ""
	}
	return hex.EncodeToString(raw)
}

// PURL is the module's package URL, pkg:golang/PATH@VERSION, as in the
// purl spec's golang type.
//
// [purl golang]: https://github.com/package-url/purl-spec/blob/main/PURL-TYPES.rst#golang
func (m Module) PURL() string {
	p := "pkg:golang/" + escapePath(m.Path)
	if m.Version != "" && m.Version != "(devel)" {
		p += "@" + url.PathEscape(m.Version)
	}
	return p + "?type=module"
}

func escapePath(p string) string {
	parts := strings.Split(p, "/")
	for i, s := range parts {
		parts[i] = url.PathEscape(s)
	}
	return strings.Join(parts, "/")
}

// Info is what an SBOM is made from: the binary's build information.
type Info struct {
	GoVersion string
	Main      Module
	// Deps are sorted by path.
	Deps []Module
	// Settings are the build settings (-trimpath, CGO_ENABLED, GOOS,
	// vcs.revision, …) in the order the binary lists them.
	Settings []debug.BuildSetting
	// Path is the main package's import path.
	Path string
}

// Setting returns the value of build setting key, or "".
func (in *Info) Setting(key string) string {
	for _, s := range in.Settings {
		if s.Key == key {
			return s.Value
		}
	}
	return ""
}

// Time is the commit time the binary was stamped with (vcs.time), or the
// zero time: an SBOM's timestamp comes from the source, not the clock, so
// that it is reproducible.
func (in *Info) Time() time.Time {
	t, err := time.Parse(time.RFC3339, in.Setting("vcs.time"))
	if err != nil {
		return time.Time{}
	}
	return t.UTC()
}

// ErrNoBuildInfo is returned for files that are not Go binaries with
// module build information.
var ErrNoBuildInfo = errors.New("no Go build information")

// ReadBinary reads the build information of the Go binary at path.
func ReadBinary(path string) (*Info, error) {
	bi, err := buildinfo.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("%s: no such file", path)
		}
		return nil, fmt.Errorf("%s: %w (%v): is it a Go binary built in module mode (Go 1.18 or newer)?", path, ErrNoBuildInfo, err)
	}
	return FromBuildInfo(bi)
}

// FromBuildInfo converts the runtime's build information.
func FromBuildInfo(bi *debug.BuildInfo) (*Info, error) {
	if bi == nil || bi.Main.Path == "" {
		return nil, fmt.Errorf("%w: the binary records no main module (built with GOPATH mode or -buildinfo=false?)", ErrNoBuildInfo)
	}
	in := &Info{GoVersion: bi.GoVersion, Main: module(&bi.Main), Settings: bi.Settings, Path: bi.Path}
	for _, d := range bi.Deps {
		in.Deps = append(in.Deps, module(d))
	}
	sort.Slice(in.Deps, func(i, j int) bool { return in.Deps[i].Path < in.Deps[j].Path })
	return in, nil
}

func module(m *debug.Module) Module {
	if m.Replace != nil {
		return Module{Path: m.Replace.Path, Version: m.Replace.Version, Sum: m.Replace.Sum, ReplacedPath: m.Path}
	}
	return Module{Path: m.Path, Version: m.Version, Sum: m.Sum}
}

// serial derives a stable UUID (version 5 layout) from the document's
// content, so that the same binary always yields the same SBOM bytes.
func serial(parts ...string) string {
	h := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	h[6] = (h[6] & 0x0f) | 0x50
	h[8] = (h[8] & 0x3f) | 0x80
	var b bytes.Buffer
	b.WriteString(hex.EncodeToString(h[0:4]))
	for _, r := range [][2]int{{4, 6}, {6, 8}, {8, 10}, {10, 16}} {
		b.WriteByte('-')
		b.WriteString(hex.EncodeToString(h[r[0]:r[1]]))
	}
	return b.String()
}

// fingerprint is a digest of everything in the info, for serial numbers.
func (in *Info) fingerprint() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n%s\n%s %s\n", in.GoVersion, in.Path, in.Main.Path, in.Main.Version)
	for _, d := range in.Deps {
		fmt.Fprintf(&b, "%s %s %s %s\n", d.Path, d.Version, d.Sum, d.ReplacedPath)
	}
	for _, s := range in.Settings {
		fmt.Fprintf(&b, "%s=%s\n", s.Key, s.Value)
	}
	return b.String()
}
