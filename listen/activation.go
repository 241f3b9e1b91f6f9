package listen

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
)

// listenFDsStart is SD_LISTEN_FDS_START: passed sockets begin at fd 3,
// right after stdin, stdout and stderr.
const listenFDsStart = 3

// maxListenFDs bounds LISTEN_FDS so that a corrupt value cannot make us
// walk millions of descriptors.
const maxListenFDs = 1024

// InheritedListener is a listening socket passed by the parent process.
type InheritedListener struct {
	// Name from LISTEN_FDNAMES, "unknown" when none was given (systemd's
	// convention).
	Name string
	// FD is the descriptor number it was passed as (3, 4, …). The listener
	// owns a duplicate; the original is closed.
	FD       int
	Listener net.Listener
}

// Inherited returns the listening sockets passed by the parent using the
// systemd socket-activation protocol
// (https://www.freedesktop.org/software/systemd/man/latest/sd_listen_fds.html):
// LISTEN_FDS sockets starting at fd 3, meant for the process whose pid is
// LISTEN_PID, named by the colon-separated LISTEN_FDNAMES.
//
// A LISTEN_PID naming another process means the variables leaked from an
// ancestor: they are ignored with a warning. A LISTEN_FDS that is not a
// number, or a descriptor that is not open or not a listening stream socket,
// is an error naming the value. Whenever LISTEN_FDS or LISTEN_PID is set, the
// three variables are removed with unsetenv so that this process's children
// do not claim the sockets too. The descriptors are marked close-on-exec.
//
// It returns nil, nil, nil when no socket was passed.
func Inherited(getenv func(string) string, unsetenv func(string) error) ([]InheritedListener, []string, error) {
	fdsValue, pidValue, namesValue := getenv("LISTEN_FDS"), getenv("LISTEN_PID"), getenv("LISTEN_FDNAMES")
	if fdsValue == "" && pidValue == "" {
		return nil, nil, nil
	}
	defer func() {
		for _, k := range []string{"LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES"} {
			_ = unsetenv(k)
		}
	}()
	const fromEnv = "the environment"
	if fdsValue == "" {
		return nil, []string{fmt.Sprintf("LISTEN_PID=%s is set without LISTEN_FDS: ignored", pidValue)}, nil
	}
	n, err := strconv.Atoi(strings.TrimSpace(fdsValue))
	if err != nil || n < 0 {
		return nil, nil, &ValueError{Name: "LISTEN_FDS", Value: fdsValue, Source: fromEnv,
			Reason: "must be the number of sockets passed from fd 3 on (systemd socket activation); unset it to listen on PORT instead"}
	}
	if n > maxListenFDs {
		return nil, nil, &ValueError{Name: "LISTEN_FDS", Value: fdsValue, Source: fromEnv,
			Reason: fmt.Sprintf("more than %d sockets is not plausible; unset it to listen on PORT instead", maxListenFDs)}
	}
	if pidValue == "" {
		return nil, []string{fmt.Sprintf("LISTEN_FDS=%s is set without LISTEN_PID: ignored, since the sockets may be meant for another process", fdsValue)}, nil
	}
	pid, err := strconv.Atoi(strings.TrimSpace(pidValue))
	if err != nil || pid <= 0 {
		return nil, nil, &ValueError{Name: "LISTEN_PID", Value: pidValue, Source: fromEnv,
			Reason: "must be the pid of the process the sockets are for; unset LISTEN_FDS and LISTEN_PID to listen on PORT instead"}
	}
	if self := os.Getpid(); pid != self {
		return nil, []string{fmt.Sprintf("LISTEN_PID=%d is not this process (pid %d): ignoring LISTEN_FDS=%s, the sockets were meant for another process", pid, self, fdsValue)}, nil
	}
	if n == 0 {
		return nil, nil, nil
	}
	var names []string
	var warnings []string
	if namesValue != "" {
		names = strings.Split(namesValue, ":")
		if len(names) != n {
			warnings = append(warnings, fmt.Sprintf("LISTEN_FDNAMES=%q has %d names for LISTEN_FDS=%d sockets: names ignored", namesValue, len(names), n))
			names = nil
		}
	}
	// Check every descriptor before taking ownership of any, so that an
	// error leaves the process as it was.
	for i := range n {
		fd := listenFDsStart + i
		if reason := checkListeningSocket(fd); reason != "" {
			return nil, warnings, &ValueError{Name: "LISTEN_FDS", Value: fdsValue, Source: fromEnv,
				Reason: fmt.Sprintf("fd %d %s; the parent must pass %d listening sockets as fds %d-%d", fd, reason, n, listenFDsStart, listenFDsStart+n-1)}
		}
	}
	out := make([]InheritedListener, 0, n)
	for i := range n {
		fd := listenFDsStart + i
		name := "unknown"
		if names != nil && names[i] != "" {
			name = names[i]
		}
		setCloseOnExec(fd)
		f := os.NewFile(uintptr(fd), name)
		ln, err := net.FileListener(f)
		f.Close() // FileListener holds its own duplicate
		if err != nil {
			for _, l := range out {
				l.Listener.Close()
			}
			return nil, warnings, fmt.Errorf("LISTEN_FDS=%s from the environment: fd %d: %w", fdsValue, fd, err)
		}
		out = append(out, InheritedListener{Name: name, FD: fd, Listener: ln})
	}
	return out, warnings, nil
}

// PassSockets makes cmd receive files as inherited listening sockets using
// the systemd protocol that [Inherited] reads: the files become fds 3, 4, …
// (via cmd.ExtraFiles), LISTEN_FDS is their count and LISTEN_FDNAMES their
// names (names may be nil; otherwise one per file, without ':').
//
// LISTEN_PID must equal the child's pid, which exec.Cmd cannot know before
// it forks. So the command is rewritten to run through
//
//	/bin/sh -c 'LISTEN_PID=$$; export LISTEN_PID; exec "$0" "$@"' PATH ARGS...
//
// The shell sets LISTEN_PID to its own pid and then execs the program, and
// exec keeps the pid. The program therefore sees argv[0] = its path rather
// than cmd.Args[0].
//
// Call it after setting cmd.Env (os.Environ() is used when nil; stale
// LISTEN_* entries are removed) and before cmd.Start. The protocol requires
// the sockets to start at fd 3, so cmd.ExtraFiles must be empty.
func PassSockets(cmd *exec.Cmd, names []string, files ...*os.File) error {
	if cmd.Err != nil {
		return cmd.Err
	}
	if cmd.Path == "" {
		return fmt.Errorf("listen.PassSockets: cmd.Path is empty; build the command with exec.Command")
	}
	if cmd.Process != nil {
		return fmt.Errorf("listen.PassSockets: %s has already started", cmd.Path)
	}
	if len(cmd.ExtraFiles) > 0 {
		return fmt.Errorf("listen.PassSockets: cmd.ExtraFiles already holds %d files; passed sockets must start at fd 3, so call PassSockets first and append other files after it (they follow the sockets)", len(cmd.ExtraFiles))
	}
	if len(files) == 0 {
		return fmt.Errorf("listen.PassSockets: no files to pass")
	}
	if names != nil && len(names) != len(files) {
		return fmt.Errorf("listen.PassSockets: %d names for %d files", len(names), len(files))
	}
	for i, f := range files {
		if f == nil {
			return fmt.Errorf("listen.PassSockets: file %d is nil", i)
		}
	}
	for _, n := range names {
		if strings.ContainsAny(n, ":\x00") || len(n) > 255 {
			return fmt.Errorf("listen.PassSockets: name %q may not contain ':' and is at most 255 bytes", n)
		}
	}
	env := cmd.Env
	if env == nil {
		env = os.Environ()
	}
	env = slices.DeleteFunc(slices.Clone(env), func(kv string) bool {
		return strings.HasPrefix(kv, "LISTEN_FDS=") || strings.HasPrefix(kv, "LISTEN_PID=") || strings.HasPrefix(kv, "LISTEN_FDNAMES=")
	})
	env = append(env, "LISTEN_FDS="+strconv.Itoa(len(files)))
	if names != nil {
		env = append(env, "LISTEN_FDNAMES="+strings.Join(names, ":"))
	}
	cmd.Env = env
	cmd.ExtraFiles = append(cmd.ExtraFiles, files...)
	args := []string{"/bin/sh", "-c", `LISTEN_PID=$$; export LISTEN_PID; exec "$0" "$@"`, cmd.Path}
	if len(cmd.Args) > 1 {
		args = append(args, cmd.Args[1:]...)
	}
	cmd.Path = "/bin/sh"
	cmd.Args = args
	return nil
}
