package config

import (
	"flag"
	"fmt"
	"reflect"
	"strings"
	"time"
)

// Redacted is what a secret shows in dumps when it is set.
const Redacted = "[redacted]"

// Dump returns cfg (a struct or pointer to one) as a nested map by key, with
// every secret field replaced by Redacted (or "" when unset). It is what
// /debug/config and start-up logs should print.
func Dump(cfg any) map[string]any {
	rv := reflect.Indirect(reflect.ValueOf(cfg))
	out := map[string]any{}
	if rv.Kind() != reflect.Struct {
		return out
	}
	fields, err := fieldsOf(rv.Type())
	if err != nil {
		return out
	}
	for _, f := range fields {
		v := rv.FieldByIndex(f.index)
		var shown any
		switch {
		case f.secret && v.IsZero():
			shown = ""
		case f.secret:
			shown = Redacted
		case f.typ == durationType:
			shown = time.Duration(v.Int()).String()
		default:
			shown = v.Interface()
			if s, ok := shown.(fmt.Stringer); ok && f.typ.Kind() != reflect.String {
				shown = s.String()
			}
		}
		putPath(out, strings.Split(f.key, "."), shown)
	}
	return out
}

func putPath(m map[string]any, path []string, v any) {
	for _, p := range path[:len(path)-1] {
		next, ok := m[p].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[p] = next
		}
		m = next
	}
	m[path[len(path)-1]] = v
}

// RegisterFlags defines one flag per key of cfg's struct type on fs (names
// like --db-max-open), with the field's help text and current value as the
// default shown. Load reads only the flags the user actually set, so the
// defaults shown never override other layers. A flag already defined on fs
// is left alone.
func RegisterFlags(fs *flag.FlagSet, cfg any) error {
	rv := reflect.Indirect(reflect.ValueOf(cfg))
	if rv.Kind() != reflect.Struct {
		return fmt.Errorf("config: RegisterFlags needs a struct or pointer to one, got %T", cfg)
	}
	fields, err := fieldsOf(rv.Type())
	if err != nil {
		return err
	}
	for _, f := range fields {
		name := flagName(f.key)
		if fs.Lookup(name) != nil {
			continue
		}
		def := ""
		if v := rv.FieldByIndex(f.index); !f.secret && !v.IsZero() {
			switch {
			case f.typ == durationType:
				def = time.Duration(v.Int()).String()
			case f.typ.Kind() == reflect.Slice:
				def = strings.Join(v.Convert(reflect.TypeFor[[]string]()).Interface().([]string), ",")
			default:
				def = fmt.Sprint(v.Interface())
			}
		}
		help := f.help
		if help == "" {
			help = f.key
		}
		if f.secret {
			help += " (secret: prefer the environment, flags show in ps)"
		}
		fs.Var(&rawFlag{value: def, isBool: f.typ.Kind() == reflect.Bool}, name, help)
	}
	return nil
}

// rawFlag keeps the text the user typed; Load converts it with the field's
// type so errors are reported like every other layer's.
type rawFlag struct {
	value  string
	isBool bool
}

func (f *rawFlag) String() string     { return f.value }
func (f *rawFlag) Set(s string) error { f.value = s; return nil }
func (f *rawFlag) IsBoolFlag() bool   { return f.isBool }
