//go:build linux

package app

import (
	"context"
	"net/http"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/golocal/golocal/examples/orders/order"
	"github.com/golocal/golocal/examples/orders/sqlstore"
)

// TestSQLiteDiskRefusesWrites is the SQLite form of the database going
// away. An SQLite file cannot become unreachable the way a server can, and
// taking its permissions away does nothing to a process that already has it
// open (nor to root). What does happen in production is a disk that
// refuses writes: full, or remounted read-only after an error. The test
// makes the kernel refuse every file write of the running service, by
// lowering its RLIMIT_FSIZE to 0 (writes then fail with EFBIG, as they fail
// with ENOSPC on a full disk), and restores it later. Meanwhile: creates
// and transitions get 503 problems with Retry-After, readiness turns 503
// naming database-writes, reads still work (the data is all there), and
// nothing is half-written; afterwards readiness recovers by itself and
// creates succeed again.
func TestSQLiteDiskRefusesWrites(t *testing.T) {
	bin := buildService(t)
	data := filepath.Join(t.TempDir(), "data")
	cmd, base := startProcess(t, bin, "ORDERS_PROFILE=dev", "ORDERS_ADDR=127.0.0.1:0", "ORDERS_LOG_LEVEL=error", "ORDERS_DATA_DIR="+data, "ORDERS_ADMIN_ADDR=off")
	pid := cmd.Process.Pid
	const body = `{"customer":"Ada","currency":"EUR","items":[{"sku":"A","name":"Tea","quantity":1,"unit_price":100},{"sku":"B","name":"Cup","quantity":2,"unit_price":900}]}`
	if resp, b := post(t, base+"/api/v1/orders", body); resp.StatusCode != 201 {
		t.Fatalf("create before the outage: %d %s", resp.StatusCode, b)
	}
	waitStatus(t, base+"/readyz", 200, 5*time.Second)

	var saved unix.Rlimit
	if err := unix.Prlimit(pid, unix.RLIMIT_FSIZE, nil, &saved); err != nil {
		t.Fatalf("read the service's RLIMIT_FSIZE: %v", err)
	}
	if err := unix.Prlimit(pid, unix.RLIMIT_FSIZE, &unix.Rlimit{Cur: 0, Max: saved.Max}, nil); err != nil {
		t.Skipf("cannot lower the service's file size limit (%v); this test needs prlimit(2) on a child process", err)
	}
	restored := false
	restore := func() {
		if !restored {
			restored = true
			if err := unix.Prlimit(pid, unix.RLIMIT_FSIZE, &saved, nil); err != nil {
				t.Errorf("restore RLIMIT_FSIZE: %v", err)
			}
		}
	}
	t.Cleanup(restore)

	for _, tt := range []struct {
		name string
		do   func() (*http.Response, string)
	}{
		{"create", func() (*http.Response, string) { return post(t, base+"/api/v1/orders", body) }},
		{"transition", func() (*http.Response, string) {
			return post(t, base+"/api/v1/orders/1/transitions", `{"status":"paid"}`)
		}},
	} {
		resp, b := tt.do()
		if resp.StatusCode != 503 || resp.Header.Get("Retry-After") == "" || !strings.Contains(b, "/problems/database-unavailable") {
			t.Errorf("%s while the disk refuses writes: %d (Retry-After %q), want the 503 database-unavailable problem with Retry-After\n%.300s",
				tt.name, resp.StatusCode, resp.Header.Get("Retry-After"), b)
		}
	}
	waitStatus(t, base+"/readyz", 503, 10*time.Second)
	if _, detail := get(t, base+"/readyz?verbose"); !strings.Contains(detail, "[-]database-writes failed") {
		t.Errorf("readiness does not name the failing writes:\n%s", detail)
	}
	if resp, b := get(t, base+"/api/v1/orders/1"); resp.StatusCode != 200 || !strings.Contains(b, `"status":"created"`) {
		t.Errorf("read while the disk refuses writes: %d %.300s; want 200 and the order unchanged", resp.StatusCode, b)
	}

	restore()
	waitStatus(t, base+"/readyz", 200, 15*time.Second)
	if resp, b := post(t, base+"/api/v1/orders", body); resp.StatusCode != 201 {
		t.Fatalf("create after recovery: %d %s", resp.StatusCode, b)
	}
	if resp, b := post(t, base+"/api/v1/orders/1/transitions", `{"status":"paid"}`); resp.StatusCode != 200 {
		t.Fatalf("transition after recovery: %d %s", resp.StatusCode, b)
	}

	// Stop the service and read its file: two whole orders, nothing else,
	// and a consistent database.
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("the service exited with %v after SIGTERM", err)
	}
	store, err := sqlstore.OpenSQLite(context.Background(), filepath.Join(data, "orders.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	var check string
	if err := store.DB().QueryRow(`PRAGMA integrity_check`).Scan(&check); err != nil || check != "ok" {
		t.Errorf("integrity_check: %q %v", check, err)
	}
	page, err := store.List(context.Background(), order.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if page.Total != 2 {
		t.Errorf("%d orders stored, want 2: the refused create must have written nothing", page.Total)
	}
	for _, o := range page.Orders {
		if len(o.Items) != 2 {
			t.Errorf("order %d has %d items, want 2: half-written", o.ID, len(o.Items))
		}
	}
}
