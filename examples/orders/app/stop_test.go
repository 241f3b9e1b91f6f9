package app

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/golocal/golocal/examples/orders/order"
	"github.com/golocal/golocal/examples/orders/sqlstore"
)

// buildService compiles the orders command into a temporary folder.
func buildService(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the service binary; skipped with -short")
	}
	bin := filepath.Join(t.TempDir(), "orders")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/golocal/golocal/examples/orders")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// startProcess runs the binary and returns its base URL once it listens.
func startProcess(t *testing.T, bin string, env ...string) (*exec.Cmd, string) {
	t.Helper()
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stderr = io.Discard
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if m := urlLine.FindStringSubmatch(sc.Text()); m != nil && m[1] != "" {
				urls <- m[1]
			}
		}
	}()
	select {
	case u := <-urls:
		return cmd, u
	case <-time.After(20 * time.Second):
		t.Fatal("the service did not print its URL within 20s")
	}
	return nil, ""
}

// TestGracefulStopUnderLoad sends SIGTERM to the real service while
// clients create orders. Every request the service accepted must complete
// (201), every other one must have been refused before it was accepted
// (connection refused), and afterwards every order in the database must be
// whole: as many items as its customer name says.
//
// It runs on SQLite and, when GOLOCAL_TEST_POSTGRES is set, on PostgreSQL.
func TestGracefulStopUnderLoad(t *testing.T) {
	bin := buildService(t)
	t.Run("sqlite", func(t *testing.T) {
		data := filepath.Join(t.TempDir(), "data")
		stopUnderLoad(t, bin, []string{"ORDERS_DATA_DIR=" + data}, func() (*sqlstore.Store, error) {
			return sqlstore.OpenSQLite(context.Background(), filepath.Join(data, "orders.db"))
		})
	})
	t.Run("postgres", func(t *testing.T) {
		u := postgresURL(t).String()
		// The data folder still holds the development session key.
		stopUnderLoad(t, bin, []string{"ORDERS_DATABASE_URL=" + u, "ORDERS_DATA_DIR=" + t.TempDir()}, func() (*sqlstore.Store, error) {
			return sqlstore.OpenPostgres(context.Background(), u)
		})
	})
}

// stopUnderLoad is TestGracefulStopUnderLoad on one database: env selects
// it for the service, open opens it afterwards for the checks.
func stopUnderLoad(t *testing.T, bin string, env []string, open func() (*sqlstore.Store, error)) {
	cmd, base := startProcess(t, bin, append([]string{"ORDERS_PROFILE=dev", "ORDERS_ADDR=127.0.0.1:0", "ORDERS_LOG_LEVEL=error", "ORDERS_ADMIN_ADDR=off"}, env...)...)

	const clients = 8
	type outcome struct {
		created map[string]int // customer → items, for every 201
		reset   []string       // connections reset before any response
		bad     []string       // anything that is neither 201 nor "refused"
	}
	results := make([]outcome, clients)
	var wg sync.WaitGroup
	deadline := time.Now().Add(15 * time.Second)
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res := outcome{created: map[string]int{}}
			defer func() { results[c] = res }()
			client := &http.Client{Timeout: 10 * time.Second}
			for n := 0; time.Now().Before(deadline); n++ {
				items := 1 + (c+n)%5
				customer := fmt.Sprintf("c%d-%d-k%d", c, n, items)
				var b strings.Builder
				fmt.Fprintf(&b, `{"customer":%q,"currency":"EUR","items":[`, customer)
				for i := range items {
					if i > 0 {
						b.WriteString(",")
					}
					fmt.Fprintf(&b, `{"sku":"S%d","name":"item","quantity":1,"unit_price":100}`, i)
				}
				b.WriteString("]}")
				req, _ := http.NewRequest("POST", base+"/api/v1/orders", strings.NewReader(b.String()))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Idempotency-Key", customer) // also lets net/http retry a request on a connection the server closed idle
				resp, err := client.Do(req)
				if err != nil {
					if errors.Is(err, syscall.ECONNREFUSED) {
						return // the listener is closed: the service stopped accepting
					}
					if errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.EOF) {
						// The kernel completed the handshake, but the
						// connection was still in the listen backlog when
						// the listener closed: the service never accepted
						// it. Checked below: no such order was written.
						res.reset = append(res.reset, customer)
						return
					}
					res.bad = append(res.bad, fmt.Sprintf("%s: %v", customer, err))
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusCreated {
					res.bad = append(res.bad, fmt.Sprintf("%s: status %d", customer, resp.StatusCode))
					continue
				}
				res.created[customer] = items
			}
		}()
	}
	time.Sleep(700 * time.Millisecond)
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waitErr := make(chan error, 1)
	go func() { waitErr <- cmd.Wait() }()
	select {
	case err := <-waitErr:
		if err != nil {
			t.Errorf("the service exited with %v after SIGTERM, want a clean exit", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the service did not stop within 20s of SIGTERM")
	}
	wg.Wait()

	created := map[string]int{}
	reset := map[string]bool{}
	for _, r := range results {
		for _, c := range r.reset {
			reset[c] = true
		}
		for _, b := range r.bad {
			t.Errorf("accepted request not completed: %s", b)
		}
		for k, v := range r.created {
			created[k] = v
		}
	}
	if len(created) < clients {
		t.Fatalf("only %d orders were created before the stop; the load did not overlap the SIGTERM", len(created))
	}

	store, err := open()
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	inDB := 0
	for cursor := ""; ; {
		page, err := store.List(context.Background(), order.ListOptions{After: cursor, Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range page.Orders {
			inDB++
			var c, n, k int
			if _, err := fmt.Sscanf(o.Customer, "c%d-%d-k%d", &c, &n, &k); err != nil || len(o.Items) != k {
				t.Errorf("order %d (%s) is half-written: %d items", o.ID, o.Customer, len(o.Items))
			}
			if sent, ok := created[o.Customer]; ok && (len(o.Items) != sent || o.Total != int64(100*sent)) {
				t.Errorf("order %d (%s): %d items, total %d; its client sent %d items worth %d", o.ID, o.Customer, len(o.Items), o.Total, sent, 100*sent)
			}
			if reset[o.Customer] {
				t.Errorf("order %d (%s) was written but its connection was reset: an accepted request did not complete", o.ID, o.Customer)
			} else if _, ok := created[o.Customer]; !ok {
				// Written, but the client never got the 201: the response was lost.
				t.Errorf("order %d (%s) is in the database but its client got no 201", o.ID, o.Customer)
			}
		}
		if page.Next == "" {
			break
		}
		cursor = page.Next
	}
	if inDB != len(created) {
		t.Errorf("%d orders in the database, %d acknowledged", inDB, len(created))
	}
	t.Logf("%d orders created and acknowledged before the stop, all whole; %d connections reset from the backlog, none of them written", inDB, len(reset))
}
