//go:build unix

package devloop

import (
	"os"
	"syscall"
)

// idOf identifies the folder at path (stat'ed as fi) by device and inode.
func idOf(_ string, fi os.FileInfo) (fileID, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return fileID{}, false
	}
	return fileID{dev: uint64(st.Dev), ino: uint64(st.Ino)}, true //nolint:unconvert // Dev's type differs between platforms
}
