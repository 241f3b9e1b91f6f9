//go:build unix

package listen_test

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
)

// runAsNobody makes cmd run as nobody, which has no capabilities. The test
// binary lives in a directory only root may enter, so it is copied into a
// world-readable one first.
func runAsNobody(t *testing.T, cmd *exec.Cmd) error {
	dir, err := os.MkdirTemp("", "listen-nobody-")
	if err != nil {
		return err
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		return err
	}
	src, err := os.Open(cmd.Path)
	if err != nil {
		return err
	}
	defer src.Close()
	dst := filepath.Join(dir, "listen.test")
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, src); err != nil {
		out.Close()
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	cmd.Path = dst
	cmd.Args[0] = dst
	cmd.Dir = dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	return nil
}
