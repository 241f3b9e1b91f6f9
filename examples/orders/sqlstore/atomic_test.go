package sqlstore

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/golocal/golocal/examples/orders/order"
	"github.com/golocal/golocal/examples/orders/order/ordertest"
)

// dialects opens a fresh store of each dialect (Postgres only with
// GOLOCAL_TEST_POSTGRES) with the statements that install a trigger
// refusing any item whose SKU is "REFUSE".
var dialects = []struct {
	name    string
	open    func(t *testing.T) *Store
	refuser []string
}{
	{"sqlite", func(t *testing.T) *Store {
		s, err := OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "orders.db"))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}, []string{`CREATE TRIGGER refuse_item BEFORE INSERT ON order_items WHEN NEW.sku = 'REFUSE' BEGIN SELECT RAISE(ABORT, 'refused by the test trigger'); END`}},
	{"postgres", func(t *testing.T) *Store {
		s, err := OpenPostgres(context.Background(), postgresDSN(t))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}, []string{
		`CREATE FUNCTION refuse_item() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF NEW.sku = 'REFUSE' THEN RAISE EXCEPTION 'refused by the test trigger'; END IF; RETURN NEW; END $$`,
		`CREATE TRIGGER refuse_item BEFORE INSERT ON order_items FOR EACH ROW EXECUTE FUNCTION refuse_item()`,
	}},
}

// TestCreateIsAtomic makes the database refuse the third item of an order,
// inside Create's transaction after the order row and two items were
// inserted, and checks that nothing of the order remains: no order row, no
// item, no idempotency key. The failure is a refused statement, not an
// outage, so it must not be reported as order.ErrUnavailable.
func TestCreateIsAtomic(t *testing.T) {
	for _, d := range dialects {
		t.Run(d.name, func(t *testing.T) {
			s := d.open(t)
			defer s.Close()
			ctx := context.Background()
			for _, stmt := range d.refuser {
				if _, err := s.DB().ExecContext(ctx, stmt); err != nil {
					t.Fatalf("install the trigger: %v", err)
				}
			}
			n := ordertest.Sample(1)
			n.Items = append(n.Items, order.Item{SKU: "REFUSE", Name: "refused", Quantity: 1, UnitPrice: 1})
			_, _, err := s.Create(ctx, n, "key-1")
			if err == nil || !strings.Contains(err.Error(), "refused by the test trigger") {
				t.Fatalf("Create with a refused item: %v, want the trigger's error", err)
			}
			if errors.Is(err, order.ErrUnavailable) {
				t.Errorf("a refused statement was reported as an outage: %v", err)
			}
			for _, table := range []string{"orders", "order_items", "idempotency_keys"} {
				var rows int
				if err := s.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM `+table).Scan(&rows); err != nil {
					t.Fatal(err)
				}
				if rows != 0 {
					t.Errorf("%s holds %d rows after the failed create: the order was half-written", table, rows)
				}
			}
			// The key was not consumed: the corrected request succeeds under it.
			o, created, err := s.Create(ctx, ordertest.Sample(1), "key-1")
			if err != nil || !created || len(o.Items) != 2 {
				t.Fatalf("corrected create: %+v created=%v err=%v", o, created, err)
			}
		})
	}
}

// TestCheckWrites: healthy without a recorded failure; after one, the probe
// write runs and, as the database works, clears it.
func TestCheckWrites(t *testing.T) {
	for _, d := range dialects {
		t.Run(d.name, func(t *testing.T) {
			s := d.open(t)
			defer s.Close()
			ctx := context.Background()
			if err := s.CheckWrites(ctx); err != nil {
				t.Fatalf("fresh store: %v", err)
			}
			s.wrote(s.dbErr(ctx, "create order", errors.Join(errors.New("disk I/O error"), errFakeOutage{})))
			if s.writeFailed.Load() == nil {
				t.Fatal("an unavailable-database error was not recorded")
			}
			if err := s.CheckWrites(ctx); err != nil {
				t.Fatalf("probe write on a working database: %v", err)
			}
			if s.writeFailed.Load() != nil {
				t.Fatal("a successful probe write did not clear the failure")
			}
			var rows int
			if err := s.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM health_probe`).Scan(&rows); err != nil || rows != 1 {
				t.Fatalf("health_probe rows %d, %v; want 1", rows, err)
			}
		})
	}
}

// errFakeOutage looks like a network failure to unavailable.
type errFakeOutage struct{}

func (errFakeOutage) Error() string   { return "connection reset" }
func (errFakeOutage) Timeout() bool   { return false }
func (errFakeOutage) Temporary() bool { return false }
