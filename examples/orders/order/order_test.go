package order

import (
	"errors"
	"slices"
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

// TestValidateBounds: each limit itself is accepted and one past it is
// refused, naming the field.
func TestValidateBounds(t *testing.T) {
	item := Item{SKU: "A", Name: "Tea", Quantity: 1, UnitPrice: 150}
	items := func(n int) []Item { return slices.Repeat([]Item{item}, n) }
	withItem := func(f func(*Item)) []Item { it := item; f(&it); return []Item{it} }
	tests := []struct {
		name  string
		n     New
		field string // "" when valid
	}{
		{"MaxItems items", New{Customer: "c", Currency: "EUR", Items: items(MaxItems)}, ""},
		{"MaxItems+1 items", New{Customer: "c", Currency: "EUR", Items: items(MaxItems + 1)}, "items"},
		{"customer of maxText bytes", New{Customer: strings.Repeat("c", maxText), Currency: "EUR", Items: items(1)}, ""},
		{"customer of maxText+1 bytes", New{Customer: strings.Repeat("c", maxText+1), Currency: "EUR", Items: items(1)}, "customer"},
		{"SKU of 64 bytes", New{Customer: "c", Currency: "EUR", Items: withItem(func(it *Item) { it.SKU = strings.Repeat("S", 64) })}, ""},
		{"SKU of 65 bytes", New{Customer: "c", Currency: "EUR", Items: withItem(func(it *Item) { it.SKU = strings.Repeat("S", 65) })}, "items[0].sku"},
		{"name of maxText+1 bytes", New{Customer: "c", Currency: "EUR", Items: withItem(func(it *Item) { it.Name = strings.Repeat("n", maxText+1) })}, "items[0].name"},
		{"quantity 1", New{Customer: "c", Currency: "EUR", Items: withItem(func(it *Item) { it.Quantity = 1 })}, ""},
		{"quantity 0", New{Customer: "c", Currency: "EUR", Items: withItem(func(it *Item) { it.Quantity = 0 })}, "items[0].quantity"},
		{"unit price 0", New{Customer: "c", Currency: "EUR", Items: withItem(func(it *Item) { it.UnitPrice = 0 })}, ""},
		{"unit price -1", New{Customer: "c", Currency: "EUR", Items: withItem(func(it *Item) { it.UnitPrice = -1 })}, "items[0].unit_price"},
		{"unknown currency", New{Customer: "c", Currency: "XXX", Items: items(1)}, "currency"},
		{"no currency", New{Customer: "c", Items: items(1)}, "currency"},
	}
	for _, tt := range tests {
		err := tt.n.Validate()
		var ve *ValidationError
		switch {
		case tt.field == "" && err != nil:
			t.Errorf("%s: refused: %v", tt.name, err)
		case tt.field != "" && (!errors.As(err, &ve) || len(ve.Fields) != 1 || ve.Fields[0].Field != tt.field):
			t.Errorf("%s: %v, want one error on %s", tt.name, err, tt.field)
		}
	}
}

// TestValidateText: text fields refuse invalid UTF-8 (the bytes of the
// issue's %FF, %C0%AF and %ED%A0%80) and control characters (NUL, ESC,
// DEL, C1), naming the field; ordinary text, accents and emoji pass.
func TestValidateText(t *testing.T) {
	item := Item{SKU: "A", Name: "Tea", Quantity: 1, UnitPrice: 150}
	tests := []struct {
		name, customer, itemName, sku string
		field, message                string
	}{
		{"plain", "Ada Lovelace", "Tea", "A", "", ""},
		{"accents and emoji", "Zoë 🍵", "Thé vert", "A-1", "", ""},
		{"0xFF", "Ad\xffa", "Tea", "A", "customer", "not valid UTF-8"},
		{"overlong slash", "\xc0\xaf", "Tea", "A", "customer", "not valid UTF-8"},
		{"UTF-8 of a surrogate", "Ada", "\xed\xa0\x80", "A", "items[0].name", "not valid UTF-8"},
		{"NUL", "Ada\x00", "Tea", "A", "customer", "control characters (found U+0000)"},
		{"ESC in a SKU", "Ada", "Tea", "A\x1b[2J", "items[0].sku", "control characters (found U+001B)"},
		{"DEL", "Ada", "T\x7fea", "A", "items[0].name", "U+007F"},
		{"C1 control", "Ada\u0085", "Tea", "A", "customer", "U+0085"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			it := item
			it.Name, it.SKU = tt.itemName, tt.sku
			err := New{Customer: tt.customer, Currency: "EUR", Items: []Item{it}}.Validate()
			if tt.field == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			var ve *ValidationError
			if !errors.As(err, &ve) || len(ve.Fields) != 1 || ve.Fields[0].Field != tt.field || !strings.Contains(ve.Fields[0].Message, tt.message) {
				t.Fatalf("got %v, want one error on %s: …%s…", err, tt.field, tt.message)
			}
		})
	}
}
