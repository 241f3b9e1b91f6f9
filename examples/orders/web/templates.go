package web

import (
	"html/template"
	"time"

	"github.com/golocal/golocal/examples/orders/order"
)

// templateFuncs returns the helpers the templates use.
func templateFuncs() template.FuncMap {
	return template.FuncMap{
		"money": func(minor int64, currency string) string { return formatAmount(minor, currency) + " " + currency },
		"date":  func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") },
		"next":  func(s order.Status) []order.Status { return s.Next() },
		"lineTotal": func(it order.Item) int64 {
			return int64(it.Quantity) * it.UnitPrice
		},
	}
}
