//go:build !unix

package verify

import "os"

// processAlive cannot probe without signals here; the audit's own
// process-group code is unix-only, so these tests run on unix.
func processAlive(int) bool { return false }

func killProcess(pid int) {
	if p, err := os.FindProcess(pid); err == nil {
		_ = p.Kill()
	}
}
