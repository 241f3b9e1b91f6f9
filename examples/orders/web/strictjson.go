package web

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/golocal/golocal/problem"
)

// maxJSONDepth bounds the nesting checkJSON follows: an order is 3 levels
// deep, and a bound keeps a body of a million '[' from costing a million
// frames.
const maxJSONDepth = 32

// checkJSON checks one JSON value (RFC 8259) strictly before it is
// decoded, because encoding/json repairs what this service must refuse:
// it replaces invalid UTF-8 and unpaired UTF-16 surrogate escapes
// ("\ud800") with U+FFFD, so a client's bytes would be stored changed,
// and it keeps the last of duplicate object keys, so two parties reading
// the same body (a proxy that keeps the first, this service) could see
// different orders. It returns a field error naming the offending field
// (its JSON path, as in "items[0].name"), or nil. Syntax errors are left
// to the decoder, which words them better: checkJSON stops quietly at the
// first token it cannot read.
//
// It walks the tokens of encoding/json's Decoder and checks each string's
// raw bytes, found between the decoder's input offsets.
func checkJSON(data []byte) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var stack []*jsonFrame
	prev := int64(0)
	for {
		tok, err := dec.Token()
		if err != nil {
			return nil // end of input or a syntax error: decoding reports it
		}
		off := dec.InputOffset()
		raw := data[prev:off]
		prev = off
		var top *jsonFrame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		switch t := tok.(type) {
		case json.Delim:
			switch t {
			case '{', '[':
				if len(stack) >= maxJSONDepth {
					return problem.Errorf(problem.BadRequest, "the JSON in the request body is nested more than %d levels deep", maxJSONDepth)
				}
				stack = append(stack, &jsonFrame{object: t == '{', path: top.valuePath(), wantKey: t == '{'})
				top.advance()
			default:
				stack = stack[:len(stack)-1]
			}
		case string:
			if top != nil && top.object && top.wantKey {
				if err := top.addKey(t, raw); err != nil {
					return err
				}
				continue
			}
			if msg := badString(raw); msg != "" {
				return invalidField(top.valuePath(), msg)
			}
			top.advance()
		default:
			top.advance()
		}
		if len(stack) == 0 {
			return nil // one value read; decodeJSON refuses anything after it
		}
	}
}

// jsonFrame is one object or array being read.
type jsonFrame struct {
	object  bool
	path    string // the container's own path; "" for the body
	wantKey bool   // object: the next string is a key
	key     string // object: the key of the value being read
	index   int    // array: the index of the next element
	keys    []string
	keySet  map[string]bool // keys, once there are many
}

// addKey records an object key, refusing an invalid or repeated one.
func (f *jsonFrame) addKey(key string, raw []byte) error {
	field := joinField(f.path, printable(key))
	if msg := badString(raw); msg != "" {
		return invalidField(field, "is a key that "+msg)
	}
	if f.seen(key) {
		return invalidField(field, "appears more than once in the same object; send each field once")
	}
	f.key, f.wantKey = key, false
	return nil
}

// seen reports whether key was already in the object, and records it.
// Small objects use a slice; past 16 keys a map keeps a body of many keys
// linear.
func (f *jsonFrame) seen(key string) bool {
	if f.keySet != nil {
		if f.keySet[key] {
			return true
		}
		f.keySet[key] = true
		return false
	}
	for _, k := range f.keys {
		if k == key {
			return true
		}
	}
	f.keys = append(f.keys, key)
	if len(f.keys) > 16 {
		f.keySet = make(map[string]bool, 2*len(f.keys))
		for _, k := range f.keys {
			f.keySet[k] = true
		}
		f.keys = nil
	}
	return false
}

// advance moves past one value of the container.
func (f *jsonFrame) advance() {
	switch {
	case f == nil:
	case f.object:
		f.wantKey = true
	default:
		f.index++
	}
}

// valuePath is the path of the value about to be read in f.
func (f *jsonFrame) valuePath() string {
	switch {
	case f == nil:
		return ""
	case f.object:
		return joinField(f.path, printable(f.key))
	default:
		return f.path + "[" + strconv.Itoa(f.index) + "]"
	}
}

func joinField(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func invalidField(field, msg string) error {
	if field == "" {
		field = "(body)"
	}
	return problem.InvalidFields(problem.FieldError{Field: field, Message: msg})
}

// printable makes a client's key safe to echo in a field name: valid
// UTF-8, at most 64 bytes.
func printable(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if len(s) > 64 {
		return truncate(s, 64)
	}
	return s
}

// badString checks the raw bytes of one JSON string token (with whatever
// separators precede it) and says what is wrong, or "".
func badString(raw []byte) string {
	i := bytes.IndexByte(raw, '"')
	if i < 0 {
		return ""
	}
	s := raw[i+1:]
	if !utf8.Valid(s) {
		return "is not valid UTF-8; send text in UTF-8"
	}
	for i := 0; i < len(s); i++ {
		if s[i] != '\\' {
			continue
		}
		i++
		if i >= len(s) || s[i] != 'u' {
			continue
		}
		r, ok := hex4(s[i+1:])
		if !ok {
			continue // the decoder reports the syntax error
		}
		i += 4
		switch {
		case r >= 0xDC00 && r <= 0xDFFF:
			return fmt.Sprintf(`holds an unpaired UTF-16 surrogate escape (\u%04x); it is not a character`, r)
		case r >= 0xD800 && r <= 0xDBFF:
			next, ok := uint16(0), len(s) > i+2 && s[i+1] == '\\' && s[i+2] == 'u'
			if ok {
				next, ok = hex4(s[i+3:])
			}
			if !ok || next < 0xDC00 || next > 0xDFFF {
				return fmt.Sprintf(`holds an unpaired UTF-16 surrogate escape (\u%04x); it is not a character`, r)
			}
			i += 6
		}
	}
	return ""
}

// hex4 reads four hex digits.
func hex4(b []byte) (uint16, bool) {
	if len(b) < 4 {
		return 0, false
	}
	v, err := strconv.ParseUint(string(b[:4]), 16, 16)
	return uint16(v), err == nil
}
