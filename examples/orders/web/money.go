package web

import (
	"errors"
	"strconv"
	"strings"
)

// minorDigits is the number of decimals of each currency's minor unit
// (ISO 4217): cents for most, none for the yen.
func minorDigits(currency string) int {
	if currency == "JPY" {
		return 0
	}
	return 2
}

// formatAmount writes an amount in minor units as a decimal string in the
// currency's major unit: 1250 EUR is "12.50", 1250 JPY is "1250".
func formatAmount(minor int64, currency string) string {
	digits := minorDigits(currency)
	neg := minor < 0
	u := uint64(minor)
	if neg {
		u = -u
	}
	s := strconv.FormatUint(u, 10)
	if digits > 0 {
		if len(s) <= digits {
			s = strings.Repeat("0", digits-len(s)+1) + s
		}
		s = s[:len(s)-digits] + "." + s[len(s)-digits:]
	}
	if neg {
		s = "-" + s
	}
	return s
}

// maxAmountDigits bounds the integer part so the result stays far from
// int64 overflow; order.MaxUnitPrice is much smaller anyway.
const maxAmountDigits = 15

var errAmount = errors.New("must be a decimal amount such as 12.50, without sign, thousands separators or more decimals than the currency has")

// parseAmount reads a decimal amount in the currency's major unit ("12.50",
// "12.5", "12") and returns it in minor units. It refuses signs, exponents,
// separators, and more decimals than the currency has, so no amount is
// silently rounded.
func parseAmount(s, currency string) (int64, error) {
	digits := minorDigits(currency)
	whole, frac, hasDot := strings.Cut(s, ".")
	if whole == "" || len(whole) > maxAmountDigits || !allDigits(whole) ||
		(hasDot && (frac == "" || len(frac) > digits || !allDigits(frac))) {
		return 0, errAmount
	}
	frac += strings.Repeat("0", digits-len(frac))
	n, err := strconv.ParseInt(whole+frac, 10, 64)
	if err != nil {
		return 0, errAmount
	}
	return n, nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
