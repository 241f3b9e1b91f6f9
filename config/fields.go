package config

import (
	"encoding"
	"fmt"
	"reflect"
	"strings"
	"time"
	"unicode"
)

// field describes one leaf of a configuration struct.
type field struct {
	key      string // dotted, lower case: "db.max_open"
	index    []int  // reflect path from the root struct
	typ      reflect.Type
	secret   bool
	required bool
	oneOf    []string
	help     string
}

var (
	durationType        = reflect.TypeFor[time.Duration]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// fieldsOf lists the configurable leaves of struct type t.
func fieldsOf(t reflect.Type) ([]field, error) {
	var out []field
	err := walk(t, nil, "", &out)
	return out, err
}

func walk(t reflect.Type, index []int, prefix string, out *[]field) error {
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		if !sf.IsExported() {
			continue
		}
		tag := sf.Tag.Get("config")
		if tag == "-" {
			continue
		}
		idx := append(append([]int(nil), index...), i)
		ft := sf.Type
		if sf.Anonymous && ft.Kind() == reflect.Struct && tag == "" {
			if err := walk(ft, idx, prefix, out); err != nil {
				return err
			}
			continue
		}
		name := tag
		if name == "" {
			name = snake(sf.Name)
		}
		if strings.ContainsAny(name, ". \t") || name != strings.ToLower(name) {
			return fmt.Errorf("config: field %s: key %q must be lower case without dots or spaces", sf.Name, name)
		}
		key := prefix + name
		if ft.Kind() == reflect.Struct && ft != durationType && !reflect.PointerTo(ft).Implements(textUnmarshalerType) {
			if err := walk(ft, idx, key+".", out); err != nil {
				return err
			}
			continue
		}
		if !supported(ft) {
			return fmt.Errorf("config: field %s (%s): type %s is not supported", sf.Name, key, ft)
		}
		f := field{
			key:      key,
			index:    idx,
			typ:      ft,
			secret:   sf.Tag.Get("secret") == "true",
			required: sf.Tag.Get("required") == "true",
			help:     sf.Tag.Get("help"),
		}
		if o := sf.Tag.Get("oneof"); o != "" {
			f.oneOf = strings.Fields(o)
		}
		*out = append(*out, f)
	}
	return nil
}

func supported(t reflect.Type) bool {
	if t == durationType || reflect.PointerTo(t).Implements(textUnmarshalerType) {
		return true
	}
	switch t.Kind() {
	case reflect.String, reflect.Bool,
		reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return true
	case reflect.Slice:
		return t.Elem().Kind() == reflect.String
	}
	return false
}

// snake turns a Go field name into a key: MaxOpenConns → max_open_conns,
// HTTPAddr → http_addr.
func snake(s string) string {
	var b strings.Builder
	r := []rune(s)
	for i, c := range r {
		if unicode.IsUpper(c) {
			if i > 0 && (unicode.IsLower(r[i-1]) || (i+1 < len(r) && unicode.IsLower(r[i+1]) && unicode.IsUpper(r[i-1]))) {
				b.WriteByte('_')
			}
			b.WriteRune(unicode.ToLower(c))
		} else {
			b.WriteRune(c)
		}
	}
	return b.String()
}

// envName is the environment variable for key under prefix: db.max_open →
// PREFIX_DB_MAX_OPEN.
func envName(prefix, key string) string {
	return prefix + strings.ToUpper(strings.ReplaceAll(key, ".", "_"))
}

// flagName is the command-line flag for key: db.max_open → db-max-open.
func flagName(key string) string {
	return strings.NewReplacer(".", "-", "_", "-").Replace(key)
}
