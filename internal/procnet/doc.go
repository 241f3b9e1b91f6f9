// Package procnet reads Linux /proc to answer "which process is listening on
// this port?" and "which ports is this process tree listening on?".
//
// It is shared by the listen package (to name the holder of a port in an
// "address already in use" error), by "golocal port", and by the dev runner
// (to find the port of an app that hard-codes it). The kernel lists every
// socket of the network namespace in /proc/net/tcp and /proc/net/tcp6 with
// its inode; a process owns the socket when one of its /proc/PID/fd entries is
// a symlink to "socket:[INODE]". Processes of other users cannot be inspected
// without privileges: their sockets are still reported, with PID 0.
//
// Start with [Listeners] or [HoldersOf]. On systems without /proc the
// functions return an error wrapping [ErrUnsupported].
package procnet
