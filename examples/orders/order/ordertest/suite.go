// Package ordertest is the test suite every order.Repository must pass. Each
// implementation's tests call Run with a function that opens a fresh, empty
// repository.
package ordertest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/golocal/golocal/examples/orders/order"
)

// Sample returns a valid create request; i varies the customer.
func Sample(i int) order.New {
	return order.New{
		Customer: fmt.Sprintf("customer-%d", i),
		Currency: "EUR",
		Items: []order.Item{
			{SKU: "TEA-1", Name: "Green tea", Quantity: 2, UnitPrice: 450},
			{SKU: "CUP-9", Name: "Cup", Quantity: 1, UnitPrice: 1299},
		},
	}
}

// Run runs the suite. open must return an empty repository; Run closes it.
func Run(t *testing.T, open func(t *testing.T) order.Repository) {
	tests := []struct {
		name string
		fn   func(*testing.T, order.Repository)
	}{
		{"CreateGet", testCreateGet},
		{"Validation", testValidation},
		{"Idempotency", testIdempotency},
		{"IdempotencyConcurrent", testIdempotencyConcurrent},
		{"List", testList},
		{"Transitions", testTransitions},
		{"TransitionRace", testTransitionRace},
		{"NotFound", testNotFound},
		{"CanceledContextWritesNothing", testCanceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			repo := open(t)
			t.Cleanup(func() { repo.Close() })
			tt.fn(t, repo)
		})
	}
}

func testCreateGet(t *testing.T, repo order.Repository) {
	ctx := context.Background()
	o, created, err := repo.Create(ctx, Sample(1), "")
	if err != nil || !created {
		t.Fatalf("Create: %v created=%v", err, created)
	}
	if o.ID == 0 || o.Total != 2*450+1299 || o.Status != order.Created || o.CreatedAt.IsZero() {
		t.Fatalf("created order %+v", o)
	}
	got, err := repo.Get(ctx, o.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Customer != "customer-1" || got.Currency != "EUR" || got.Total != o.Total || len(got.Items) != 2 ||
		got.Items[0] != Sample(1).Items[0] || got.Items[1] != Sample(1).Items[1] || !got.CreatedAt.Equal(o.CreatedAt) {
		t.Fatalf("Get returned %+v, created %+v", got, o)
	}
}

func testValidation(t *testing.T, repo order.Repository) {
	many := Sample(1)
	many.Items = make([]order.Item, 10_000)
	for i := range many.Items {
		many.Items[i] = order.Item{SKU: "X", Name: "x", Quantity: 1, UnitPrice: 1}
	}
	neg := Sample(1)
	neg.Items[1].Quantity = -3
	tests := []struct {
		name  string
		n     order.New
		field string
	}{
		{"negative quantity", neg, "items[1].quantity"},
		{"10,000 items", many, "items"},
		{"no items", order.New{Customer: "c", Currency: "EUR"}, "items"},
		{"unknown currency", order.New{Customer: "c", Currency: "XXX", Items: Sample(1).Items}, "currency"},
		{"no customer", order.New{Currency: "EUR", Items: Sample(1).Items}, "customer"},
	}
	for _, tt := range tests {
		_, _, err := repo.Create(context.Background(), tt.n, "")
		var ve *order.ValidationError
		if !errors.As(err, &ve) {
			t.Errorf("%s: want *ValidationError, got %v", tt.name, err)
			continue
		}
		found := false
		for _, f := range ve.Fields {
			found = found || f.Field == tt.field
		}
		if !found {
			t.Errorf("%s: fields %+v do not name %s", tt.name, ve.Fields, tt.field)
		}
	}
	page, err := repo.List(context.Background(), order.ListOptions{})
	if err != nil || page.Total != 0 {
		t.Fatalf("invalid orders were stored: total %d, %v", page.Total, err)
	}
}

func testIdempotency(t *testing.T, repo order.Repository) {
	ctx := context.Background()
	first, created, err := repo.Create(ctx, Sample(1), "key-1")
	if err != nil || !created {
		t.Fatal(err)
	}
	again, created, err := repo.Create(ctx, Sample(1), "key-1")
	if err != nil || created || again.ID != first.ID {
		t.Fatalf("repeat: id %d created=%v err=%v, want id %d created=false", again.ID, created, err, first.ID)
	}
	if _, _, err := repo.Create(ctx, Sample(2), "key-1"); !errors.Is(err, order.ErrIdempotencyMismatch) {
		t.Fatalf("different request under the same key: %v", err)
	}
	other, created, err := repo.Create(ctx, Sample(1), "key-2")
	if err != nil || !created || other.ID == first.ID {
		t.Fatalf("new key must create a new order: %v", err)
	}
}

func testIdempotencyConcurrent(t *testing.T, repo order.Repository) {
	const n = 8
	var wg sync.WaitGroup
	ids := make([]int64, n)
	errs := make([]error, n)
	createdCount := 0
	var mu sync.Mutex
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			o, created, err := repo.Create(context.Background(), Sample(7), "same-key")
			ids[i], errs[i] = o.ID, err
			if created {
				mu.Lock()
				createdCount++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("request %d: %v", i, errs[i])
		}
		if ids[i] != ids[0] {
			t.Fatalf("concurrent creates with one key gave different orders: %v", ids)
		}
	}
	page, _ := repo.List(context.Background(), order.ListOptions{})
	if createdCount != 1 || page.Total != 1 {
		t.Fatalf("created %d times, %d orders stored; want exactly 1", createdCount, page.Total)
	}
}

func testList(t *testing.T, repo order.Repository) {
	ctx := context.Background()
	for i := range 25 {
		if _, _, err := repo.Create(ctx, Sample(i), ""); err != nil {
			t.Fatal(err)
		}
	}
	seen := map[int64]bool{}
	var last int64 = 1 << 62
	cursor := ""
	var sizes []int
	for range 10 {
		page, err := repo.List(ctx, order.ListOptions{After: cursor, Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		if page.Total != 25 {
			t.Fatalf("Total %d", page.Total)
		}
		sizes = append(sizes, len(page.Orders))
		for _, o := range page.Orders {
			if seen[o.ID] || o.ID >= last {
				t.Fatalf("order %d repeated or out of order", o.ID)
			}
			if len(o.Items) != 2 {
				t.Fatalf("order %d listed without its items", o.ID)
			}
			seen[o.ID], last = true, o.ID
		}
		if page.Next == "" {
			break
		}
		cursor = page.Next
	}
	if fmt.Sprint(sizes) != "[10 10 5]" || len(seen) != 25 {
		t.Fatalf("page sizes %v, %d distinct", sizes, len(seen))
	}
	for _, bad := range []string{"garbage", "bzE6LTE", "eHg6MQ", string(make([]byte, 100))} {
		if _, err := repo.List(ctx, order.ListOptions{After: bad}); !errors.Is(err, order.ErrBadCursor) {
			t.Errorf("cursor %q: %v", bad, err)
		}
	}
}

func testTransitions(t *testing.T, repo order.Repository) {
	ctx := context.Background()
	o, _, err := repo.Create(ctx, Sample(1), "")
	if err != nil {
		t.Fatal(err)
	}
	var te *order.TransitionError
	if _, err := repo.Transition(ctx, o.ID, order.Shipped); !errors.As(err, &te) || te.From != order.Created {
		t.Fatalf("created → shipped: %v", err)
	}
	for _, to := range []order.Status{order.Paid, order.Shipped, order.Delivered} {
		got, err := repo.Transition(ctx, o.ID, to)
		if err != nil || got.Status != to {
			t.Fatalf("→ %s: %v (%s)", to, err, got.Status)
		}
	}
	if _, err := repo.Transition(ctx, o.ID, order.Cancelled); !errors.As(err, &te) || te.From != order.Delivered {
		t.Fatalf("delivered → cancelled: %v", err)
	}
	p, _, _ := repo.Create(ctx, Sample(2), "")
	repo.Transition(ctx, p.ID, order.Paid)
	if got, err := repo.Transition(ctx, p.ID, order.Cancelled); err != nil || got.Status != order.Cancelled {
		t.Fatalf("paid → cancelled: %v", err)
	}
	if _, err := repo.Transition(ctx, p.ID, order.Status("teleported")); !errors.As(err, &te) {
		t.Fatalf("unknown status: %v", err)
	}
}

func testTransitionRace(t *testing.T, repo order.Repository) {
	ctx := context.Background()
	o, _, _ := repo.Create(ctx, Sample(1), "")
	if _, err := repo.Transition(ctx, o.ID, order.Paid); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	results := make([]error, 2)
	for i, to := range []order.Status{order.Shipped, order.Cancelled} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, results[i] = repo.Transition(ctx, o.ID, to)
		}()
	}
	wg.Wait()
	wins := 0
	for _, err := range results {
		if err == nil {
			wins++
		}
	}
	if wins != 1 {
		t.Fatalf("two transitions from paid raced: %v; exactly one must win", results)
	}
}

func testNotFound(t *testing.T, repo order.Repository) {
	if _, err := repo.Get(context.Background(), 424242); !errors.Is(err, order.ErrNotFound) {
		t.Fatalf("Get: %v", err)
	}
	if _, err := repo.Transition(context.Background(), 424242, order.Paid); !errors.Is(err, order.ErrNotFound) {
		t.Fatalf("Transition: %v", err)
	}
}

func testCanceled(t *testing.T, repo order.Repository) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := repo.Create(ctx, Sample(1), "k"); err == nil {
		t.Fatal("create with a canceled context succeeded")
	}
	page, err := repo.List(context.Background(), order.ListOptions{})
	if err != nil || page.Total != 0 {
		t.Fatalf("a canceled create left %d orders (%v)", page.Total, err)
	}
}
