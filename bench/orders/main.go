// Command orders measures the reference service's create and get
// throughput with golocal's full production stack (recover, trace ids, JSON
// access log to a discarded writer, security headers with a CSP nonce, CORS,
// body limit, metrics, sessions and cross-origin protection on the routes)
// against the same handlers without the middleware stack, side by side in one
// run, on SQLite and, when GOLOCAL_TEST_POSTGRES is set, on PostgreSQL.
// Everything runs on loopback, for a bounded time.
//
//	go run ./bench/orders
//	go run ./bench/orders -clients 16 -duration 3s
//
// Each cell alternates between the two handlers in short rounds so that
// drift (page cache, WAL growth, the other processes of a shared machine)
// hits both alike. Exit status: 0 when every request succeeded, 1 when some
// failed, 2 on bad flags.
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/golocal/golocal/examples/orders/app"
	"github.com/golocal/golocal/examples/orders/sqlstore"
	"github.com/golocal/golocal/examples/orders/web"
	"github.com/golocal/golocal/health"
	"github.com/golocal/golocal/metrics"
	"github.com/golocal/golocal/session"
)

func main() {
	os.Exit(run(os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

type config struct {
	clients  int
	duration time.Duration
	rounds   int
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	fs := flag.NewFlagSet("orders", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c config
	fs.IntVar(&c.clients, "clients", 8, "concurrent clients (1-256)")
	fs.DurationVar(&c.duration, "duration", 2*time.Second, "load time per handler, operation and database (at most 30s)")
	fs.IntVar(&c.rounds, "rounds", 4, "alternating rounds the duration is split into (1-20)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	switch {
	case fs.NArg() > 0:
		return c, fmt.Errorf("unexpected argument %q; this command takes only flags", fs.Arg(0))
	case c.clients < 1 || c.clients > 256:
		return c, fmt.Errorf("-clients %d out of range; use 1 to 256 (the machine is shared)", c.clients)
	case c.duration <= 0 || c.duration > 30*time.Second:
		return c, fmt.Errorf("-duration %v out of range; use more than 0 and at most 30s", c.duration)
	case c.rounds < 1 || c.rounds > 20:
		return c, fmt.Errorf("-rounds %d out of range; use 1 to 20", c.rounds)
	}
	return c, nil
}

func run(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	cfg, err := parseFlags(args, stderr)
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(stderr, "orders bench:", err)
		}
		return 2
	}
	backends := []string{"sqlite"}
	if getenv("GOLOCAL_TEST_POSTGRES") != "" {
		backends = append(backends, "postgres")
	} else {
		fmt.Fprintln(stdout, "(PostgreSQL skipped: set GOLOCAL_TEST_POSTGRES to a postgres:// URL to include it)")
	}
	fmt.Fprintf(stdout, "%d clients, %v per cell in %d alternating rounds, loopback HTTP/1.1 keep-alive\n\n", cfg.clients, cfg.duration, cfg.rounds)
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "database\top\tbare req/s\tfull req/s\tfull/bare\tbare p50\tfull p50\tbare p99\tfull p99\t")
	failed := false
	for _, b := range backends {
		rows, err := bench(b, cfg, getenv)
		if err != nil {
			fmt.Fprintf(stderr, "orders bench: %s: %v\n", b, err)
			return 1
		}
		for _, r := range rows {
			fmt.Fprintf(tw, "%s\t%s\t%.0f\t%.0f\t%.2f\t%v\t%v\t%v\t%v\t\n", b, r.op,
				r.bare.rate(), r.full.rate(), r.full.rate()/r.bare.rate(),
				r.bare.pct(50), r.full.pct(50), r.bare.pct(99), r.full.pct(99))
			if r.bare.errors+r.full.errors > 0 {
				failed = true
				fmt.Fprintf(stderr, "%s %s: %d failed requests (bare %d, full %d); first: %s\n", b, r.op, r.bare.errors+r.full.errors, r.bare.errors, r.full.errors, r.firstError())
			}
		}
	}
	tw.Flush()
	fmt.Fprintln(stdout, "\nfull/bare below 1 is the cost of the production stack per request; both sides do the same database work.")
	if failed {
		return 1
	}
	return 0
}

// stats are one handler's figures for one operation.
type stats struct {
	n, errors int64
	elapsed   time.Duration
	latencies []time.Duration
	first     string
}

func (s *stats) rate() float64 {
	if s.elapsed == 0 {
		return 0
	}
	return float64(s.n) / s.elapsed.Seconds()
}

func (s *stats) pct(p int) time.Duration {
	if len(s.latencies) == 0 {
		return 0
	}
	slices.Sort(s.latencies)
	i := len(s.latencies) * p / 100
	if i >= len(s.latencies) {
		i = len(s.latencies) - 1
	}
	return s.latencies[i].Round(time.Microsecond)
}

type row struct {
	op         string
	bare, full *stats
}

func (r row) firstError() string {
	if r.bare.first != "" {
		return "bare: " + r.bare.first
	}
	return "full: " + r.full.first
}

// bench measures both handlers on one database.
func bench(backend string, cfg config, getenv func(string) string) ([]row, error) {
	ctx := context.Background()
	store, cleanup, err := openStore(ctx, backend, getenv)
	if err != nil {
		return nil, err
	}
	defer cleanup()

	conf, err := app.Load(nil, []string{"ORDERS_PROFILE=prod", "ORDERS_SESSION_KEYS=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "ORDERS_CORS_ORIGINS=http://127.0.0.1:1"})
	if err != nil {
		return nil, err
	}
	discard := slog.New(slog.NewJSONHandler(io.Discard, nil))
	keys, _ := session.ParseKeys(conf.SessionKeys)
	sessions, err := session.New(session.Options{Keys: keys, Profile: conf.Profile, Logger: discard})
	if err != nil {
		return nil, err
	}
	h := health.New(health.Options{})
	m, err := metrics.New(metrics.Options{Namespace: "orders", NoRuntimeCollectors: true})
	if err != nil {
		return nil, err
	}
	full, err := app.Handler(app.HandlerOptions{Config: conf, Store: store, Sessions: sessions, Health: h, Metrics: m, Logger: discard})
	if err != nil {
		return nil, err
	}
	bare, err := web.New(web.Options{Orders: store, Sessions: sessions, TrustedOrigins: conf.CORSOrigins, Logger: discard})
	if err != nil {
		return nil, err
	}
	bareURL, stopBare, err := serveLoopback(bare)
	if err != nil {
		return nil, err
	}
	defer stopBare()
	fullURL, stopFull, err := serveLoopback(full)
	if err != nil {
		return nil, err
	}
	defer stopFull()

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: cfg.clients, MaxConnsPerHost: cfg.clients}, Timeout: 10 * time.Second}
	defer client.CloseIdleConnections()

	var seq atomic.Int64
	create := func(base string) error {
		n := seq.Add(1)
		body := `{"customer":"bench ` + strconv.FormatInt(n, 10) + `","currency":"EUR","items":[{"sku":"A1","name":"Tea","quantity":2,"unit_price":{"amount":"3.50","currency":"EUR"}},{"sku":"B2","name":"Cup","quantity":1,"unit_price":{"amount":"9.00","currency":"EUR"}}]}`
		req, _ := http.NewRequest("POST", base+"/api/v2/orders", bytes.NewReader([]byte(body)))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", "bench-"+strconv.FormatInt(n, 10))
		return expect(client, req, http.StatusCreated)
	}
	get := func(base string) error {
		id := 1 + time.Now().UnixNano()%seq.Load()
		req, _ := http.NewRequest("GET", base+"/api/v2/orders/"+strconv.FormatInt(id, 10), nil)
		return expect(client, req, http.StatusOK)
	}
	var rows []row
	for _, op := range []struct {
		name string
		do   func(string) error
	}{{"create", create}, {"get", get}} {
		r := row{op: op.name, bare: &stats{}, full: &stats{}}
		slice := cfg.duration / time.Duration(cfg.rounds)
		for range cfg.rounds {
			load(bareURL, op.do, cfg.clients, slice, r.bare)
			load(fullURL, op.do, cfg.clients, slice, r.full)
		}
		rows = append(rows, r)
	}
	return rows, nil
}

// load runs clients against base for d, adding to s.
func load(base string, do func(string) error, clients int, d time.Duration, s *stats) {
	var mu sync.Mutex
	var wg sync.WaitGroup
	start := time.Now()
	deadline := start.Add(d)
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var lat []time.Duration
			var n, errs int64
			var first string
			for time.Now().Before(deadline) {
				t0 := time.Now()
				err := do(base)
				lat = append(lat, time.Since(t0))
				n++
				if err != nil {
					errs++
					if first == "" {
						first = err.Error()
					}
				}
			}
			mu.Lock()
			s.n += n
			s.errors += errs
			s.latencies = append(s.latencies, lat...)
			if s.first == "" {
				s.first = first
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	s.elapsed += time.Since(start)
}

func expect(c *http.Client, req *http.Request, status int) error {
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != status {
		return fmt.Errorf("%s %s: %d %.200s", req.Method, req.URL.Path, resp.StatusCode, b)
	}
	return nil
}

func serveLoopback(h http.Handler) (string, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	return "http://" + ln.Addr().String(), func() { srv.Close() }, nil
}

// openStore opens a fresh database: SQLite in a temporary folder, or a new
// schema on the GOLOCAL_TEST_POSTGRES server, removed afterwards.
func openStore(ctx context.Context, backend string, getenv func(string) string) (*sqlstore.Store, func(), error) {
	if backend == "sqlite" {
		dir, err := os.MkdirTemp("", "orders-bench")
		if err != nil {
			return nil, nil, err
		}
		s, err := sqlstore.OpenSQLite(ctx, filepath.Join(dir, "orders.db"))
		if err != nil {
			os.RemoveAll(dir)
			return nil, nil, err
		}
		return s, func() { s.Close(); os.RemoveAll(dir) }, nil
	}
	base := getenv("GOLOCAL_TEST_POSTGRES")
	admin, err := sql.Open("pgx", base)
	if err != nil {
		return nil, nil, err
	}
	b := make([]byte, 6)
	rand.Read(b)
	schema := "bench_" + hex.EncodeToString(b)
	if _, err := admin.ExecContext(ctx, `CREATE SCHEMA `+schema); err != nil {
		admin.Close()
		return nil, nil, fmt.Errorf("create a schema on GOLOCAL_TEST_POSTGRES: %w", err)
	}
	drop := func() { admin.ExecContext(ctx, `DROP SCHEMA `+schema+` CASCADE`); admin.Close() }
	u, err := url.Parse(base)
	if err != nil {
		drop()
		return nil, nil, fmt.Errorf("GOLOCAL_TEST_POSTGRES must be a postgres:// URL: %w", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	s, err := sqlstore.OpenPostgres(ctx, u.String())
	if err != nil {
		drop()
		return nil, nil, err
	}
	return s, func() { s.Close(); drop() }, nil
}
