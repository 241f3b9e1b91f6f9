// Package procnet answers "which process is listening on this port?" and
// "which ports is this process tree listening on?" on Linux, macOS and
// Windows, each from the system's own source.
//
// It is shared by the listen package (to name the holder of a port in an
// "address already in use" error), by "golocal port", and by the dev runner
// (to find the port of an app that hard-codes it, and to kill the
// descendants of an app that left its process group).
//
//   - Linux: the kernel lists every socket of the network namespace in
//     /proc/net/tcp and /proc/net/tcp6 with its inode; a process owns the
//     socket when one of its /proc/PID/fd entries is a symlink to
//     "socket:[INODE]" ([Reader], [ParseTCP]). Processes of other users
//     cannot be inspected without privileges: their sockets are still
//     reported, with PID 0.
//   - macOS (and the BSDs): lsof's field output ([Lsof], [ParseLsof]);
//     without root lsof shows only the caller's own processes. The process
//     tree comes from the kern.proc.all sysctl.
//   - Windows: the IP Helper TCP tables of GetExtendedTcpTable
//     ([DecodeTCPTable], [DecodeTCP6Table]) name the owning pid of every
//     socket, and a Toolhelp32 snapshot names the processes.
//
// The parsers and decoders are plain functions over bytes, tested on every
// OS with recorded output. Start with [Listeners] or [HoldersOf]; where the
// source is missing the functions return an error wrapping [ErrUnsupported].
package procnet
