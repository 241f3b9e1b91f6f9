// Package vulnlib is a fixture library with two "vulnerable" functions.
package vulnlib

// Parse is listed in GO-2099-0001.
func Parse(s string) string { return "parsed " + s }

// Render is listed in GO-2099-0002.
func Render(s string) string { return "rendered " + s }
