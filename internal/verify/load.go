package verify

import (
	"context"
	"errors"
	"io"
	"net/http"
	"sort"
	"sync"
	"syscall"
	"time"
)

// loadWorkers is the steady load verify puts on a service: enough
// concurrent clients to keep connections in every state, few enough for a
// 2-core machine.
const loadWorkers = 8

// load is a steady stream of GETs on one path from loadWorkers clients,
// each on its own keep-alive connection.
type load struct {
	cancel context.CancelFunc
	wg     sync.WaitGroup
	mu     sync.Mutex
	ok     int
	status map[int]int
	// refused counts connections the kernel refused: the listener was
	// closed, which is how a stopped server turns clients away.
	refused int
	errs    []string
	failed  int
}

// startLoad starts the load on path; stop it with stop.
func (a *Audit) startLoad(path string) *load {
	ctx, cancel := context.WithCancel(a.ctx)
	l := &load{cancel: cancel, status: map[int]int{}}
	for range loadWorkers {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			c := newClient()
			defer c.CloseIdleConnections()
			for ctx.Err() == nil {
				if !l.one(ctx, c, a.base.String()+path) {
					// refused: back off a little rather than spin
					time.Sleep(5 * time.Millisecond)
				}
			}
		}()
	}
	return l
}

// one makes one request and records it; false when refused.
func (l *load) one(ctx context.Context, c *http.Client, u string) bool {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	resp, err := c.Do(req)
	if err == nil {
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case ctx.Err() != nil:
	case errors.Is(err, syscall.ECONNREFUSED):
		l.refused++
		return false
	case err != nil:
		l.failed++
		if len(l.errs) < 5 {
			l.errs = append(l.errs, err.Error())
		}
	default:
		l.status[resp.StatusCode]++
		if resp.StatusCode >= 500 {
			l.failed++
		} else {
			l.ok++
		}
	}
	return true
}

func (l *load) stop() {
	l.cancel()
	l.wg.Wait()
}

// sample makes n sequential GETs of path and returns their sorted
// durations and the statuses seen; it stops early once maxOver answers
// took longer than budget.
func (a *Audit) sample(path string, n int, budget time.Duration, maxOver int) ([]time.Duration, map[int]int, error) {
	var ds []time.Duration
	statuses := map[int]int{}
	over := 0
	for range n {
		r, err := a.do(http.MethodGet, path, nil, nil)
		if err != nil {
			return nil, nil, err
		}
		ds = append(ds, r.took)
		statuses[r.status]++
		if r.took > budget {
			if over++; over >= maxOver {
				break
			}
		}
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	return ds, statuses, nil
}

// p99 of sorted durations.
func p99(sorted []time.Duration) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[(len(sorted)*99-1)/100]
}
