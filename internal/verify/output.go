package verify

import (
	"bufio"
	"io"
	"strings"
	"sync"
	"time"
)

// Line is one line the service wrote.
type Line struct {
	Stream string    `json:"stream"` // "stdout" or "stderr"
	Text   string    `json:"text"`
	At     time.Time `json:"-"`
}

// maxOutputLines bounds what is kept of a chatty service's output; the
// logs checks read the first lines, which hold the start-up and the
// requests verify made first.
const maxOutputLines = 200_000

// maxLineBytes cuts absurdly long lines (a service dumping a body).
const maxLineBytes = 1 << 20

// outputLog collects the service's stdout and stderr, line by line.
type outputLog struct {
	mu      sync.Mutex
	lines   []Line
	dropped int
	wg      sync.WaitGroup
}

// collect reads r until EOF into the log under stream's name (and
// closes r if it is a Closer).
func (o *outputLog) collect(stream string, r io.Reader) {
	o.wg.Add(1)
	go func() {
		defer o.wg.Done()
		if c, ok := r.(io.Closer); ok {
			defer c.Close()
		}
		br := bufio.NewReaderSize(r, 64<<10)
		for {
			line, err := readLine(br)
			if line != "" || err == nil {
				o.add(Line{Stream: stream, Text: line, At: time.Now()})
			}
			if err != nil {
				return
			}
		}
	}()
}

// readLine reads one line without its end, keeping at most maxLineBytes.
func readLine(br *bufio.Reader) (string, error) {
	var b strings.Builder
	for {
		chunk, isPrefix, err := br.ReadLine()
		if b.Len() < maxLineBytes {
			b.Write(chunk[:min(len(chunk), maxLineBytes-b.Len())])
		}
		if err != nil || !isPrefix {
			return b.String(), err
		}
	}
}

func (o *outputLog) add(l Line) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.lines) >= maxOutputLines {
		o.dropped++
		return
	}
	o.lines = append(o.lines, l)
}

// Lines returns a copy of what was collected so far.
func (o *outputLog) Lines() []Line {
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]Line(nil), o.lines...)
}

// tail returns the last n lines as text, for error messages.
func (o *outputLog) tail(n int) string {
	ls := o.Lines()
	if len(ls) > n {
		ls = ls[len(ls)-n:]
	}
	var b strings.Builder
	for _, l := range ls {
		b.WriteString("  | ")
		b.WriteString(l.Text)
		b.WriteByte('\n')
	}
	return strings.TrimRight(b.String(), "\n")
}

// waitClosed waits for both streams to reach EOF (after the process
// exited), at most d: a grandchild holding the pipe must not hang verify.
func (o *outputLog) waitClosed(d time.Duration) {
	done := make(chan struct{})
	go func() { o.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(d):
	}
}
