package serve

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
)

// maxNotifyDatagram is the largest sd_notify datagram read; systemd reads
// at most PIPE_BUF (4096) bytes too, and a longer one is truncated.
const maxNotifyDatagram = 4096

// maxNotifySeen bounds the distinct assignments a NotifyReceiver
// remembers; past it, only awaited ones are recorded.
const maxNotifySeen = 1024

// NotifyReceiver is the supervisor's end of the [sd_notify] protocol that
// [Notify] speaks: a unixgram socket whose path goes to the child as
// NOTIFY_SOCKET, and a reader that records every KEY=VALUE assignment the
// child sends (READY=1, STOPPING=1, STATUS=…). The golocal dev runner and
// the drain test start servers under one; a test can too:
//
//	rcv, err := serve.ListenNotify(filepath.Join(t.TempDir(), "notify"))
//	cmd.Env = append(cmd.Env, rcv.Env())
//	…
//	<-rcv.Await("READY=1")
//
// A datagram longer than 4096 bytes is truncated; lines that are not
// KEY=VALUE are ignored, as systemd does.
//
// [sd_notify]: https://www.freedesktop.org/software/systemd/man/latest/sd_notify.html
type NotifyReceiver struct {
	conn *net.UnixConn
	path string
	done chan struct{}

	mu      sync.Mutex
	seen    map[string]bool          // assignments received, "READY=1"
	values  map[string]string        // the last value of each key, bounded like seen
	waiters map[string]chan struct{} // closed when the assignment arrives
	err     error                    // why reading stopped, nil after Close
	closed  bool
}

// ListenNotify creates the notification socket at path (an absolute file
// path, or "@name" for a Linux abstract socket) and starts reading it. A
// stale file at path is removed first. Close it when the child is gone.
func ListenNotify(path string) (*NotifyReceiver, error) {
	addr, err := parseNotifySocket(path)
	if err != nil {
		return nil, err
	}
	if !strings.HasPrefix(path, "@") {
		_ = os.Remove(path)
	}
	conn, err := net.ListenUnixgram("unixgram", addr)
	if err != nil {
		return nil, fmt.Errorf("sd_notify: cannot create the notification socket %s: %w", path, err)
	}
	r := &NotifyReceiver{
		conn:    conn,
		path:    path,
		done:    make(chan struct{}),
		seen:    make(map[string]bool),
		values:  make(map[string]string),
		waiters: make(map[string]chan struct{}),
	}
	go r.read()
	return r, nil
}

// Socket returns the value to pass as NOTIFY_SOCKET.
func (r *NotifyReceiver) Socket() string { return r.path }

// Env returns "NOTIFY_SOCKET=" + [NotifyReceiver.Socket], for exec.Cmd.Env.
func (r *NotifyReceiver) Env() string { return NotifySocketEnv + "=" + r.path }

// Await returns a channel that is closed once a datagram carrying the
// assignment (a whole line, such as "READY=1") has been received; at once
// if it already was.
func (r *NotifyReceiver) Await(assignment string) <-chan struct{} {
	r.mu.Lock()
	defer r.mu.Unlock()
	ch := r.waiters[assignment]
	if ch == nil {
		ch = make(chan struct{})
		r.waiters[assignment] = ch
		if r.seen[assignment] {
			close(ch)
		}
	}
	return ch
}

// Received reports whether the assignment has been received so far.
func (r *NotifyReceiver) Received(assignment string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.seen[assignment]
}

// Value returns the last value received for key ("X_GOLOCAL_ADMIN" →
// "127.0.0.1:41234") and whether one was. At most 1024 distinct keys are
// remembered.
func (r *NotifyReceiver) Value(key string) (string, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	v, ok := r.values[key]
	return v, ok
}

// Done is closed when reading stopped: after Close, or when the socket
// failed ([NotifyReceiver.Err] says why).
func (r *NotifyReceiver) Done() <-chan struct{} { return r.done }

// Err returns why reading stopped before Close; nil while reading and
// after Close.
func (r *NotifyReceiver) Err() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err
}

// Close stops reading, closes the socket and removes its file. It waits
// for the reader, so every assignment received before is visible.
func (r *NotifyReceiver) Close() error {
	r.mu.Lock()
	r.closed = true
	r.mu.Unlock()
	err := r.conn.Close()
	<-r.done
	if !strings.HasPrefix(r.path, "@") {
		if rerr := os.Remove(r.path); rerr != nil && !errors.Is(rerr, os.ErrNotExist) && err == nil {
			err = rerr
		}
	}
	return err
}

func (r *NotifyReceiver) read() {
	defer close(r.done)
	buf := make([]byte, maxNotifyDatagram)
	for {
		n, _, err := r.conn.ReadFromUnix(buf)
		if err != nil {
			r.mu.Lock()
			if !r.closed {
				r.err = fmt.Errorf("sd_notify: reading %s: %w", r.path, err)
			}
			r.mu.Unlock()
			return
		}
		r.record(ParseNotify(buf[:n]))
	}
}

func (r *NotifyReceiver) record(assignments []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, a := range assignments {
		key, value, _ := strings.Cut(a, "=")
		if _, known := r.values[key]; known || len(r.values) < maxNotifySeen {
			r.values[key] = value
		}
		if r.seen[a] {
			continue
		}
		if len(r.seen) >= maxNotifySeen && r.waiters[a] == nil {
			continue // a child flooding distinct STATUS= lines cannot grow memory
		}
		r.seen[a] = true
		if ch := r.waiters[a]; ch != nil {
			close(ch)
		}
	}
}

// ParseNotify splits one sd_notify datagram into its KEY=VALUE
// assignments, one per line. Surrounding spaces and a trailing "\r" are
// trimmed; empty lines, lines without '=' or with an empty key, and lines
// holding a NUL byte are dropped. The result never holds more than
// len(datagram)/2 entries.
func ParseNotify(datagram []byte) []string {
	var out []string
	for line := range strings.SplitSeq(string(datagram), "\n") {
		line = strings.TrimSpace(line)
		key, _, ok := strings.Cut(line, "=")
		if !ok || strings.TrimSpace(key) == "" || strings.ContainsRune(line, 0) {
			continue
		}
		out = append(out, line)
	}
	return out
}
