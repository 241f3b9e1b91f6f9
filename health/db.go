package health

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"time"
)

// DefaultPoolSaturation is the share of MaxOpenConns in use at which
// [DB] reports the pool as saturated: at 90 % the next burst queues
// requests behind the pool, which shows up as latency before it shows up
// as errors.
const DefaultPoolSaturation = 0.9

// DBOptions configures [DB].
type DBOptions struct {
	// Saturation is the InUse/MaxOpenConnections ratio at or above which the
	// check fails; zero means DefaultPoolSaturation, negative disables the
	// test. It does not apply to a pool without a limit
	// (SetMaxOpenConns(0)), which never saturates but can exhaust the
	// database's own connection limit instead.
	Saturation float64
	// MaxWaitGrowth fails the check when requests spent more than this
	// much time, in total, waiting for a free connection since the previous
	// run (DBStats.WaitDuration growth). Zero disables it: how much
	// waiting is acceptable depends on traffic and the check's Interval.
	MaxWaitGrowth time.Duration
	// MaxWaitCountGrowth fails the check when more than this many requests
	// had to wait for a connection since the previous run
	// (DBStats.WaitCount growth). Zero disables it.
	MaxWaitCountGrowth int64
}

// DB returns a readiness check function for a database/sql pool. Each run
// reads [sql.DB.Stats] and then pings the database within the check's
// timeout. It fails when the ping fails, when the pool is saturated
// (for example "pool saturated: 9 of 10 connections in use (threshold 90%)")
// or when waiting for connections grew past the configured limits. A
// saturated pool is reported without pinging, since a ping would itself
// queue for a connection until the timeout.
//
// Details always carry the numbers: activeConnections (in use),
// maxOpenConnections (0 = unlimited), idle, openConnections, waitCount,
// waitDurationMs and, from the second run on, waitCountGrowth and
// waitDurationGrowthMs. Use it as
//
//	h.Add(health.Check{Name: "db", Func: health.DB(db, health.DBOptions{})})
func DB(db *sql.DB, opts DBOptions) Func {
	if opts.Saturation == 0 {
		opts.Saturation = DefaultPoolSaturation
	}
	var (
		mu       sync.Mutex
		prev     sql.DBStats
		havePrev bool
	)
	return func(ctx context.Context) (Details, error) {
		if db == nil {
			return nil, errors.New("health.DB was given a nil *sql.DB")
		}
		st := db.Stats()
		d := Details{
			"activeConnections":  st.InUse,
			"maxOpenConnections": st.MaxOpenConnections,
			"idle":               st.Idle,
			"openConnections":    st.OpenConnections,
			"waitCount":          st.WaitCount,
			"waitDurationMs":     st.WaitDuration.Milliseconds(),
		}
		mu.Lock()
		last, hadPrev := prev, havePrev
		prev, havePrev = st, true
		mu.Unlock()
		var problems []error
		if hadPrev {
			waits := st.WaitCount - last.WaitCount
			waited := st.WaitDuration - last.WaitDuration
			d["waitCountGrowth"] = waits
			d["waitDurationGrowthMs"] = waited.Milliseconds()
			if opts.MaxWaitCountGrowth > 0 && waits > opts.MaxWaitCountGrowth {
				problems = append(problems, fmt.Errorf("%d requests waited for a connection since the last check (limit %d)", waits, opts.MaxWaitCountGrowth))
			}
			if opts.MaxWaitGrowth > 0 && waited > opts.MaxWaitGrowth {
				problems = append(problems, fmt.Errorf("requests waited %v in total for a connection since the last check (limit %v)", waited.Round(time.Millisecond), opts.MaxWaitGrowth))
			}
		}
		saturated := false
		if opts.Saturation > 0 && st.MaxOpenConnections > 0 {
			d["saturationThreshold"] = opts.Saturation
			if float64(st.InUse) >= opts.Saturation*float64(st.MaxOpenConnections) {
				saturated = true
				problems = append([]error{fmt.Errorf("pool saturated: %d of %d connections in use (threshold %g%%)",
					st.InUse, st.MaxOpenConnections, opts.Saturation*100)}, problems...)
			}
		}
		if !saturated {
			start := time.Now()
			err := db.PingContext(ctx)
			d["pingMs"] = float64(time.Since(start).Microseconds()) / 1000
			if err != nil {
				problems = append([]error{fmt.Errorf("ping: %w", err)}, problems...)
			}
		}
		switch len(problems) {
		case 0:
			return d, nil
		case 1:
			return d, problems[0]
		}
		return d, joined(problems)
	}
}

// joined is errors.Join on one line ("a; b"), for the line-based output.
type joined []error

func (j joined) Error() string {
	s := j[0].Error()
	for _, e := range j[1:] {
		s += "; " + e.Error()
	}
	return s
}

func (j joined) Unwrap() []error { return j }
