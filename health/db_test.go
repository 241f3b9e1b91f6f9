package health_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golocal/golocal/health"
	_ "modernc.org/sqlite"
)

func openSQLite(t *testing.T, maxOpen int) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", filepath.Join(t.TempDir(), "pool.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	db.SetMaxOpenConns(maxOpen)
	db.SetMaxIdleConns(maxOpen)
	if err := db.Ping(); err != nil {
		t.Fatal(err)
	}
	return db
}

// hold checks out n connections from db and keeps them until the test ends.
func hold(t *testing.T, db *sql.DB, n int) {
	t.Helper()
	for range n {
		conn, err := db.Conn(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
	}
}

// TestDBPoolSaturation drives a real SQLite pool to 9 of 10 connections in
// use and reads the verdict and numbers from /readyz as JSON and text.
func TestDBPoolSaturation(t *testing.T) {
	db := openSQLite(t, 10)
	h := health.New(health.Options{})
	must(t, h.Add(health.Check{Name: "db", Interval: -1, Func: health.DB(db, health.DBOptions{})}))
	handler := h.DetailedHandler()

	hold(t, db, 8)
	if status, body, _ := get(t, handler, "/readyz?verbose"); status != 200 {
		t.Fatalf("8 of 10 in use: /readyz = %d %q, want 200", status, body)
	}
	hold(t, db, 1)
	status, body, _ := get(t, handler, "/readyz", "Accept", "application/json")
	if status != http.StatusServiceUnavailable {
		t.Fatalf("9 of 10 in use: /readyz = %d, want 503; body %s", status, body)
	}
	var r report
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		t.Fatal(err)
	}
	var db0 = r.Checks[len(r.Checks)-1]
	if db0.Name != "db" || db0.Status != "down" {
		t.Fatalf("db check = %+v", db0)
	}
	if want := "pool saturated: 9 of 10 connections in use (threshold 90%)"; db0.Error != want {
		t.Errorf("error = %q, want %q", db0.Error, want)
	}
	for key, want := range map[string]float64{"activeConnections": 9, "maxOpenConnections": 10, "idle": 0, "openConnections": 9, "saturationThreshold": 0.9} {
		if got, _ := db0.Details[key].(float64); got != want {
			t.Errorf("details[%s] = %v, want %v (details %v)", key, db0.Details[key], want, db0.Details)
		}
	}
	_, text, _ := get(t, handler, "/readyz")
	if !strings.Contains(text, "[-]db failed: pool saturated: 9 of 10 connections in use (threshold 90%)\n") {
		t.Errorf("text body %q lacks the saturation line", text)
	}
}

// TestDBFullPoolDoesNotHangProbe: with every connection taken, the check
// must not queue a ping behind the pool.
func TestDBFullPoolDoesNotHangProbe(t *testing.T) {
	db := openSQLite(t, 2)
	hold(t, db, 2)
	h := health.New(health.Options{})
	must(t, h.Add(health.Check{Name: "db", Interval: -1, Timeout: time.Minute, Func: health.DB(db, health.DBOptions{})}))
	done := make(chan string, 1)
	go func() { _, body, _ := get(t, h.DetailedHandler(), "/readyz/db"); done <- body }()
	select {
	case body := <-done:
		if body != "internal server error: pool saturated: 2 of 2 connections in use (threshold 90%)\n" {
			t.Errorf("body %q", body)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("probe hung on a full pool")
	}
}

// TestDBWaitGrowth makes requests queue for the only connection and sees
// the wait counters grow past the thresholds.
func TestDBWaitGrowth(t *testing.T) {
	db := openSQLite(t, 1)
	check := health.DB(db, health.DBOptions{Saturation: -1, MaxWaitCountGrowth: 1, MaxWaitGrowth: 10 * time.Millisecond})
	if _, err := check(context.Background()); err != nil {
		t.Fatalf("first run: %v", err)
	}
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	waiters := make(chan error, 2)
	for range 2 {
		go func() {
			var n int
			waiters <- db.QueryRow("SELECT 1").Scan(&n)
		}()
	}
	deadline := time.Now().Add(5 * time.Second)
	for db.Stats().WaitCount < 2 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond) // let the waiters accumulate wait time
	conn.Close()
	for range 2 {
		if err := <-waiters; err != nil {
			t.Fatal(err)
		}
	}
	details, err := check(context.Background())
	if err == nil {
		t.Fatal("wait growth not reported")
	}
	for _, want := range []string{"2 requests waited for a connection since the last check (limit 1)", "in total for a connection since the last check (limit 10ms)"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if details["waitCountGrowth"] != int64(2) {
		t.Errorf("waitCountGrowth = %v", details["waitCountGrowth"])
	}
	// Quiet again: no growth since the last run.
	if _, err := check(context.Background()); err != nil {
		t.Errorf("third run: %v", err)
	}
}

func TestDBPingFailure(t *testing.T) {
	db := openSQLite(t, 4)
	db.Close()
	_, err := health.DB(db, health.DBOptions{})(context.Background())
	if err == nil || !strings.Contains(err.Error(), "ping: sql: database is closed") {
		t.Errorf("closed db: %v", err)
	}
	if _, err := health.DB(nil, health.DBOptions{})(context.Background()); err == nil {
		t.Error("nil db: no error")
	}
}
