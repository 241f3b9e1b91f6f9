//go:build windows

package devloop

import (
	"os"

	"golang.org/x/sys/windows"
)

// idOf identifies the folder at path by volume serial number and file
// index, Windows' device and inode. os.FileInfo does not carry them, so the
// folder is opened (FILE_FLAG_BACKUP_SEMANTICS is what opens a folder).
func idOf(path string, _ os.FileInfo) (fileID, bool) {
	p, err := windows.UTF16PtrFromString(path)
	if err != nil {
		return fileID{}, false
	}
	h, err := windows.CreateFile(p, 0, windows.FILE_SHARE_READ|windows.FILE_SHARE_WRITE|windows.FILE_SHARE_DELETE,
		nil, windows.OPEN_EXISTING, windows.FILE_FLAG_BACKUP_SEMANTICS, 0)
	if err != nil {
		return fileID{}, false
	}
	defer windows.CloseHandle(h)
	var info windows.ByHandleFileInformation
	if err := windows.GetFileInformationByHandle(h, &info); err != nil {
		return fileID{}, false
	}
	return fileID{dev: uint64(info.VolumeSerialNumber), ino: uint64(info.FileIndexHigh)<<32 | uint64(info.FileIndexLow)}, true
}
