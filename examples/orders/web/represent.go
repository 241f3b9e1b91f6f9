package web

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/golocal/golocal/examples/orders/order"
)

// The JSON representations of an order, one per API version. The domain type
// never goes on the wire directly, so a change to it cannot silently change
// the API.
//
// Version 1 writes money as integers in minor units next to the order's
// currency. Version 2 writes every amount as {"amount": "12.50",
// "currency": "EUR"}: a decimal string in the major unit, which clients can
// show without knowing each currency's number of decimals.

type orderV1 struct {
	ID        int64        `json:"id"`
	Customer  string       `json:"customer"`
	Currency  string       `json:"currency"`
	Items     []order.Item `json:"items"`
	Total     int64        `json:"total"`
	Status    order.Status `json:"status"`
	CreatedAt time.Time    `json:"created_at"`
	UpdatedAt time.Time    `json:"updated_at"`
}

// money is version 2's representation of an amount.
type money struct {
	Amount   string `json:"amount"`
	Currency string `json:"currency"`
}

type itemV2 struct {
	SKU       string `json:"sku"`
	Name      string `json:"name"`
	Quantity  int    `json:"quantity"`
	UnitPrice money  `json:"unit_price"`
}

type orderV2 struct {
	ID        int64        `json:"id"`
	Customer  string       `json:"customer"`
	Items     []itemV2     `json:"items"`
	Total     money        `json:"total"`
	Status    order.Status `json:"status"`
	CreatedAt time.Time    `json:"created_at"`
	UpdatedAt time.Time    `json:"updated_at"`
}

// represent returns o in the representation of API version v.
func represent(o order.Order, v int) any {
	items := o.Items
	if items == nil {
		items = []order.Item{}
	}
	if v < 2 {
		return orderV1{ID: o.ID, Customer: o.Customer, Currency: o.Currency, Items: items,
			Total: o.Total, Status: o.Status, CreatedAt: o.CreatedAt, UpdatedAt: o.UpdatedAt}
	}
	out := orderV2{ID: o.ID, Customer: o.Customer, Items: make([]itemV2, len(items)),
		Total:  money{Amount: formatAmount(o.Total, o.Currency), Currency: o.Currency},
		Status: o.Status, CreatedAt: o.CreatedAt, UpdatedAt: o.UpdatedAt}
	for i, it := range items {
		out.Items[i] = itemV2{SKU: it.SKU, Name: it.Name, Quantity: it.Quantity,
			UnitPrice: money{Amount: formatAmount(it.UnitPrice, o.Currency), Currency: o.Currency}}
	}
	return out
}

// newV2 is a create request in version 2: unit prices are money objects.
// Version 1 requests decode straight into order.New.
type newV2 struct {
	Customer string      `json:"customer"`
	Currency string      `json:"currency"`
	Items    []newItemV2 `json:"items"`
}

type newItemV2 struct {
	SKU       string `json:"sku"`
	Name      string `json:"name"`
	Quantity  int    `json:"quantity"`
	UnitPrice money  `json:"unit_price"`
}

// toNew converts a version 2 request, returning the field errors of the
// amounts it could not read; the domain validates the rest.
func (n newV2) toNew() (order.New, []order.FieldError) {
	out := order.New{Customer: n.Customer, Currency: n.Currency, Items: make([]order.Item, len(n.Items))}
	var bad []order.FieldError
	if len(n.Items) > order.MaxItems {
		return out, nil // Validate reports the count; don't list 10,000 prices
	}
	for i, it := range n.Items {
		out.Items[i] = order.Item{SKU: it.SKU, Name: it.Name, Quantity: it.Quantity}
		p := fmt.Sprintf("items[%d].unit_price", i)
		if it.UnitPrice.Currency != n.Currency {
			bad = append(bad, order.FieldError{Field: p + ".currency", Message: fmt.Sprintf("must be the order's currency %q", n.Currency)})
		}
		amount, err := parseAmount(it.UnitPrice.Amount, n.Currency)
		if err != nil {
			bad = append(bad, order.FieldError{Field: p + ".amount", Message: err.Error()})
		}
		out.Items[i].UnitPrice = amount
	}
	return out, bad
}

// orderView is one order, rendered as JSON in the request's API version or
// as the detail page.
type orderView struct {
	Order   order.Order
	Version int
	Flashes []string
}

// MarshalJSON writes the versioned representation only: the page's extras
// (flash messages) never reach API clients.
func (v orderView) MarshalJSON() ([]byte, error) { return json.Marshal(represent(v.Order, v.Version)) }

// listView is one page of orders, rendered as a JSON array or as the list
// page with its creation form.
type listView struct {
	Orders  []order.Order
	Version int
	Next    string // URL of the next page, "" on the last one
	Total   int
	Flashes []string
	Form    form
}

// MarshalJSON writes the page as a JSON array; the cursor and the total
// travel in the Link and X-Total-Count headers.
func (v listView) MarshalJSON() ([]byte, error) {
	out := make([]any, len(v.Orders))
	for i, o := range v.Orders {
		out[i] = represent(o, v.Version)
	}
	return json.Marshal(out)
}
