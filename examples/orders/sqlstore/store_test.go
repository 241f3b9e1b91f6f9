package sqlstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	"github.com/golocal/golocal/examples/orders/order"
	"github.com/golocal/golocal/examples/orders/order/ordertest"
)

func TestSQLite(t *testing.T) {
	ordertest.Run(t, func(t *testing.T) order.Repository {
		s, err := OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "data", "orders.db"))
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

// PostgresDSN returns a DSN for a fresh, empty schema on the test server named
// by GOLOCAL_TEST_POSTGRES, dropped when the test ends. Without the variable
// the test is skipped, unless GOLOCAL_REQUIRE_POSTGRES=1 (CI) makes it fail.
func postgresDSN(t *testing.T) string {
	t.Helper()
	base := os.Getenv("GOLOCAL_TEST_POSTGRES")
	if base == "" {
		if os.Getenv("GOLOCAL_REQUIRE_POSTGRES") == "1" {
			t.Fatal("GOLOCAL_REQUIRE_POSTGRES=1 but GOLOCAL_TEST_POSTGRES is not set")
		}
		t.Skip("set GOLOCAL_TEST_POSTGRES to a PostgreSQL DSN to run the Postgres suite")
	}
	b := make([]byte, 6)
	rand.Read(b)
	schema := "t_" + hex.EncodeToString(b)
	admin, err := OpenPostgres(context.Background(), base)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.DB().Exec(`CREATE SCHEMA ` + schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		admin.DB().Exec(`DROP SCHEMA ` + schema + ` CASCADE`)
		admin.Close()
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("GOLOCAL_TEST_POSTGRES must be a postgres:// URL: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

func TestPostgres(t *testing.T) {
	ordertest.Run(t, func(t *testing.T) order.Repository {
		s, err := OpenPostgres(context.Background(), postgresDSN(t))
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func TestMigrationsIdempotent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "o.db")
	for range 2 {
		s, err := OpenSQLite(context.Background(), path)
		if err != nil {
			t.Fatalf("reopen: %v", err)
		}
		s.Close()
	}
}

func TestPlaceholders(t *testing.T) {
	pg := &Store{dialect: Postgres}
	if got := pg.q(`a = ? AND b IN (?, ?)`); got != `a = $1 AND b IN ($2, $3)` {
		t.Errorf("postgres rebind: %s", got)
	}
	lite := &Store{dialect: SQLite}
	if got := lite.q(`a = ?`); got != `a = ?` {
		t.Errorf("sqlite rebind: %s", got)
	}
}

func FuzzDecodeCursor(f *testing.F) {
	f.Add(encodeCursor(42))
	f.Add("")
	f.Add("bzE6LTE")
	f.Fuzz(func(t *testing.T, c string) {
		id, err := decodeCursor(c)
		if err == nil && (id < 1 || encodeCursor(id) == "") {
			t.Fatalf("accepted cursor %q as id %d", c, id)
		}
	})
}
