// Command svc is the service golocal canary's tests compare with itself.
// It uses the kit (listen, serve, middleware, metrics, admin) and a SQLite
// database, and its behaviour is set by environment variables so that one
// build can play baseline and candidate:
//
//	SVC_SLOW_ROUTE  a route pattern ("/items/{id}") that sleeps SVC_SLOW_MS
//	SVC_DB_FAIL     the fraction (0..1) of database connections that fail
//	                to open, injected in the driver.Connector
//	SVC_CRASH_AFTER exit with status 2 after this many requests
//	ADMIN_ADDR      the admin listener (default 127.0.0.1:0)
package main

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"modernc.org/sqlite"

	"github.com/golocal/golocal/admin"
	"github.com/golocal/golocal/listen"
	"github.com/golocal/golocal/metrics"
	"github.com/golocal/golocal/middleware"
	"github.com/golocal/golocal/serve"
)

func main() {
	if err := run(context.Background(), os.Getenv); err != nil {
		log.Fatal(err)
	}
}

// faultyConnector fails a share of connection attempts, as a database
// behind a broken network or a full connection table does.
type faultyConnector struct {
	dsn  string
	fail float64
	drv  driver.Driver
}

func (c *faultyConnector) Connect(context.Context) (driver.Conn, error) {
	if c.fail > 0 && rand.Float64() < c.fail {
		return nil, errors.New("svc: injected connection failure")
	}
	return c.drv.Open(c.dsn)
}

func (c *faultyConnector) Driver() driver.Driver { return c.drv }

// dbDir holds the database; it is removed on every way out (return from
// run, the deliberate crash), so runs leave nothing in the temp folder.
var dbDir string

func openDB(getenv func(string) string) (*sql.DB, error) {
	dir, err := os.MkdirTemp("", "svc-db-")
	if err != nil {
		return nil, err
	}
	dbDir = dir
	fail, _ := strconv.ParseFloat(getenv("SVC_DB_FAIL"), 64)
	db := sql.OpenDB(&faultyConnector{dsn: filepath.Join(dir, "svc.db"), fail: fail, drv: &sqlite.Driver{}})
	// No idle connections: every query opens one, so the injected fault
	// shows on every request that needs the database.
	db.SetMaxIdleConns(0)
	db.SetMaxOpenConns(4)
	for range 20 { // the schema must exist even when connections fail
		if _, err = db.Exec(`CREATE TABLE IF NOT EXISTS items (id INTEGER PRIMARY KEY, name TEXT)`); err == nil {
			_, err = db.Exec(`INSERT OR IGNORE INTO items VALUES (1, 'one'), (2, 'two'), (3, 'three')`)
		}
		if err == nil {
			return db, nil
		}
	}
	return nil, err
}

func run(ctx context.Context, getenv func(string) string) error {
	defer func() {
		if dbDir != "" {
			os.RemoveAll(dbDir)
		}
	}()
	db, err := openDB(getenv)
	if err != nil {
		return err
	}
	defer db.Close()
	m, err := metrics.New(metrics.Options{Namespace: "svc", NoRuntimeCollectors: true})
	if err != nil {
		return err
	}
	queryTime := prometheus.NewHistogram(prometheus.HistogramOpts{Name: "svc_db_query_duration_seconds", Help: "Time of one item query."})
	m.Registry().MustRegister(collectors.NewDBStatsCollector(db, "svc"), queryTime)
	mux := routes(db, queryTime, getenv)
	res, err := listen.Listen(ctx, listen.Options{Default: "127.0.0.1:8080"})
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	stack, err := middleware.Stack(middleware.StackOptions{Logger: logger, Metrics: m.Middleware})
	if err != nil {
		return err
	}
	adminAddr := getenv("ADMIN_ADDR")
	if adminAddr == "" {
		adminAddr = "127.0.0.1:0"
	}
	return serve.Run(ctx, res.Listener, crashAfter(getenv, stack(mux)), serve.Options{
		Logger: logger,
		Admin:  &serve.Admin{Addr: adminAddr, Handler: admin.New(admin.Options{Metrics: m.Handler()})},
	})
}

func routes(db *sql.DB, queryTime prometheus.Histogram, getenv func(string) string) *http.ServeMux {
	mux := http.NewServeMux()
	slow := slowdown(getenv)
	mux.Handle("GET /{$}", slow("/{$}", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "hello from svc\n")
	}))
	mux.Handle("GET /items/{id}", slow("/items/{id}", func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		var name string
		err := db.QueryRowContext(r.Context(), `SELECT name FROM items WHERE id = ?`, r.PathValue("id")).Scan(&name)
		queryTime.Observe(time.Since(start).Seconds())
		switch {
		case errors.Is(err, sql.ErrNoRows):
			http.Error(w, "no such item", http.StatusNotFound)
			return
		case err != nil:
			http.Error(w, "database: "+err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{"id": r.PathValue("id"), "name": name, "served_at": time.Now().Format(time.RFC3339Nano)})
	}))
	mux.Handle("GET /about", slow("/about", func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "svc %s\n", getenv("SVC_NOTE"))
	}))
	return mux
}

// slowdown wraps the handler of SVC_SLOW_ROUTE with a sleep of SVC_SLOW_MS.
func slowdown(getenv func(string) string) func(pattern string, h http.HandlerFunc) http.Handler {
	ms, _ := strconv.Atoi(getenv("SVC_SLOW_MS"))
	route := getenv("SVC_SLOW_ROUTE")
	return func(pattern string, h http.HandlerFunc) http.Handler {
		if pattern != route || ms <= 0 {
			return h
		}
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			time.Sleep(time.Duration(ms) * time.Millisecond)
			h(w, r)
		})
	}
}

// crashAfter exits the process after SVC_CRASH_AFTER requests, as a
// version with a fatal bug does.
func crashAfter(getenv func(string) string, next http.Handler) http.Handler {
	n, _ := strconv.ParseInt(getenv("SVC_CRASH_AFTER"), 10, 64)
	if n <= 0 {
		return next
	}
	var seen atomic.Int64
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if seen.Add(1) > n {
			fmt.Fprintln(os.Stderr, "svc: fatal: crashing on purpose after", n, "requests")
			os.RemoveAll(dbDir)
			os.Exit(2)
		}
		next.ServeHTTP(w, r)
	})
}
