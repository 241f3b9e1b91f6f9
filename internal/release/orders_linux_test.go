package release

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// chrootCommand runs entrypoint inside root as user "uid:gid" of the image:
// new user and mount namespaces map that uid to ours, then chroot.
func chrootCommand(root string, entrypoint []string, user string) (*exec.Cmd, error) {
	if len(entrypoint) == 0 {
		return nil, errors.New("image has no entrypoint")
	}
	uidS, gidS, _ := strings.Cut(user, ":")
	uid, err1 := strconv.Atoi(uidS)
	gid, err2 := strconv.Atoi(gidS)
	if err1 != nil || err2 != nil || uid == 0 {
		return nil, fmt.Errorf("image user %q is not a numeric non-root uid:gid", user)
	}
	cmd := exec.Command(entrypoint[0], entrypoint[1:]...)
	cmd.Dir = "/"
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Chroot:      root,
		Cloneflags:  syscall.CLONE_NEWUSER | syscall.CLONE_NEWNS,
		UidMappings: []syscall.SysProcIDMap{{ContainerID: uid, HostID: os.Getuid(), Size: 1}},
		GidMappings: []syscall.SysProcIDMap{{ContainerID: gid, HostID: os.Getgid(), Size: 1}},
		Credential:  &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), NoSetGroups: true},
		Pdeathsig:   syscall.SIGKILL,
	}
	return cmd, nil
}

func skipNamespaces(err error) bool {
	return errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.EINVAL) || errors.Is(err, syscall.ENOSPC)
}

// stopAndWait sends SIGTERM and expects a clean exit within grace.
func stopAndWait(t *testing.T, cmd *exec.Cmd, done chan error, grace time.Duration, logs fmt.Stringer) {
	t.Helper()
	start := time.Now()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		done <- err
		if err != nil {
			t.Errorf("exit after SIGTERM: %v; output:\n%s", err, logs)
		}
		t.Logf("stopped in %s", time.Since(start).Round(time.Millisecond))
	case <-time.After(grace):
		t.Errorf("still running %s after SIGTERM; output:\n%s", grace, logs)
	}
}
