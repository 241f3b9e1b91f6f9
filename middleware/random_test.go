package middleware

import (
	"bytes"
	"sync"
	"testing"
)

// TestRandomSource checks every length is filled (no byte left zero across
// many reads), consecutive reads differ, and concurrent use is safe.
func TestRandomSource(t *testing.T) {
	src := newRandomSource()
	for _, n := range []int{1, 7, 8, 9, 16, 24, 33} {
		seen := make([]byte, n) // OR of all reads: a byte never written stays 0
		prev := make([]byte, n)
		for i := range 64 {
			b := make([]byte, n)
			src.read(b)
			if n >= 8 && i > 0 && bytes.Equal(b, prev) {
				t.Fatalf("two consecutive %d-byte reads are equal: %x", n, b)
			}
			for j := range b {
				seen[j] |= b[j]
			}
			copy(prev, b)
		}
		if i := bytes.IndexByte(seen, 0); i >= 0 {
			t.Errorf("%d-byte reads never set byte %d", n, i)
		}
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var b [24]byte
			for range 1000 {
				src.read(b[:])
			}
		}()
	}
	wg.Wait()
}
