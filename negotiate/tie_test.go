package negotiate

import "testing"

// TestChooseEquallySpecificFirstWins: among equally specific ranges the
// first listed decides the quality (the documented rule), so a later
// duplicate with q=0 does not refuse what the first accepts, and a later
// duplicate with q=1 does not accept what the first refuses. A ">=" for
// ">" in mostSpecific (issue 19) turns the first case into a 406.
func TestChooseEquallySpecificFirstWins(t *testing.T) {
	tests := []struct {
		accept string
		offers []string
		want   string
		ok     bool
	}{
		{"text/html, text/html;q=0", []string{"text/html"}, "text/html", true},
		{"text/html;q=0, text/html", []string{"text/html"}, "", false},
		{"application/json;q=0.5, application/json;q=0.9, text/html;q=0.7", []string{"application/json", "text/html"}, "text/html", true},
		{"*/*;q=0.2, */*;q=1", []string{"image/png"}, "image/png", true},
	}
	for _, tt := range tests {
		t.Run(tt.accept, func(t *testing.T) {
			got, ok := Choose([]string{tt.accept}, tt.offers)
			if got != tt.want || ok != tt.ok {
				t.Errorf("Choose(%q, %v) = %q, %v; want %q, %v", tt.accept, tt.offers, got, ok, tt.want, tt.ok)
			}
		})
	}
}
