package sqlstore

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/golocal/golocal/examples/orders/order"
)

// This file tells a database that cannot serve right now (a 503 for the
// client, worth a retry) from a failing query (a bug, a 500), and tracks
// whether writes work, for readiness.

// dbErr wraps err, a driver error from op, and marks it order.ErrUnavailable
// when the database is unavailable rather than the query wrong.
func (s *Store) dbErr(ctx context.Context, op string, err error) error {
	if s.unavailable(ctx, err) {
		return fmt.Errorf("%s: %w: %w", op, order.ErrUnavailable, err)
	}
	return fmt.Errorf("%s: %w", op, err)
}

// unavailable reports whether a driver error means the database cannot
// serve now: the server is unreachable or shutting down, the connection
// broke, the disk is full or read-only, or the file is locked past
// busy_timeout. An error it does not recognise is confirmed with a short
// ping, so a bug is never reported as an outage while the database answers.
func (s *Store) unavailable(ctx context.Context, err error) bool {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false // the client went away or its deadline passed
	}
	var (
		ne  net.Error
		le  *sqlite.Error
		pge *pgconn.PgError
	)
	switch {
	case errors.Is(err, driver.ErrBadConn), errors.As(err, &ne),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return true
	case errors.As(err, &le):
		switch le.Code() & 0xff { // primary result code
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_NOMEM, sqlite3.SQLITE_READONLY,
			sqlite3.SQLITE_IOERR, sqlite3.SQLITE_FULL, sqlite3.SQLITE_CANTOPEN:
			return true
		}
		return false
	case errors.As(err, &pge):
		// Class 08 connection exception, 53 insufficient resources (disk
		// full, out of memory, too many connections), 57P0x shutdown, and
		// 25006 read-only transaction (a standby after a failover).
		return strings.HasPrefix(pge.Code, "08") || strings.HasPrefix(pge.Code, "53") ||
			strings.HasPrefix(pge.Code, "57P0") || pge.Code == "25006"
	}
	pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
	defer cancel()
	return s.db.PingContext(pctx) != nil
}

// writeFailure records a write that failed because the database was
// unavailable.
type writeFailure struct {
	at  time.Time
	err error
}

// wrote records the outcome of a write for CheckWrites: a success clears a
// recorded failure, an unavailable database records one.
func (s *Store) wrote(err error) {
	switch {
	case err == nil:
		if s.writeFailed.Load() != nil {
			s.writeFailed.Store(nil)
		}
	case errors.Is(err, order.ErrUnavailable):
		s.writeFailed.Store(&writeFailure{at: time.Now(), err: err})
	}
}

// fileGone reports, for SQLite, that the database file at the store's path
// is no longer the file the store has open: it was removed, renamed or
// replaced. Writes would still succeed, into a file nobody will open again,
// and be lost at the next start; so they are refused as unavailable until
// the file is back. It costs one stat.
func (s *Store) fileGone() error {
	if s.file == nil {
		return nil
	}
	if fi, err := os.Stat(s.path); err == nil && os.SameFile(fi, s.file) {
		return nil
	}
	return fmt.Errorf("%w: the SQLite file %s was removed or replaced while the service runs; writes now would be lost at the next start: put the file back, or restart the service", order.ErrUnavailable, s.path)
}

// CheckWrites is a readiness check for writes. A ping does not notice
// everything that stops orders from being stored: an SQLite file on a full
// or read-only disk, or one removed from under the service, still answers
// pings and reads. So CheckWrites fails while the SQLite file is gone (see
// fileGone), and, once a write has failed because the database was
// unavailable, until a probe write (one row of health_probe) succeeds
// again; it probes on every call while failing, so readiness recovers
// without client traffic. While writes work it costs no query.
func (s *Store) CheckWrites(ctx context.Context) error {
	if err := s.fileGone(); err != nil {
		return err
	}
	f := s.writeFailed.Load()
	if f == nil {
		return nil
	}
	_, err := s.db.ExecContext(ctx, s.q(`INSERT INTO health_probe (id, at) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET at = excluded.at`), time.Now().UnixMicro())
	if err != nil {
		return fmt.Errorf("writes fail since %s (%v); probe write: %w", f.at.UTC().Format(time.RFC3339), f.err, err)
	}
	s.writeFailed.CompareAndSwap(f, nil)
	return nil
}

// writeState is embedded in Store: the last write failure, if any.
type writeState struct {
	writeFailed atomic.Pointer[writeFailure]
}
