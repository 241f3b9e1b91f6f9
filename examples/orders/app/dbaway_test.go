package app

import (
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// postgresURL returns a URL for a fresh schema on the server named by
// GOLOCAL_TEST_POSTGRES, dropped when the test ends. Without the variable
// the test is skipped, unless GOLOCAL_REQUIRE_POSTGRES=1 makes it fail.
func postgresURL(t *testing.T) *url.URL {
	t.Helper()
	base := os.Getenv("GOLOCAL_TEST_POSTGRES")
	if base == "" {
		if os.Getenv("GOLOCAL_REQUIRE_POSTGRES") == "1" {
			t.Fatal("GOLOCAL_REQUIRE_POSTGRES=1 but GOLOCAL_TEST_POSTGRES is not set")
		}
		t.Skip("set GOLOCAL_TEST_POSTGRES to a PostgreSQL URL to run this test on PostgreSQL")
	}
	db, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 6)
	rand.Read(b)
	schema := "t_" + hex.EncodeToString(b)
	if _, err := db.Exec(`CREATE SCHEMA ` + schema); err != nil {
		t.Fatalf("create schema on GOLOCAL_TEST_POSTGRES: %v", err)
	}
	t.Cleanup(func() {
		db.Exec(`DROP SCHEMA ` + schema + ` CASCADE`)
		db.Close()
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("GOLOCAL_TEST_POSTGRES must be a postgres:// URL: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u
}

// proxy is a loopback TCP proxy that can cut the database off (closing the
// listener and every connection) and bring it back on the same port.
type proxy struct {
	t      *testing.T
	addr   string
	target string
	mu     sync.Mutex
	ln     net.Listener
	conns  map[net.Conn]bool
}

func newProxy(t *testing.T, target string) *proxy {
	p := &proxy{t: t, addr: "127.0.0.1:0", target: target, conns: map[net.Conn]bool{}}
	p.up()
	t.Cleanup(p.down)
	return p
}

func (p *proxy) up() {
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		p.t.Fatalf("proxy listen: %v", err)
	}
	p.mu.Lock()
	p.ln, p.addr = ln, ln.Addr().String()
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.serve(c)
		}
	}()
}

func (p *proxy) serve(c net.Conn) {
	up, err := net.Dial("tcp", p.target)
	if err != nil {
		c.Close()
		return
	}
	p.mu.Lock()
	if p.ln == nil { // cut off meanwhile
		p.mu.Unlock()
		c.Close()
		up.Close()
		return
	}
	p.conns[c], p.conns[up] = true, true
	p.mu.Unlock()
	go func() { io.Copy(up, c); up.Close() }()
	io.Copy(c, up)
	c.Close()
}

// down closes the listener and every proxied connection: to the service,
// the database has gone away.
func (p *proxy) down() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		c.Close()
	}
	clear(p.conns)
}

// waitStatus polls url until it answers want.
func waitStatus(t *testing.T, url string, want int, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == want {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not answer %d within %s (last: %v %v)", url, want, within, resp, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func post(t *testing.T, url, body string) (*http.Response, string) {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// TestDatabaseGoesAway cuts PostgreSQL off behind a loopback proxy while the
// service runs: readiness turns 503, requests get 503 problems with
// Retry-After, nothing is half-written, and all recovers when the database
// is reachable again.
func TestDatabaseGoesAway(t *testing.T) {
	u := postgresURL(t)
	p := newProxy(t, u.Host)
	u.Host = p.addr
	app := startApp(t, "ORDERS_DATABASE_URL="+u.String())
	const body = `{"customer":"Ada","currency":"EUR","items":[{"sku":"A","name":"Tea","quantity":1,"unit_price":100}]}`

	if resp, b := post(t, app.URL+"/api/v1/orders", body); resp.StatusCode != 201 {
		t.Fatalf("create before the outage: %d %s", resp.StatusCode, b)
	}
	waitStatus(t, app.URL+"/readyz", 200, 5*time.Second)

	p.down()
	waitStatus(t, app.URL+"/readyz", 503, 10*time.Second)
	for _, tt := range []struct {
		name string
		do   func() (*http.Response, string)
	}{
		{"list", func() (*http.Response, string) { return get(t, app.URL+"/api/v1/orders") }},
		{"get", func() (*http.Response, string) { return get(t, app.URL+"/api/v1/orders/1") }},
		{"create", func() (*http.Response, string) { return post(t, app.URL+"/api/v1/orders", body) }},
		{"page", func() (*http.Response, string) { return get(t, app.URL+"/orders", "Accept", "text/html") }},
	} {
		resp, b := tt.do()
		if resp.StatusCode != 503 || resp.Header.Get("Retry-After") == "" {
			t.Errorf("%s during the outage: %d (Retry-After %q), want 503 with Retry-After\n%.300s", tt.name, resp.StatusCode, resp.Header.Get("Retry-After"), b)
		}
		if tt.name != "page" && !strings.Contains(b, "/problems/database-unavailable") {
			t.Errorf("%s: not the database-unavailable problem: %.300s", tt.name, b)
		}
	}
	_, detail := get(t, app.Admin+"/readyz?verbose")
	if !strings.Contains(detail, "[-]database failed") {
		t.Errorf("admin readiness does not name the database:\n%s", detail)
	}

	p.up()
	waitStatus(t, app.URL+"/readyz", 200, 15*time.Second)
	if resp, b := post(t, app.URL+"/api/v1/orders", body); resp.StatusCode != 201 {
		t.Fatalf("create after recovery: %d %s", resp.StatusCode, b)
	}
	resp, b := get(t, app.URL+"/api/v1/orders")
	if resp.StatusCode != 200 || resp.Header.Get("X-Total-Count") != "2" {
		t.Fatalf("after recovery: %d, X-Total-Count %q (want 2: the failed create wrote nothing)\n%s", resp.StatusCode, resp.Header.Get("X-Total-Count"), b)
	}
	if n := strings.Count(b, `"sku":"A"`); n != 2 {
		t.Errorf("after recovery the two orders hold %d items, want 1 each:\n%s", n, b)
	}
}

// TestSQLiteFileRemoved moves the SQLite file away while the service runs,
// as an operator's mistake or a clean-up script would. SQLite itself would
// carry on writing to the file it has open, which nobody will open again:
// every order acknowledged then would be lost at the next start. The store
// notices instead: writes get 503 problems, readiness turns 503 and says
// why, reads still answer; when the file is put back, all recovers.
func TestSQLiteFileRemoved(t *testing.T) {
	app := startApp(t)
	const body = `{"customer":"Ada","currency":"EUR","items":[{"sku":"A","name":"Tea","quantity":1,"unit_price":100}]}`
	if resp, b := post(t, app.URL+"/api/v1/orders", body); resp.StatusCode != 201 {
		t.Fatalf("create: %d %s", resp.StatusCode, b)
	}
	file := filepath.Join(app.DataDir, "orders.db")
	if err := os.Rename(file, file+".away"); err != nil {
		t.Fatal(err)
	}
	if resp, b := post(t, app.URL+"/api/v1/orders", body); resp.StatusCode != 503 || !strings.Contains(b, "/problems/database-unavailable") {
		t.Errorf("create with the file gone: %d %.300s; want the 503 database-unavailable problem", resp.StatusCode, b)
	}
	waitStatus(t, app.URL+"/readyz", 503, 10*time.Second)
	// The public probe withholds reasons; the admin listener gives them.
	if _, detail := get(t, app.Admin+"/readyz?verbose"); !strings.Contains(detail, "[-]database-writes failed") || !strings.Contains(detail, "removed or replaced") {
		t.Errorf("readiness does not say the file is gone:\n%s", detail)
	}
	if resp, _ := get(t, app.URL+"/api/v1/orders/1"); resp.StatusCode != 200 {
		t.Errorf("read with the file gone: %d, want 200", resp.StatusCode)
	}
	if err := os.Rename(file+".away", file); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, app.URL+"/readyz", 200, 10*time.Second)
	if resp, b := post(t, app.URL+"/api/v1/orders", body); resp.StatusCode != 201 {
		t.Fatalf("create after the file is back: %d %s", resp.StatusCode, b)
	}
	if resp, _ := get(t, app.URL+"/api/v1/orders"); resp.Header.Get("X-Total-Count") != "2" {
		t.Errorf("X-Total-Count %q, want 2", resp.Header.Get("X-Total-Count"))
	}
}
