package release

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// The image's non-root user, the uid distroless and ko use.
const (
	UserID   = 65532
	UserName = "nonroot"
	// AppDir holds the binary; the entrypoint is AppDir/<name>.
	AppDir = "/app"
	// CABundlePath is where the CA bundle goes (and SSL_CERT_FILE points).
	CABundlePath = "/etc/ssl/certs/ca-certificates.crt"
	// ZoneinfoPath is where --tzdata puts Go's zoneinfo.zip (ZONEINFO).
	ZoneinfoPath = "/usr/share/go/zoneinfo.zip"
)

// DefaultCABundle is the host file read when no CA bundle is given.
const DefaultCABundle = "/etc/ssl/certs/ca-certificates.crt"

// ImageOptions say what goes into the image besides the binary.
type ImageOptions struct {
	// CABundle is the PEM bundle of trusted roots copied to CABundlePath.
	CABundle []byte
	// TZData adds Go's time zone database (ZONEINFO points at it).
	TZData bool
	// Labels are extra OCI labels; the source, revision and created labels
	// are always set from the Source.
	Labels map[string]string
}

// tarEntry is one file or directory of a layer.
type tarEntry struct {
	name string // without leading slash; directories end in /
	mode int64
	uid  int
	data []byte
}

// layer writes entries (sorted, fixed owner and time) into a gzip layer
// whose bytes depend on nothing but the entries and mtime.
func layer(entries []tarEntry, mtime time.Time) (v1.Layer, error) {
	sort.Slice(entries, func(i, j int) bool { return entries[i].name < entries[j].name })
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Mode: e.mode, Uid: e.uid, Gid: e.uid, ModTime: mtime, Format: tar.FormatPAX}
		if e.name[len(e.name)-1] == '/' {
			h.Typeflag = tar.TypeDir
		} else {
			h.Typeflag, h.Size = tar.TypeReg, int64(len(e.data))
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, err
		}
		if _, err := tw.Write(e.data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	b := buf.Bytes()
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(b)), nil
	}, tarball.WithMediaType(types.OCILayer), tarball.WithCompressedCaching)
}

// baseEntries is the minimal root file system: a non-root user, a CA
// bundle, a writable /tmp and, when asked, tzdata.
func baseEntries(o ImageOptions) ([]tarEntry, error) {
	passwd := fmt.Sprintf("root:x:0:0:root:/root:/sbin/nologin\n%s:x:%d:%d:%s:/home/%s:/sbin/nologin\n", UserName, UserID, UserID, UserName, UserName)
	group := fmt.Sprintf("root:x:0:\n%s:x:%d:\n", UserName, UserID)
	es := []tarEntry{
		{name: "etc/", mode: 0o755},
		{name: "etc/passwd", mode: 0o644, data: []byte(passwd)},
		{name: "etc/group", mode: 0o644, data: []byte(group)},
		{name: "etc/nsswitch.conf", mode: 0o644, data: []byte("hosts: files dns\n")},
		{name: "etc/ssl/", mode: 0o755},
		{name: "etc/ssl/certs/", mode: 0o755},
		{name: CABundlePath[1:], mode: 0o644, data: o.CABundle},
		{name: "home/", mode: 0o755},
		{name: "home/" + UserName + "/", mode: 0o700, uid: UserID},
		{name: "root/", mode: 0o700},
		{name: "tmp/", mode: 0o1777},
	}
	if o.TZData {
		zi, err := os.ReadFile(filepath.Join(goroot(), "lib", "time", "zoneinfo.zip"))
		if err != nil {
			return nil, fmt.Errorf("--tzdata: reading the Go toolchain's zoneinfo.zip: %v", err)
		}
		es = append(es, tarEntry{name: "usr/", mode: 0o755}, tarEntry{name: "usr/share/", mode: 0o755},
			tarEntry{name: "usr/share/go/", mode: 0o755}, tarEntry{name: ZoneinfoPath[1:], mode: 0o644, data: zi})
	}
	return es, nil
}

// Image packs one binary for one platform on the minimal base.
func Image(src *Source, bin *Binary, o ImageOptions) (v1.Image, error) {
	base, err := baseEntries(o)
	if err != nil {
		return nil, err
	}
	exe, err := os.ReadFile(bin.Path)
	if err != nil {
		return nil, err
	}
	t := src.CommitTime
	baseLayer, err := layer(base, t)
	if err != nil {
		return nil, err
	}
	entry := path.Join(AppDir, src.Name)
	appLayer, err := layer([]tarEntry{{name: AppDir[1:] + "/", mode: 0o755}, {name: entry[1:], mode: 0o755, data: exe}}, t)
	if err != nil {
		return nil, err
	}
	img, err := mutate.Append(empty.Image,
		mutate.Addendum{Layer: baseLayer, History: v1.History{Created: v1.Time{Time: t}, CreatedBy: "golocal release: base (passwd, CA bundle, /tmp)"}},
		mutate.Addendum{Layer: appLayer, History: v1.History{Created: v1.Time{Time: t}, CreatedBy: "golocal release: go build " + src.ImportPath}},
	)
	if err != nil {
		return nil, err
	}
	img = mutate.MediaType(img, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.Created = v1.Time{Time: t}
	cf.OS, cf.Architecture, cf.Variant = bin.Platform.OS, bin.Platform.Architecture, bin.Platform.Variant
	cf.Config = imageConfig(src, entry, o)
	return mutate.ConfigFile(img, cf)
}

// imageConfig is the runtime configuration: entrypoint, user, environment
// and the OCI labels.
func imageConfig(src *Source, entry string, o ImageOptions) v1.Config {
	env := []string{"PATH=" + AppDir, "SSL_CERT_FILE=" + CABundlePath}
	if o.TZData {
		env = append(env, "ZONEINFO="+ZoneinfoPath)
	}
	labels := map[string]string{}
	for k, v := range o.Labels {
		labels[k] = v
	}
	labels["org.opencontainers.image.revision"] = src.Revision
	labels["org.opencontainers.image.created"] = src.CommitTime.Format(time.RFC3339)
	labels["org.opencontainers.image.title"] = src.Name
	if src.Repository != "" {
		labels["org.opencontainers.image.source"] = src.Repository
	} else {
		labels["org.opencontainers.image.source"] = src.ModulePath
	}
	return v1.Config{
		Entrypoint: []string{entry},
		User:       fmt.Sprintf("%d:%d", UserID, UserID),
		Env:        env,
		WorkingDir: "/home/" + UserName,
		Labels:     labels,
	}
}

// Index groups per-platform images into an OCI image index.
func Index(imgs []v1.Image, platforms []v1.Platform) v1.ImageIndex {
	adds := make([]mutate.IndexAddendum, len(imgs))
	for i, img := range imgs {
		p := platforms[i]
		adds[i] = mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: &p}}
	}
	return mutate.IndexMediaType(mutate.AppendManifests(empty.Index, adds...), types.OCIImageIndex)
}

// goroot is the toolchain's GOROOT, as the go command that builds reports
// it (not the one golocal itself was built with).
func goroot() string {
	out, err := exec.Command("go", "env", "GOROOT").Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}
