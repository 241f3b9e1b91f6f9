package release

import (
	"archive/tar"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// unpack extracts img's layers in order into dir, keeping modes, and
// returns every path with its mode.
func unpack(t testing.TB, img v1.Image, dir string) map[string]os.FileMode {
	t.Helper()
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]os.FileMode{}
	for _, l := range layers {
		rc, err := l.Uncompressed()
		if err != nil {
			t.Fatal(err)
		}
		if err := untar(rc, dir, files); err != nil {
			t.Fatal(err)
		}
		rc.Close()
	}
	return files
}

func untar(r io.Reader, dir string, files map[string]os.FileMode) error {
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		name := strings.TrimSuffix(filepath.Clean(h.Name), "/")
		if strings.HasPrefix(name, "..") || filepath.IsAbs(name) {
			return errors.New("unsafe path " + h.Name)
		}
		p := filepath.Join(dir, name)
		mode := h.FileInfo().Mode()
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(p, 0o755); err != nil {
				return err
			}
		case tar.TypeReg:
			f, err := os.OpenFile(p, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
			if err != nil {
				return err
			}
			if _, err := io.Copy(f, tr); err != nil {
				f.Close()
				return err
			}
			f.Close()
		default:
			return errors.New("unexpected entry type in " + h.Name)
		}
		if err := os.Chmod(p, mode.Perm()|mode&(os.ModeSticky|os.ModeSetuid|os.ModeSetgid)); err != nil {
			return err
		}
		if h.Uid != 0 {
			_ = os.Lchown(p, h.Uid, h.Gid) // as root: the image's owner; otherwise ours
		}
		files[name] = mode
	}
}
