// Package order is the domain of the reference service: orders with items,
// totals in integer minor units, and a small state machine. It knows nothing
// of HTTP or SQL; the sqlstore package implements its Repository and the
// service maps its errors to problem details in one place.
package order

import (
	"context"
	"errors"
	"fmt"
	"time"
	"unicode"
	"unicode/utf8"
)

// Status is where an order is in its life.
type Status string

// The states of an order. Created → paid → shipped → delivered, or cancelled
// from created or paid.
const (
	Created   Status = "created"
	Paid      Status = "paid"
	Shipped   Status = "shipped"
	Delivered Status = "delivered"
	Cancelled Status = "cancelled"
)

// Statuses lists every status in life order.
var Statuses = []Status{Created, Paid, Shipped, Delivered, Cancelled}

// transitions is the state machine: from → allowed targets.
var transitions = map[Status][]Status{
	Created: {Paid, Cancelled},
	Paid:    {Shipped, Cancelled},
	Shipped: {Delivered},
}

// CanBecome reports whether an order in s may move to next.
func (s Status) CanBecome(next Status) bool {
	for _, t := range transitions[s] {
		if t == next {
			return true
		}
	}
	return false
}

// Next lists the statuses an order in s may move to.
func (s Status) Next() []Status { return transitions[s] }

// Predecessors lists the statuses from which an order may move to s.
func (s Status) Predecessors() []Status {
	var out []Status
	for _, from := range Statuses {
		if from.CanBecome(s) {
			out = append(out, from)
		}
	}
	return out
}

// Valid reports whether s is a known status.
func (s Status) Valid() bool {
	for _, x := range Statuses {
		if x == s {
			return true
		}
	}
	return false
}

// Item is one line of an order.
type Item struct {
	SKU       string `json:"sku"`
	Name      string `json:"name"`
	Quantity  int    `json:"quantity"`
	UnitPrice int64  `json:"unit_price"` // minor units (cents)
}

// Order is a customer's order.
type Order struct {
	ID        int64
	Customer  string
	Currency  string
	Items     []Item
	Total     int64 // minor units
	Status    Status
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Limits on what one order may hold; they keep a single request's work and
// memory bounded.
const (
	MaxItems     = 100
	MaxQuantity  = 10_000
	MaxUnitPrice = 100_000_000 // 1,000,000.00 in minor units
	maxText      = 200
)

// Currencies accepted, ISO 4217.
var Currencies = []string{"EUR", "USD", "GBP", "CHF", "JPY"}

// New is what a client asks to create.
type New struct {
	Customer string `json:"customer"`
	Currency string `json:"currency"`
	Items    []Item `json:"items"`
}

// FieldError is one invalid field of a request, named by its JSON path.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// ValidationError lists every invalid field.
type ValidationError struct{ Fields []FieldError }

// Error implements the error interface.
func (e *ValidationError) Error() string {
	return fmt.Sprintf("invalid order: %d field(s) invalid, first %s: %s", len(e.Fields), e.Fields[0].Field, e.Fields[0].Message)
}

// Validate checks n and returns a *ValidationError listing every bad field.
func (n New) Validate() error {
	var fs []FieldError
	bad := func(field, format string, args ...any) {
		fs = append(fs, FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	if n.Customer == "" {
		bad("customer", "is required")
	} else if msg := checkText(n.Customer); msg != "" {
		bad("customer", "%s", msg)
	} else if len(n.Customer) > maxText {
		bad("customer", "is longer than %d bytes", maxText)
	}
	if msg := checkText(n.Currency); msg != "" {
		bad("currency", "%s", msg)
	} else if !contains(Currencies, n.Currency) {
		bad("currency", "must be one of %v", Currencies)
	}
	switch {
	case len(n.Items) == 0:
		bad("items", "needs at least one item")
	case len(n.Items) > MaxItems:
		bad("items", "has %d items; an order holds at most %d", len(n.Items), MaxItems)
	default:
		for i, it := range n.Items {
			p := fmt.Sprintf("items[%d]", i)
			if msg := checkText(it.SKU); msg != "" {
				bad(p+".sku", "%s", msg)
			} else if it.SKU == "" || len(it.SKU) > 64 {
				bad(p+".sku", "is required, at most 64 bytes")
			}
			if msg := checkText(it.Name); msg != "" {
				bad(p+".name", "%s", msg)
			} else if it.Name == "" || len(it.Name) > maxText {
				bad(p+".name", "is required, at most %d bytes", maxText)
			}
			if it.Quantity < 1 || it.Quantity > MaxQuantity {
				bad(p+".quantity", "must be between 1 and %d", MaxQuantity)
			}
			if it.UnitPrice < 0 || it.UnitPrice > MaxUnitPrice {
				bad(p+".unit_price", "must be between 0 and %d minor units", MaxUnitPrice)
			}
		}
	}
	if len(fs) > 0 {
		return &ValidationError{Fields: fs}
	}
	return nil
}

// checkText says what is wrong with a text field's characters, or "":
// text must be valid UTF-8 (PostgreSQL refuses anything else with an
// error, SQLite stores the bytes and a JSON client reads them back
// changed) and hold no control characters (NUL is refused by PostgreSQL
// and cuts strings short in C code; the others, ESC included, rewrite
// terminals and logs).
func checkText(s string) string {
	if !utf8.ValidString(s) {
		return "is not valid UTF-8; send text in UTF-8"
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return fmt.Sprintf("must not contain control characters (found %U)", r)
		}
	}
	return ""
}

// Total sums the items; Validate's limits keep it far from overflow.
func (n New) Total() int64 {
	var t int64
	for _, it := range n.Items {
		t += int64(it.Quantity) * it.UnitPrice
	}
	return t
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Errors a Repository returns; the service maps them to HTTP in one place.
var (
	// ErrNotFound: no order with that id.
	ErrNotFound = errors.New("order not found")
	// ErrIdempotencyMismatch: the Idempotency-Key was used before with a
	// different request.
	ErrIdempotencyMismatch = errors.New("idempotency key reused with a different request")
	// ErrBadCursor: the pagination cursor is not one this service issued.
	ErrBadCursor = errors.New("invalid pagination cursor")
	// ErrUnavailable: the database cannot serve now (unreachable, shutting
	// down, disk full or read-only); nothing was written, and the same
	// request may succeed when it is back. Implementations wrap their
	// driver's error with it.
	ErrUnavailable = errors.New("database unavailable")
)

// TransitionError says a status change is not allowed.
type TransitionError struct{ From, To Status }

// Error implements the error interface.
func (e *TransitionError) Error() string {
	allowed := e.From.Next()
	if len(allowed) == 0 {
		return fmt.Sprintf("order is %s, which is final; it cannot become %s", e.From, e.To)
	}
	return fmt.Sprintf("order is %s and cannot become %s; allowed: %v", e.From, e.To, allowed)
}

// ListOptions selects a page, newest first.
type ListOptions struct {
	After string // cursor from the previous page's Next; "" for the first page
	Limit int    // 1..100; 0 means 20
}

// Page is one page of a list.
type Page struct {
	Orders []Order
	Next   string // cursor for the next page; "" on the last page
	Total  int    // all orders
}

// Repository stores orders. Implementations must make Create and Transition
// atomic: an order is written whole or not at all. Errors that mean the
// store cannot serve right now wrap ErrUnavailable; the others are the
// errors above, *ValidationError, *TransitionError, or bugs.
type Repository interface {
	// Create stores n. With a non-empty idempotency key, a repeat of the same
	// request returns the original order and created=false; a different
	// request under the same key returns ErrIdempotencyMismatch.
	Create(ctx context.Context, n New, idempotencyKey string) (o Order, created bool, err error)
	Get(ctx context.Context, id int64) (Order, error)
	List(ctx context.Context, opts ListOptions) (Page, error)
	// Transition moves an order to status to, or returns *TransitionError.
	Transition(ctx context.Context, id int64, to Status) (Order, error)
	Close() error
}
