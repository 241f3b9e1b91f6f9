package app

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golocal/golocal/examples/orders/sqlstore"
	"github.com/golocal/golocal/health"
	"github.com/golocal/golocal/middleware"
	"github.com/golocal/golocal/serve"
	"github.com/golocal/golocal/session"
)

// backends starts the whole service on SQLite and, when GOLOCAL_TEST_POSTGRES
// is set, on a fresh PostgreSQL schema.
var backends = []struct {
	name string
	env  func(t *testing.T) []string
}{
	{"sqlite", func(t *testing.T) []string { return nil }},
	{"postgres", func(t *testing.T) []string { return []string{"ORDERS_DATABASE_URL=" + postgresURL(t).String()} }},
}

// items returns the JSON items array of n identical items, in API version
// 1 (unit_price in minor units) or 2 ({amount, currency}).
func items(n, version int) string {
	item := `{"sku":"A","name":"Tea","quantity":1,"unit_price":150}`
	if version == 2 {
		item = `{"sku":"A","name":"Tea","quantity":1,"unit_price":{"amount":"1.50","currency":"EUR"}}`
	}
	return "[" + strings.TrimSuffix(strings.Repeat(item+",", n), ",") + "]"
}

// TestBadInput sends each kind of bad input of issue 7 to the assembled
// service over a real socket, on each database: each gets its defined
// problem, and afterwards the database holds exactly the orders that were
// accepted, each with all its items and in the status it was moved to.
func TestBadInput(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			app := startApp(t, b.env(t)...)
			send := func(method, path, body string, header ...string) (*http.Response, string) {
				t.Helper()
				req, err := http.NewRequest(method, app.URL+path, strings.NewReader(body))
				if err != nil {
					t.Fatal(err)
				}
				req.Header.Set("Content-Type", "application/json")
				for i := 0; i+1 < len(header); i += 2 {
					req.Header.Set(header[i], header[i+1])
				}
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				got, _ := io.ReadAll(resp.Body)
				return resp, string(got)
			}
			// One good order, paid: the transitions below start from there.
			good := `{"customer":"Ada","currency":"EUR","items":` + items(2, 1) + `}`
			if resp, body := send("POST", "/api/v1/orders", good); resp.StatusCode != 201 {
				t.Fatalf("good order: %d %s", resp.StatusCode, body)
			}
			if resp, body := send("POST", "/api/v1/orders/1/transitions", `{"status":"paid"}`); resp.StatusCode != 200 {
				t.Fatalf("pay: %d %s", resp.StatusCode, body)
			}
			tests := []struct {
				name, method, path, body string
				header                   []string
				status                   int
				want                     []string // substrings of the problem
			}{
				{"malformed JSON", "POST", "/api/v1/orders", `{"customer":"Ada","items":[`, nil, 400, []string{"truncated"}},
				{"JSON syntax error", "POST", "/api/v2/orders", `{"customer" "Ada"}`, nil, 400, []string{"malformed JSON at byte"}},
				{"unknown field", "POST", "/api/v1/orders", `{"customer":"Ada","currency":"EUR","colour":"red","items":` + items(1, 1) + `}`, nil, 400, []string{`"field":"colour"`}},
				{"unknown field in an item", "POST", "/api/v2/orders", `{"customer":"Ada","currency":"EUR","items":[{"sku":"A","name":"T","quantity":1,"unit_price":{"amount":"1","currency":"EUR"},"discount":5}]}`, nil, 400, []string{`"field":"discount"`}},
				{"negative quantity", "POST", "/api/v1/orders", `{"customer":"Ada","currency":"EUR","items":[{"sku":"A","name":"T","quantity":-3,"unit_price":150}]}`, nil, 400, []string{`"/problems/validation"`, `"field":"items[0].quantity"`}},
				{"negative price (v2)", "POST", "/api/v2/orders", `{"customer":"Ada","currency":"EUR","items":[{"sku":"A","name":"T","quantity":1,"unit_price":{"amount":"-1.50","currency":"EUR"}}]}`, nil, 400, []string{`"field":"items[0].unit_price.amount"`}},
				{"10,000 items (v1)", "POST", "/api/v1/orders", `{"customer":"Ada","currency":"EUR","items":` + items(10_000, 1) + `}`, nil, 400, []string{"has 10000 items; an order holds at most 100"}},
				{"10,000 items (v2)", "POST", "/api/v2/orders", `{"customer":"Ada","currency":"EUR","items":` + items(10_000, 2) + `}`, nil, 400, []string{"has 10000 items; an order holds at most 100"}},
				{"unknown version in Accept (GET)", "GET", "/api/orders", "", []string{"Accept", "application/vnd.orders.v3+json"}, 406, []string{`"supported_versions":[1,2]`}},
				{"unknown version in Accept (POST writes nothing)", "POST", "/api/orders", good, []string{"Accept", "application/vnd.orders.v3+json"}, 406, []string{`"supported_versions":[1,2]`}},
				{"unknown version parameter", "GET", "/api/orders/1", "", []string{"Accept", "application/json; version=7"}, 406, []string{`"supported_versions":[1,2]`}},
				{"transition not allowed", "POST", "/api/v1/orders/1/transitions", `{"status":"delivered"}`, nil, 409, []string{`"/problems/invalid-transition"`, `"current_status":"paid"`, `"allowed":["shipped","cancelled"]`}},
				{"transition back", "POST", "/api/v2/orders/1/transitions", `{"status":"created"}`, nil, 409, []string{`"current_status":"paid"`}},
				{"unknown status", "POST", "/api/v1/orders/1/transitions", `{"status":"lost"}`, nil, 400, []string{`"field":"status"`}},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					resp, body := send(tt.method, tt.path, tt.body, tt.header...)
					if resp.StatusCode != tt.status {
						t.Fatalf("status %d, want %d\n%.400s", resp.StatusCode, tt.status, body)
					}
					if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
						t.Errorf("Content-Type %q, want application/problem+json", ct)
					}
					for _, w := range tt.want {
						if !strings.Contains(body, w) {
							t.Errorf("problem lacks %s:\n%.400s", w, body)
						}
					}
				})
			}
			// Nothing of the refused requests was stored; the good order is
			// whole and still paid.
			resp, body := send("GET", "/api/v1/orders", "")
			var list []struct {
				ID     int64
				Status string
				Items  []json.RawMessage
			}
			if err := json.Unmarshal([]byte(body), &list); err != nil {
				t.Fatalf("list: %v\n%s", err, body)
			}
			if resp.Header.Get("X-Total-Count") != "1" || len(list) != 1 || len(list[0].Items) != 2 || list[0].Status != "paid" {
				t.Fatalf("after the bad input: X-Total-Count %q, orders %+v; want the one good order, 2 items, paid", resp.Header.Get("X-Total-Count"), list)
			}
		})
	}
}

// countingListener counts the bytes read from every connection it
// accepted: what the server took off the socket.
type countingListener struct {
	net.Listener
	read atomic.Int64
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &countingConn{Conn: c, n: &l.read}, nil
}

type countingConn struct {
	net.Conn
	n *atomic.Int64
}

func (c *countingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// hugeBody streams a JSON object of size bytes without holding it: a
// customer name of size-16 'x's. It counts what the client sent.
type hugeBody struct {
	size, off int64
	sent      *atomic.Int64
}

func (b *hugeBody) Read(p []byte) (int, error) {
	const head = `{"customer":"`
	if b.off >= b.size {
		return 0, io.EOF
	}
	n := 0
	for n < len(p) && b.off < b.size {
		switch {
		case b.off < int64(len(head)):
			p[n] = head[b.off]
		case b.off == b.size-2:
			p[n] = '"'
		case b.off == b.size-1:
			p[n] = '}'
		default:
			p[n] = 'x'
		}
		n++
		b.off++
	}
	b.sent.Add(int64(n))
	return n, nil
}

// serveCounting serves the public handler exactly as Run assembles it
// (middleware stack, sessions, health, serve.Run's timeouts) on a listener
// that counts the bytes the server reads, on a fresh SQLite database.
func serveCounting(t *testing.T) (*countingListener, *sqlstore.Store) {
	t.Helper()
	cfg, err := Load(nil, []string{"ORDERS_PROFILE=dev", "ORDERS_DATA_DIR=" + t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	store, err := sqlstore.OpenSQLite(context.Background(), filepath.Join(cfg.DataDir, "orders.db"))
	if err != nil {
		t.Fatal(err)
	}
	sessions, err := session.New(session.Options{Keys: [][]byte{make([]byte, session.KeySize)}, Profile: "dev"})
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	handler, err := Handler(HandlerOptions{Config: cfg, Store: store, Sessions: sessions, Health: health.New(health.Options{}), Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cl := &countingListener{Listener: ln}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- serve.Run(ctx, cl, handler, serve.Options{Logger: log, Getenv: func(string) string { return "" }, Grace: 2 * time.Second})
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
		store.Close()
	})
	return cl, store
}

// TestHundredMegabyteBody streams a 100 MB order to the assembled service
// over a real socket, once with its Content-Length declared and once
// chunked (the size unknown until the end). Each must be refused with a
// 413 problem after the server read at most the 1 MiB cap plus slack, not
// 100 MB, and quickly; nothing may be stored.
func TestHundredMegabyteBody(t *testing.T) {
	const (
		size  = 100 << 20
		limit = middleware.DefaultMaxBodyBytes // the stack's cap; package web caps at the same 1 MiB
		// slack: the request head, bufio's read-ahead and the up to 256 KiB
		// net/http may read to drain a body before closing.
		slack = 320 << 10
	)
	ln, store := serveCounting(t)
	base := "http://" + ln.Addr().String()
	for _, chunked := range []bool{false, true} {
		name := "declared Content-Length"
		if chunked {
			name = "chunked"
		}
		t.Run(name, func(t *testing.T) {
			before := ln.read.Load()
			var sent atomic.Int64
			req, err := http.NewRequest("POST", base+"/api/v1/orders", &hugeBody{size: size, sent: &sent})
			if err != nil {
				t.Fatal(err)
			}
			req.ContentLength = size
			if chunked {
				req.ContentLength = -1
			}
			req.Header.Set("Content-Type", "application/json")
			start := time.Now()
			client := &http.Client{Transport: &http.Transport{}, Timeout: 20 * time.Second}
			defer client.CloseIdleConnections()
			resp, err := client.Do(req)
			if err != nil {
				t.Fatalf("the client got no answer (%v) after sending %d bytes", err, sent.Load())
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			elapsed := time.Since(start)
			read := ln.read.Load() - before
			t.Logf("%s: %d %s in %v; the client sent %.1f MiB, the server read %.2f MiB (cap %d MiB)",
				name, resp.StatusCode, resp.Header.Get("Content-Type"), elapsed.Round(time.Millisecond), float64(sent.Load())/(1<<20), float64(read)/(1<<20), limit>>20)
			if resp.StatusCode != http.StatusRequestEntityTooLarge || resp.Header.Get("Content-Type") != "application/problem+json" {
				t.Errorf("status %d %s, want 413 application/problem+json\n%.300s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
			}
			if read > limit+slack {
				t.Errorf("the server read %d bytes of a %d-byte body; want at most the cap %d + %d", read, size, limit, slack)
			}
			if sent.Load() >= size {
				t.Errorf("the client sent the whole %d bytes: the server did not cut it off", size)
			}
		})
	}
	var n int
	if err := store.DB().QueryRow(`SELECT COUNT(*) FROM orders`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("%d orders stored from refused bodies", n)
	}
}
