package web

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/golocal/golocal/problem"
)

func TestCheckJSON(t *testing.T) {
	tests := []struct {
		name, body string
		field      string // "" when the body must pass
		message    string
	}{
		{"valid order", `{"customer":"Ada","currency":"EUR","items":[{"sku":"A","name":"Tea \u00e9 \ud83d\ude00","quantity":1}]}`, "", ""},
		{"escaped NUL passes the scan (the domain refuses it)", `{"customer":"\u0000"}`, "", ""},
		{"invalid UTF-8 in a value", "{\"customer\":\"Ad\xffa\"}", "customer", "not valid UTF-8"},
		{"overlong encoding", "{\"customer\":\"\xc0\xaf\"}", "customer", "not valid UTF-8"},
		{"UTF-8-encoded surrogate", "{\"customer\":\"\xed\xa0\x80\"}", "customer", "not valid UTF-8"},
		{"invalid UTF-8 in an item", "{\"items\":[{\"sku\":\"A\"},{\"name\":\"\xff\"}]}", "items[1].name", "not valid UTF-8"},
		{"lone high surrogate escape", `{"customer":"\ud800"}`, "customer", "unpaired UTF-16 surrogate"},
		{"high surrogate then letter", `{"customer":"\uD800x"}`, "customer", "unpaired UTF-16 surrogate"},
		{"lone low surrogate escape", `{"items":[{"name":"a\udc00"}]}`, "items[0].name", "unpaired UTF-16 surrogate"},
		{"high surrogate then high", `{"customer":"\ud800\ud800"}`, "customer", "unpaired UTF-16 surrogate"},
		{"escaped backslash before u is not an escape", `{"customer":"\\ud800"}`, "", ""},
		{"duplicate key", `{"customer":"Ada","customer":"Eve"}`, "customer", "more than once"},
		{"duplicate key in an item", `{"items":[{"sku":"A","quantity":1,"quantity":1000}]}`, "items[0].quantity", "more than once"},
		{"duplicate key in a nested object", `{"items":[{"unit_price":{"amount":"1","amount":"2"}}]}`, "items[0].unit_price.amount", "more than once"},
		{"same key in sibling objects is fine", `{"items":[{"sku":"A"},{"sku":"A"}]}`, "", ""},
		{"invalid UTF-8 in a key", "{\"cust\xffomer\":\"Ada\"}", "cust\uFFFDomer", "key that is not valid UTF-8"},
		{"duplicate among many keys", `{` + manyKeys(40) + `,"k7":0}`, "k7", "more than once"},
		{"string at the root", "\"\xff\"", "(body)", "not valid UTF-8"},
		{"too deep", strings.Repeat("[", 40) + strings.Repeat("]", 40), "", "nested more than"},
		{"syntax error left to the decoder", `{"customer" "Ada"}`, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := checkJSON([]byte(tt.body))
			if tt.field == "" && tt.message == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("passed, want refused")
			}
			pe, ok := err.(*problem.Err)
			if !ok {
				t.Fatalf("%T %v, want *problem.Err", err, err)
			}
			if tt.field == "" {
				if !strings.Contains(pe.Message, tt.message) {
					t.Errorf("message %q, want %q", pe.Message, tt.message)
				}
				return
			}
			if len(pe.Fields) != 1 || pe.Fields[0].Field != tt.field || !strings.Contains(pe.Fields[0].Message, tt.message) {
				t.Errorf("fields %+v, want %s: …%s…", pe.Fields, tt.field, tt.message)
			}
		})
	}
}

func manyKeys(n int) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`"k` + strconv.Itoa(i) + `":0`)
	}
	return b.String()
}

// FuzzCheckJSON: checkJSON never panics, and what it lets through is what
// encoding/json decodes without repair: valid UTF-8 throughout, and no
// U+FFFD in a decoded string that the input did not spell itself.
func FuzzCheckJSON(f *testing.F) {
	for _, s := range []string{`{"a":"b"}`, `{"a":"\ud800"}`, "{\"a\":\"\xff\"}", `{"a":1,"a":2}`, `[{"a":[{"b":"\udc00"}]}]`, `"\ud83d\ude00"`, `{"a":"\\ud800"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		err := checkJSON(data)
		if err != nil || !json.Valid(data) {
			return
		}
		if !utf8.Valid(data) {
			t.Fatalf("passed invalid UTF-8: %q", data)
		}
		var v any
		if json.Unmarshal(data, &v) != nil {
			return
		}
		if spelled := strings.Contains(string(data), "\uFFFD") || strings.Contains(strings.ToLower(string(data)), `\ufffd`); !spelled && holdsReplacement(v) {
			t.Fatalf("passed a string encoding/json repaired: %q", data)
		}
	})
}

func holdsReplacement(v any) bool {
	switch x := v.(type) {
	case string:
		return strings.ContainsRune(x, utf8.RuneError)
	case []any:
		for _, e := range x {
			if holdsReplacement(e) {
				return true
			}
		}
	case map[string]any:
		for k, e := range x {
			if strings.ContainsRune(k, utf8.RuneError) || holdsReplacement(e) {
				return true
			}
		}
	}
	return false
}
