package web

import (
	"crypto/rand"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/golocal/golocal/examples/orders/order"
	"github.com/golocal/golocal/problem"
)

// formRows is how many item rows an empty form shows; the page's script
// adds more.
const formRows = 3

// form is the create form of the list page: what the user typed and, after
// a failed post, what was wrong with it.
type form struct {
	Customer       string
	Currency       string
	Rows           []formRow
	Errors         []string
	IdempotencyKey string // one per rendered form: a double submit creates one order
}

// formRow is one item line of the form.
type formRow struct{ SKU, Name, Quantity, Price string }

// Currencies lists what the form offers.
func (form) Currencies() []string { return order.Currencies }

func newForm() form {
	return form{Currency: "EUR", Rows: make([]formRow, formRows), IdempotencyKey: rand.Text()}
}

func isForm(r *http.Request) bool {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return mt == "application/x-www-form-urlencoded"
}

// readForm parses the posted form into an order, with the errors of the
// fields it could not read. Rows left entirely empty are skipped.
func readForm(w http.ResponseWriter, r *http.Request) (order.New, form, []string, error) {
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	if err := r.ParseForm(); err != nil {
		return order.New{}, form{}, nil, problem.Wrap(err, problem.BadRequest, "the form could not be read")
	}
	f := form{
		Customer:       strings.TrimSpace(r.PostForm.Get("customer")),
		Currency:       r.PostForm.Get("currency"),
		IdempotencyKey: r.PostForm.Get("idempotency_key"),
	}
	if err := checkIdempotencyKey(f.IdempotencyKey); err != nil {
		return order.New{}, f, nil, err
	}
	skus, names, qtys, prices := r.PostForm["sku"], r.PostForm["name"], r.PostForm["quantity"], r.PostForm["price"]
	rows := max(len(skus), len(names), len(qtys), len(prices))
	if rows > order.MaxItems {
		return order.New{}, f, nil, problem.InvalidFields(problem.FieldError{Field: "items", Message: fmt.Sprintf("an order holds at most %d items", order.MaxItems)})
	}
	at := func(list []string, i int) string {
		if i < len(list) {
			return strings.TrimSpace(list[i])
		}
		return ""
	}
	n := order.New{Customer: f.Customer, Currency: f.Currency}
	var bad []string
	for i := range rows {
		row := formRow{SKU: at(skus, i), Name: at(names, i), Quantity: at(qtys, i), Price: at(prices, i)}
		f.Rows = append(f.Rows, row)
		if row == (formRow{}) {
			continue
		}
		it := order.Item{SKU: row.SKU, Name: row.Name}
		q, err := strconv.Atoi(row.Quantity)
		if err != nil {
			bad = append(bad, fmt.Sprintf("Item %d quantity: must be a whole number", i+1))
		}
		it.Quantity = q
		if it.UnitPrice, err = parseAmount(row.Price, f.Currency); err != nil {
			bad = append(bad, fmt.Sprintf("Item %d price: %v", i+1, err))
		}
		n.Items = append(n.Items, it)
	}
	for len(f.Rows) < formRows {
		f.Rows = append(f.Rows, formRow{})
	}
	return n, f, bad, nil
}

// createFromForm handles the list page's form: on success a flash message
// and a redirect to the new order; otherwise the list again, with the
// form as typed and what is wrong with it.
func (s *server) createFromForm(w http.ResponseWriter, r *http.Request) {
	n, f, bad, err := readForm(w, r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := n.Validate(); err != nil || len(bad) > 0 {
		if ve, ok := err.(*order.ValidationError); ok {
			bad = append(bad, formMessages(ve, n)...)
		}
		f.Errors = bad
		s.listWith(w, r, f.printable(), http.StatusUnprocessableEntity)
		return
	}
	o, created, err := s.orders.Create(r.Context(), n, f.IdempotencyKey)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if created {
		s.flash(r, fmt.Sprintf("Order #%d created for %s.", o.ID, o.Customer))
	}
	http.Redirect(w, r, "/orders/"+strconv.FormatInt(o.ID, 10), http.StatusSeeOther)
}

// printable is the form as shown back after an error: what the user
// typed, with bytes that are not UTF-8 shown as U+FFFD (the error says
// which field held them) so the page itself stays valid UTF-8.
func (f form) printable() form {
	clean := func(s string) string { return strings.ToValidUTF8(s, "\uFFFD") }
	f.Customer, f.Currency = clean(f.Customer), clean(f.Currency)
	rows := make([]formRow, len(f.Rows))
	for i, r := range f.Rows {
		rows[i] = formRow{SKU: clean(r.SKU), Name: clean(r.Name), Quantity: clean(r.Quantity), Price: clean(r.Price)}
	}
	f.Rows = rows
	return f
}

// formMessages words validation errors for the form's readers.
func formMessages(ve *order.ValidationError, n order.New) []string {
	out := make([]string, 0, len(ve.Fields))
	for _, f := range ve.Fields {
		name := f.Field
		var i int
		var field string
		if _, err := fmt.Sscanf(f.Field, "items[%d].%s", &i, &field); err == nil {
			name = fmt.Sprintf("Item %d %s", i+1, strings.ReplaceAll(field, "_", " "))
		} else if len(name) > 0 {
			name = strings.ToUpper(name[:1]) + name[1:]
		}
		out = append(out, name+": "+f.Message)
	}
	return out
}

// transitionFromForm handles the detail page's buttons: the outcome is a
// flash message on the same page.
func (s *server) transitionFromForm(w http.ResponseWriter, r *http.Request, id int64) {
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, problem.Wrap(err, problem.BadRequest, "the form could not be read"))
		return
	}
	to := order.Status(r.PostForm.Get("status"))
	if !to.Valid() {
		s.fail(w, r, problem.InvalidFields(problem.FieldError{Field: "status", Message: fmt.Sprintf("must be one of %v", order.Statuses)}))
		return
	}
	o, err := s.orders.Transition(r.Context(), id, to)
	var terr *order.TransitionError
	switch {
	case err == nil:
		s.flash(r, fmt.Sprintf("Order #%d is now %s.", o.ID, o.Status))
	case errors.As(err, &terr):
		s.flash(r, "Not changed: "+terr.Error()+".")
	default:
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/orders/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
}
