package order

import (
	"errors"
	"strings"
	"testing"
)

func TestStateMachine(t *testing.T) {
	allowed := map[[2]Status]bool{
		{Created, Paid}: true, {Created, Cancelled}: true,
		{Paid, Shipped}: true, {Paid, Cancelled}: true,
		{Shipped, Delivered}: true,
	}
	for _, from := range Statuses {
		for _, to := range append(Statuses, "bogus") {
			if got := from.CanBecome(to); got != allowed[[2]Status{from, to}] {
				t.Errorf("%s → %s: CanBecome = %v", from, to, got)
			}
		}
	}
	if p := Cancelled.Predecessors(); len(p) != 2 || p[0] != Created || p[1] != Paid {
		t.Errorf("predecessors of cancelled: %v", p)
	}
	if Status("x").Valid() || !Delivered.Valid() {
		t.Error("Valid")
	}
}

func TestTransitionErrorMessage(t *testing.T) {
	e := &TransitionError{From: Delivered, To: Cancelled}
	if !strings.Contains(e.Error(), "final") {
		t.Errorf("%v", e)
	}
	e = &TransitionError{From: Created, To: Shipped}
	if !strings.Contains(e.Error(), "allowed: [paid cancelled]") {
		t.Errorf("%v", e)
	}
}

func TestValidateListsEveryField(t *testing.T) {
	n := New{Customer: strings.Repeat("c", 300), Currency: "eur", Items: []Item{
		{SKU: "", Name: "x", Quantity: 0, UnitPrice: -1},
		{SKU: "ok", Name: "", Quantity: MaxQuantity + 1, UnitPrice: MaxUnitPrice + 1},
	}}
	var ve *ValidationError
	if err := n.Validate(); !errors.As(err, &ve) {
		t.Fatalf("want ValidationError, got %v", err)
	}
	var fields []string
	for _, f := range ve.Fields {
		fields = append(fields, f.Field)
	}
	want := "customer currency items[0].sku items[0].quantity items[0].unit_price items[1].name items[1].quantity items[1].unit_price"
	if strings.Join(fields, " ") != want {
		t.Errorf("fields %v\nwant %s", fields, want)
	}
	ok := New{Customer: "c", Currency: "EUR", Items: []Item{{SKU: "a", Name: "b", Quantity: MaxQuantity, UnitPrice: MaxUnitPrice}}}
	if err := ok.Validate(); err != nil {
		t.Errorf("limits themselves must be valid: %v", err)
	}
	if ok.Total() != int64(MaxQuantity)*MaxUnitPrice {
		t.Errorf("total %d", ok.Total())
	}
}
