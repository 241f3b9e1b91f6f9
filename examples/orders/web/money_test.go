package web

import "testing"

func TestAmounts(t *testing.T) {
	tests := []struct {
		in       string
		currency string
		want     int64
		ok       bool
	}{
		{"12.50", "EUR", 1250, true},
		{"12.5", "EUR", 1250, true},
		{"12", "EUR", 1200, true},
		{"0.01", "USD", 1, true},
		{"1250", "JPY", 1250, true},
		{"12.5", "JPY", 0, false},
		{"12.505", "EUR", 0, false},
		{"-1", "EUR", 0, false},
		{"+1", "EUR", 0, false},
		{"1e3", "EUR", 0, false},
		{"1,000", "EUR", 0, false},
		{".5", "EUR", 0, false},
		{"5.", "EUR", 0, false},
		{"", "EUR", 0, false},
		{"9999999999999999", "EUR", 0, false},
	}
	for _, tt := range tests {
		got, err := parseAmount(tt.in, tt.currency)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("parseAmount(%q, %s) = %d, %v; want %d, ok=%v", tt.in, tt.currency, got, err, tt.want, tt.ok)
		}
	}
	for _, tt := range []struct {
		minor    int64
		currency string
		want     string
	}{{1250, "EUR", "12.50"}, {5, "EUR", "0.05"}, {0, "USD", "0.00"}, {1250, "JPY", "1250"}, {-5, "EUR", "-0.05"}} {
		if got := formatAmount(tt.minor, tt.currency); got != tt.want {
			t.Errorf("formatAmount(%d, %s) = %q, want %q", tt.minor, tt.currency, got, tt.want)
		}
	}
}

// FuzzParseAmount: never panics, and what it accepts formats back to a
// value that parses to the same amount.
func FuzzParseAmount(f *testing.F) {
	for _, s := range []string{"12.50", "0", "1.5", "", ".", "-1", "999999999999999.99"} {
		f.Add(s, "EUR")
		f.Add(s, "JPY")
	}
	f.Fuzz(func(t *testing.T, s, currency string) {
		n, err := parseAmount(s, currency)
		if err != nil {
			return
		}
		if n < 0 {
			t.Fatalf("%q parsed to negative %d", s, n)
		}
		back, err := parseAmount(formatAmount(n, currency), currency)
		if err != nil || back != n {
			t.Fatalf("%q → %d → %q → %d, %v", s, n, formatAmount(n, currency), back, err)
		}
	})
}
