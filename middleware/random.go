package middleware

import (
	crand "crypto/rand"
	"math/rand/v2"
	"sync"
)

// randomSource hands out unpredictable bytes for trace ids and CSP nonces
// without a system call per request.
//
// Why not crypto/rand directly: profiling the full stack showed the
// per-request getrandom call (vDSO or not) at about 8% of the stack's CPU.
// ChaCha8 (math/rand/v2) is a cryptographically strong generator with
// fast key erasure; each instance is seeded with 32 bytes from crypto/rand,
// so its output is as unpredictable as crypto/rand's for an observer who
// never saw the seed — what a CSP nonce needs. Instances live in a
// sync.Pool owned by one middleware value (no package-level state) and are
// never shared between goroutines at the same time.
type randomSource struct {
	pool sync.Pool
}

func newRandomSource() *randomSource {
	return &randomSource{pool: sync.Pool{New: func() any {
		var seed [32]byte
		_, _ = crand.Read(seed[:]) // crypto/rand.Read never fails (Go 1.24+)
		return rand.NewChaCha8(seed)
	}}}
}

// read fills b with random bytes.
func (s *randomSource) read(b []byte) {
	c := s.pool.Get().(*rand.ChaCha8)
	_, _ = c.Read(b) // ChaCha8.Read never fails
	s.pool.Put(c)
}
