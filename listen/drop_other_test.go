//go:build !unix

package listen_test

import (
	"os/exec"
	"testing"
)

// runAsNobody skips: there is no nobody to switch to here.
func runAsNobody(t *testing.T, _ *exec.Cmd) error {
	t.Skip("running as another user is tested on Unix only")
	return nil
}
