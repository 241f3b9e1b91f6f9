package probe

import (
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"github.com/golocal/golocal/internal/lint"
)

// captureConn records the bytes an HTTP/1.x response arrives in, below
// net/http, so the lenient parser sees what the client hides or refuses.
//
// A pump goroutine reads the real connection and hands the bytes to the
// transport through a pipe. When the transport closes the connection (it
// refused the response, or it is done), only the pipe closes: the pump can
// keep reading so that the probe still sees the rest of a refused response.
// [captureConn.finish] closes the real connection. Memory is bounded: at
// most limit bytes are kept, the rest only counted.
type captureConn struct {
	net.Conn // the real connection; Read is overridden

	pr *io.PipeReader
	pw *io.PipeWriter

	mu      sync.Mutex
	buf     []byte
	limit   int
	total   int64
	first   time.Time // when the first byte arrived
	readErr error     // why the pump stopped (io.EOF on a clean close)
	update  chan struct{}
	done    chan struct{}

	closeOnce sync.Once
}

func newCaptureConn(c net.Conn, limit int) *captureConn {
	pr, pw := io.Pipe()
	cc := &captureConn{Conn: c, pr: pr, pw: pw, limit: limit, update: make(chan struct{}, 1), done: make(chan struct{})}
	go cc.pump()
	return cc
}

func (c *captureConn) pump() {
	defer close(c.done)
	b := make([]byte, 32<<10)
	forward := true
	for {
		n, err := c.Conn.Read(b)
		if n > 0 {
			c.mu.Lock()
			if c.total == 0 {
				c.first = time.Now()
			}
			c.total += int64(n)
			if room := c.limit - len(c.buf); room > 0 {
				c.buf = append(c.buf, b[:min(n, room)]...)
			}
			c.mu.Unlock()
			select {
			case c.update <- struct{}{}:
			default:
			}
			if forward {
				if _, werr := c.pw.Write(b[:n]); werr != nil {
					forward = false // the transport closed its side
				}
			}
		}
		if err != nil {
			c.mu.Lock()
			c.readErr = err
			c.mu.Unlock()
			c.pw.CloseWithError(err)
			return
		}
	}
}

// Read returns the bytes the pump forwarded.
func (c *captureConn) Read(p []byte) (int, error) { return c.pr.Read(p) }

// Close is called by the transport: it unblocks the transport's reads and
// writes but leaves the real connection to finish.
func (c *captureConn) Close() error {
	c.closeOnce.Do(func() {
		_ = c.pr.Close()
		_ = c.Conn.SetWriteDeadline(time.Now())
	})
	return nil
}

// SetDeadline applies to writes only: reads come from the pump, which
// finish bounds.
func (c *captureConn) SetDeadline(t time.Time) error { return c.Conn.SetWriteDeadline(t) }

// SetReadDeadline is ignored for the same reason.
func (c *captureConn) SetReadDeadline(time.Time) error { return nil }

// snapshot returns a copy of the bytes kept so far, the total count, and
// whether the pump has stopped.
func (c *captureConn) snapshot() (kept []byte, total int64, ended bool, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	kept = append([]byte(nil), c.buf...)
	select {
	case <-c.done:
		ended = true
	default:
	}
	return kept, c.total, ended, c.readErr
}

// wait blocks until new bytes arrive, the pump stops, or the deadline.
// It reports false at the deadline.
func (c *captureConn) wait(deadline time.Time) bool {
	d := time.Until(deadline)
	if d <= 0 {
		return false
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-c.update:
		return true
	case <-c.done:
		return true
	case <-t.C:
		return false
	}
}

// finish closes the real connection and waits for the pump to stop.
func (c *captureConn) finish() {
	_ = c.Close()
	_ = c.Conn.SetDeadline(time.Now())
	_ = c.Conn.Close()
	<-c.done
}

// collectCapture stops every capture of the hop and returns the bytes of
// the last connection (the one that carried the response) and how many
// arrived in all. When Go refused the response (refused), it first keeps
// reading a little, bounded by deadline, so the raw view holds the whole
// of it.
func (s *hopState) collectCapture(method string, refused bool, deadline time.Time) (raw []byte, wire int64) {
	s.mu.Lock()
	captures := s.captures
	s.mu.Unlock()
	if n := len(captures); n > 0 {
		last := captures[n-1]
		if refused {
			drain(last, method, earliest(deadline, time.Now().Add(time.Second)))
		}
		raw, wire, _, _ = last.snapshot()
	}
	for _, c := range captures {
		c.finish()
	}
	return raw, wire
}

// drain waits, bounded by deadline, until the capture holds a complete
// response, the peer closed, or nothing arrived for 200 ms.
func drain(c *captureConn, method string, deadline time.Time) {
	for {
		kept, _, ended, _ := c.snapshot()
		if ended || len(kept) >= c.limit {
			return
		}
		if r, err := lint.ParseRawFor(method, kept); err == nil && r.Complete {
			return
		}
		if !c.wait(earliest(deadline, time.Now().Add(200*time.Millisecond))) {
			return
		}
	}
}

// parseCapture parses the raw bytes and, when the capture was cut at its
// limit, corrects what the cut made look wrong: the body did not end
// early, it was only not all kept.
func parseCapture(method string, raw []byte, wire int64, limit int) *lint.RawResponse {
	r, _ := lint.ParseRawFor(method, raw)
	if wire <= int64(len(raw)) || !r.HeadComplete {
		return r
	}
	r.BodyTruncated = true
	r.Errors = append(r.Errors, fmt.Sprintf("only the first %d of %d bytes were kept", limit, wire))
	if r.BodyFraming == "content-length" || (r.BodyFraming == "close" && r.ExpectedLength < 0) {
		got := wire - int64(r.HeadBytes)
		r.BodyBytes = got
		if r.ExpectedLength >= 0 {
			r.BodyBytes = min(got, r.ExpectedLength)
			r.ClosedEarly = got < r.ExpectedLength
			r.ExtraBytes = max(0, got-r.ExpectedLength)
			r.Complete = !r.ClosedEarly
		}
	} else if r.BodyFraming == "chunked" {
		// The end of the chunked body was beyond what was kept.
		r.ClosedEarly = false
	}
	return r
}
