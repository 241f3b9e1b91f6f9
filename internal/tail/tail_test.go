package tail_test

import (
	"bytes"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/golocal/golocal/internal/tail"
)

func TestBufferKeepsTheEnd(t *testing.T) {
	tests := []struct {
		name   string
		max    int
		writes []string
		want   string
	}{
		{"under", 10, []string{"abc", "def"}, "abcdef"},
		{"exact", 6, []string{"abc", "def"}, "abcdef"},
		{"over across writes", 4, []string{"abc", "def"}, "cdef"},
		{"one write longer than max", 3, []string{"x", "abcdefgh"}, "fgh"},
		{"many small", 5, strings.Split("0123456789", ""), "56789"},
		{"nothing", 5, nil, ""},
		{"max zero keeps one byte", 0, []string{"ab"}, "b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var tee bytes.Buffer
			b := tail.New(tt.max, &tee)
			for _, w := range tt.writes {
				if n, err := b.Write([]byte(w)); n != len(w) || err != nil {
					t.Fatalf("Write(%q) = %d, %v", w, n, err)
				}
			}
			if got := b.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
			if tee.String() != strings.Join(tt.writes, "") {
				t.Errorf("tee got %q", tee.String())
			}
		})
	}
}

func TestBufferConcurrentWriters(t *testing.T) {
	b := tail.New(64, nil)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for range 1000 {
				fmt.Fprintf(b, "%d", i)
			}
		})
	}
	wg.Wait()
	if n := len(b.String()); n != 64 {
		t.Errorf("kept %d bytes, want 64", n)
	}
}

func ExampleBuffer() {
	out := tail.New(8, nil)
	fmt.Fprint(out, "starting\nlistening\npanic: boom\n")
	fmt.Printf("%q\n", out.String())
	// Output: "c: boom\n"
}
