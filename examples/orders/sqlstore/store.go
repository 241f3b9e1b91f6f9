// Package sqlstore implements order.Repository on database/sql, for SQLite
// (modernc.org/sqlite, pure Go: the default, no server needed) and PostgreSQL
// (github.com/jackc/pgx/v5 through its database/sql driver). The two differ
// only in their migrations and placeholder syntax, so one implementation
// serves both and one test suite checks both.
//
// Driver errors that mean the database cannot serve right now (unreachable,
// shutting down, disk full or read-only, locked) are wrapped with
// order.ErrUnavailable, so the service answers 503 and not 500; see
// unavailable.go, which also holds CheckWrites, the readiness check that
// notices a database that answers pings but refuses writes.
package sqlstore

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"database/sql/driver"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	_ "modernc.org/sqlite"             // registers the "sqlite" driver

	"github.com/golocal/golocal/examples/orders/order"
	"github.com/golocal/golocal/middleware"
)

//go:embed migrations
var migrations embed.FS

// Dialect names a database flavour.
type Dialect string

// The supported dialects.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// Store is an order.Repository on a *sql.DB.
type Store struct {
	db      *sql.DB
	dialect Dialect
	now     func() time.Time
	writeState
	// path and file are the SQLite database file as opened, to notice it
	// being removed or replaced (see fileGone); empty for PostgreSQL.
	path string
	file os.FileInfo
}

var _ order.Repository = (*Store)(nil)

// OpenSQLite opens (creating if needed) the SQLite database at path, in WAL
// mode with foreign keys on and write transactions taken immediately (so
// concurrent writers queue on busy_timeout instead of failing), and applies
// the embedded migrations.
func OpenSQLite(ctx context.Context, path string, opts ...Option) (*Store, error) {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("create the data folder for %s: %w", path, err)
		}
	}
	dsn := "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_txlock=immediate"
	db, err := openDB("sqlite", dsn, SQLite, opts)
	if err != nil {
		return nil, fmt.Errorf("open SQLite %s: %w", path, err)
	}
	// One writer at a time is SQLite's model; a small pool of readers is plenty.
	db.SetMaxOpenConns(8)
	s, err := open(ctx, db, SQLite)
	if err != nil {
		return nil, err
	}
	if s.file, err = os.Stat(path); err != nil {
		s.Close()
		return nil, fmt.Errorf("open SQLite %s: %w", path, err)
	}
	s.path = path
	return s, nil
}

// OpenPostgres connects to the PostgreSQL server at dsn (a postgres:// URL or
// key=value string) and applies the embedded migrations.
func OpenPostgres(ctx context.Context, dsn string, opts ...Option) (*Store, error) {
	db, err := openDB("pgx", dsn, Postgres, opts)
	if err != nil {
		return nil, fmt.Errorf("open PostgreSQL: %w", err)
	}
	db.SetMaxOpenConns(20)
	db.SetConnMaxIdleTime(time.Minute)
	return open(ctx, db, Postgres)
}

// Option changes how a store opens its database.
type Option func(*options)

type options struct {
	wrap func(c driver.Connector, d Dialect) driver.Connector
}

// WithConnector wraps the driver's connector before the pool is made: the
// place for instrumentation such as golocal's otel.Tracing.WrapConnector,
// which records a span per statement.
func WithConnector(wrap func(c driver.Connector, d Dialect) driver.Connector) Option {
	return func(o *options) { o.wrap = wrap }
}

// openDB opens the pool through the driver's connector, wrapped when an
// option asks for it.
func openDB(driverName, dsn string, d Dialect, opts []Option) (*sql.DB, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	if o.wrap == nil {
		return sql.Open(driverName, dsn)
	}
	probe, err := sql.Open(driverName, dsn)
	if err != nil {
		return nil, err
	}
	drv := probe.Driver()
	_ = probe.Close()
	var c driver.Connector = dsnConnector{drv: drv, dsn: dsn}
	if dc, ok := drv.(driver.DriverContext); ok { // pgx; modernc's sqlite has none
		if c, err = dc.OpenConnector(dsn); err != nil {
			return nil, err
		}
	}
	return sql.OpenDB(o.wrap(c, d)), nil
}

// dsnConnector is the connector database/sql itself uses for drivers
// without one: Open with the data source name.
type dsnConnector struct {
	drv driver.Driver
	dsn string
}

func (c dsnConnector) Connect(context.Context) (driver.Conn, error) { return c.drv.Open(c.dsn) }
func (c dsnConnector) Driver() driver.Driver                        { return c.drv }

func open(ctx context.Context, db *sql.DB, d Dialect) (*Store, error) {
	s := &Store{db: db, dialect: d, now: time.Now}
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := db.PingContext(pctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("connect to %s: %w", d, err)
	}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// DB is the underlying pool, for health checks (pool saturation) and metrics.
func (s *Store) DB() *sql.DB { return s.db }

// Dialect reports which database this store talks to.
func (s *Store) Dialect() Dialect { return s.dialect }

// Close closes the pool.
func (s *Store) Close() error { return s.db.Close() }

// migrate applies, in name order and each in its own transaction, the
// embedded migrations not yet recorded in schema_migrations.
func (s *Store) migrate(ctx context.Context) error {
	if _, err := s.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at BIGINT NOT NULL)`); err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	dir := "migrations/" + string(s.dialect)
	entries, err := fs.ReadDir(migrations, dir)
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	for _, name := range names {
		var n int
		if err := s.db.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM schema_migrations WHERE name = ?`), name).Scan(&n); err != nil {
			return fmt.Errorf("migration %s: %w", name, err)
		}
		if n > 0 {
			continue
		}
		body, err := fs.ReadFile(migrations, dir+"/"+name)
		if err != nil {
			return fmt.Errorf("migration %s: %w", name, err)
		}
		err = s.inTx(ctx, func(tx *sql.Tx) error {
			for _, stmt := range strings.Split(string(body), ";") {
				if strings.TrimSpace(stripComments(stmt)) == "" {
					continue
				}
				if _, err := tx.ExecContext(ctx, stmt); err != nil {
					return err
				}
			}
			_, err := tx.ExecContext(ctx, s.q(`INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)`), name, s.now().Unix())
			return err
		})
		if err != nil {
			return fmt.Errorf("migration %s: %w", name, err)
		}
	}
	return nil
}

func stripComments(stmt string) string {
	var b strings.Builder
	for _, line := range strings.Split(stmt, "\n") {
		if i := strings.Index(line, "--"); i >= 0 {
			line = line[:i]
		}
		b.WriteString(line)
		b.WriteByte('\n')
	}
	return b.String()
}

// q rewrites ? placeholders to $1, $2… for PostgreSQL. Queries here never
// contain a literal question mark.
func (s *Store) q(query string) string {
	if s.dialect != Postgres {
		return query
	}
	var b strings.Builder
	n := 0
	for i := 0; i < len(query); i++ {
		if query[i] == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteByte(query[i])
	}
	return b.String()
}

// inTx runs fn in a transaction, committing if it returns nil.
func (s *Store) inTx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

// requestHash fingerprints a create request for idempotency checks.
func requestHash(n order.New) string {
	b, _ := json.Marshal(n)
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// Create implements order.Repository. The order, its items and the
// idempotency key are written in one transaction: an order is stored whole
// or not at all.
func (s *Store) Create(ctx context.Context, n order.New, key string) (o order.Order, created bool, err error) {
	defer middleware.Time(ctx, "db").Stop() // Server-Timing: db (a no-op when off)
	defer func() {
		if err != nil || created { // a replay wrote nothing: it proves nothing about writes
			s.wrote(err)
		}
	}()
	if err := n.Validate(); err != nil {
		return order.Order{}, false, err
	}
	if err := s.fileGone(); err != nil {
		return order.Order{}, false, err
	}
	hash := requestHash(n)
	if key != "" {
		if o, found, err := s.byKey(ctx, key, hash); found || err != nil {
			return o, false, err
		}
	}
	// Stored with microsecond precision: return exactly what Get will.
	now := s.now().UTC().Truncate(time.Microsecond)
	o = order.Order{Customer: n.Customer, Currency: n.Currency, Items: n.Items, Total: n.Total(), Status: order.Created, CreatedAt: now, UpdatedAt: now}
	raced := false
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, s.q(`INSERT INTO orders (customer, currency, total, status, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id`),
			o.Customer, o.Currency, o.Total, string(o.Status), now.UnixMicro(), now.UnixMicro()).Scan(&o.ID)
		if err != nil {
			return err
		}
		for i, it := range n.Items {
			if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO order_items (order_id, position, sku, name, quantity, unit_price) VALUES (?, ?, ?, ?, ?, ?)`),
				o.ID, i, it.SKU, it.Name, it.Quantity, it.UnitPrice); err != nil {
				return err
			}
		}
		if key == "" {
			return nil
		}
		res, err := tx.ExecContext(ctx, s.q(`INSERT INTO idempotency_keys (key, request_hash, order_id, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (key) DO NOTHING`),
			key, hash, o.ID, now.UnixMicro())
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			// A concurrent request with the same key won: undo ours.
			raced = true
			return errRaced
		}
		return nil
	})
	if raced {
		o, found, err := s.byKey(ctx, key, hash)
		if err == nil && !found {
			err = fmt.Errorf("idempotency key %q vanished during a concurrent create", key)
		}
		return o, false, err
	}
	if err != nil {
		return order.Order{}, false, s.dbErr(ctx, "create order", err)
	}
	return o, true, nil
}

var errRaced = errors.New("idempotency key taken concurrently")

// byKey returns the order stored under an idempotency key.
func (s *Store) byKey(ctx context.Context, key, hash string) (order.Order, bool, error) {
	var id int64
	var stored string
	err := s.db.QueryRowContext(ctx, s.q(`SELECT order_id, request_hash FROM idempotency_keys WHERE key = ?`), key).Scan(&id, &stored)
	if errors.Is(err, sql.ErrNoRows) {
		return order.Order{}, false, nil
	}
	if err != nil {
		return order.Order{}, false, s.dbErr(ctx, "idempotency lookup", err)
	}
	if stored != hash {
		return order.Order{}, true, order.ErrIdempotencyMismatch
	}
	o, err := s.Get(ctx, id)
	return o, true, err
}

const orderColumns = `id, customer, currency, total, status, created_at, updated_at`

type scanner interface{ Scan(...any) error }

func scanOrder(row scanner) (order.Order, error) {
	var o order.Order
	var status string
	var created, updated int64
	if err := row.Scan(&o.ID, &o.Customer, &o.Currency, &o.Total, &status, &created, &updated); err != nil {
		return o, err
	}
	o.Status = order.Status(status)
	o.CreatedAt = time.UnixMicro(created).UTC()
	o.UpdatedAt = time.UnixMicro(updated).UTC()
	return o, nil
}

// Get implements order.Repository.
func (s *Store) Get(ctx context.Context, id int64) (order.Order, error) {
	defer middleware.Time(ctx, "db").Stop() // Server-Timing: db (a no-op when off)
	o, err := scanOrder(s.db.QueryRowContext(ctx, s.q(`SELECT `+orderColumns+` FROM orders WHERE id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return o, order.ErrNotFound
	}
	if err != nil {
		return o, s.dbErr(ctx, fmt.Sprintf("get order %d", id), err)
	}
	list := []order.Order{o}
	if err := s.loadItems(ctx, list); err != nil {
		return o, err
	}
	return list[0], nil
}

// loadItems fills the items of orders with one query.
func (s *Store) loadItems(ctx context.Context, orders []order.Order) error {
	if len(orders) == 0 {
		return nil
	}
	idx := make(map[int64]int, len(orders))
	args := make([]any, len(orders))
	for i, o := range orders {
		idx[o.ID] = i
		args[i] = o.ID
	}
	query := `SELECT order_id, sku, name, quantity, unit_price FROM order_items WHERE order_id IN (?` + strings.Repeat(", ?", len(orders)-1) + `) ORDER BY order_id, position`
	rows, err := s.db.QueryContext(ctx, s.q(query), args...)
	if err != nil {
		return s.dbErr(ctx, "load items", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var it order.Item
		if err := rows.Scan(&id, &it.SKU, &it.Name, &it.Quantity, &it.UnitPrice); err != nil {
			return s.dbErr(ctx, "load items", err)
		}
		i := idx[id]
		orders[i].Items = append(orders[i].Items, it)
	}
	if err := rows.Err(); err != nil {
		return s.dbErr(ctx, "load items", err)
	}
	return nil
}

// List implements order.Repository: newest first, keyset pagination on id.
func (s *Store) List(ctx context.Context, opts order.ListOptions) (order.Page, error) {
	defer middleware.Time(ctx, "db").Stop() // Server-Timing: db (a no-op when off)
	limit := opts.Limit
	if limit == 0 {
		limit = 20
	}
	if limit < 1 || limit > 100 {
		return order.Page{}, fmt.Errorf("limit %d out of range 1..100", limit)
	}
	before := int64(1<<63 - 1)
	if opts.After != "" {
		id, err := decodeCursor(opts.After)
		if err != nil {
			return order.Page{}, err
		}
		before = id
	}
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT `+orderColumns+` FROM orders WHERE id < ? ORDER BY id DESC LIMIT ?`), before, limit+1)
	if err != nil {
		return order.Page{}, s.dbErr(ctx, "list orders", err)
	}
	var page order.Page
	for rows.Next() {
		o, err := scanOrder(rows)
		if err != nil {
			rows.Close()
			return order.Page{}, s.dbErr(ctx, "list orders", err)
		}
		page.Orders = append(page.Orders, o)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return order.Page{}, s.dbErr(ctx, "list orders", err)
	}
	if len(page.Orders) > limit {
		page.Orders = page.Orders[:limit]
		page.Next = encodeCursor(page.Orders[limit-1].ID)
	}
	if err := s.loadItems(ctx, page.Orders); err != nil {
		return order.Page{}, err
	}
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM orders`).Scan(&page.Total); err != nil {
		return order.Page{}, s.dbErr(ctx, "count orders", err)
	}
	return page, nil
}

// Transition implements order.Repository with a conditional update, so two
// concurrent transitions cannot both succeed from the same state.
func (s *Store) Transition(ctx context.Context, id int64, to order.Status) (_ order.Order, err error) {
	defer middleware.Time(ctx, "db").Stop() // Server-Timing: db (a no-op when off)
	defer func() { s.wrote(err) }()
	if err := s.fileGone(); err != nil {
		return order.Order{}, err
	}
	preds := to.Predecessors()
	if len(preds) > 0 {
		args := []any{string(to), s.now().UTC().UnixMicro(), id}
		for _, p := range preds {
			args = append(args, string(p))
		}
		res, err := s.db.ExecContext(ctx, s.q(`UPDATE orders SET status = ?, updated_at = ? WHERE id = ? AND status IN (?`+strings.Repeat(", ?", len(preds)-1)+`)`), args...)
		if err != nil {
			return order.Order{}, s.dbErr(ctx, fmt.Sprintf("transition order %d", id), err)
		}
		if n, _ := res.RowsAffected(); n == 1 {
			return s.Get(ctx, id)
		}
	}
	cur, err := s.Get(ctx, id)
	if err != nil {
		return order.Order{}, err
	}
	return order.Order{}, &order.TransitionError{From: cur.Status, To: to}
}

// Cursors are opaque to clients: base64url of "o1:<id>".
func encodeCursor(id int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte("o1:" + strconv.FormatInt(id, 10)))
}

func decodeCursor(c string) (int64, error) {
	if len(c) > 64 {
		return 0, order.ErrBadCursor
	}
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return 0, order.ErrBadCursor
	}
	rest, ok := strings.CutPrefix(string(b), "o1:")
	if !ok {
		return 0, order.ErrBadCursor
	}
	id, err := strconv.ParseInt(rest, 10, 64)
	if err != nil || id < 1 {
		return 0, order.ErrBadCursor
	}
	return id, nil
}
