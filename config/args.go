package config

import (
	"reflect"
	"strings"
)

// RedactArgs returns a copy of args (a command line, as in os.Args, the
// program name first) with the value of every flag that sets a secret key
// of cfg replaced by [Redacted], so that a command line can be shown (by
// /debug/pprof/cmdline, say) without what [Dump] hides. cfg is the
// configuration struct (or a pointer to one); its secret:"true" fields name
// the secret flags, as [RegisterFlags] defines them.
//
// Flags are read in every form package flag accepts: -name=value,
// --name=value, and -name value (unless name is a bool field). Arguments
// that are not flags do not stop the scan (a subcommand may parse flags
// after its name); "--" does. When cfg is not a struct, nothing says
// which flags are safe to show, so the value of every flag is replaced.
func RedactArgs(cfg any, args []string) []string {
	out := append([]string(nil), args...)
	flags, all := flagKinds(cfg)
	for i := 1; i < len(out); i++ {
		a := out[i]
		if a == "--" {
			break
		}
		if !isFlag(a) {
			continue
		}
		name, _, hasValue := strings.Cut(strings.TrimPrefix(a[1:], "-"), "=")
		kind, known := flags[name]
		redact := all || kind.secret
		switch {
		case hasValue:
			if redact {
				out[i] = a[:strings.IndexByte(a, '=')+1] + Redacted
			}
		case known && kind.isBool:
		case i+1 < len(out) && (kind.secret || !isFlag(out[i+1])):
			// -name value. A secret's value is taken whatever it looks
			// like, as package flag does; for other flags a word that is
			// not a flag is taken to be the value.
			i++
			if redact {
				out[i] = Redacted
			}
		}
	}
	return out
}

func isFlag(a string) bool { return len(a) >= 2 && a[0] == '-' }

type flagKind struct{ secret, isBool bool }

// flagKinds describes the flags of cfg's keys by name; all is true when
// cfg is not a configuration struct.
func flagKinds(cfg any) (kinds map[string]flagKind, all bool) {
	rv := reflect.ValueOf(cfg)
	for rv.Kind() == reflect.Pointer && !rv.IsNil() {
		rv = rv.Elem()
	}
	if rv.Kind() != reflect.Struct {
		return nil, true
	}
	fields, err := fieldsOf(rv.Type())
	if err != nil {
		return nil, true
	}
	kinds = map[string]flagKind{}
	for _, f := range fields {
		kinds[flagName(f.key)] = flagKind{secret: f.secret, isBool: f.typ.Kind() == reflect.Bool}
	}
	return kinds, false
}
