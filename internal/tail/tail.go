package tail

import (
	"io"
	"sync"
)

// Buffer keeps the last bytes written to it, up to the size given to [New]. The zero value is not
// usable; call [New].
type Buffer struct {
	mu  sync.Mutex
	buf []byte
	max int
	tee io.Writer
}

// New returns a Buffer keeping the last size bytes (at least 1), copying
// every write to tee as well when tee is not nil. A failing tee does not
// fail the write: the tail is still kept.
func New(size int, tee io.Writer) *Buffer {
	return &Buffer{max: max(size, 1), tee: tee}
}

// Write keeps the end of p and always reports len(p) written.
func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(p) >= b.max {
		b.buf = append(b.buf[:0], p[len(p)-b.max:]...)
	} else {
		if over := len(b.buf) + len(p) - b.max; over > 0 {
			b.buf = append(b.buf[:0], b.buf[over:]...)
		}
		b.buf = append(b.buf, p...)
	}
	if b.tee != nil {
		_, _ = b.tee.Write(p)
	}
	return len(p), nil
}

// String returns the bytes kept.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}
