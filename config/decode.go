package config

import (
	"encoding"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// set converts raw (from a file parser: string, bool, float64, int64, []any;
// from env and flags: string) to f's type and stores it in v. Errors never
// contain the value of a secret field.
func set(v reflect.Value, f field, raw any) error {
	if f.typ.Kind() == reflect.Slice {
		list, err := toStrings(raw)
		if err != nil {
			return err
		}
		v.Set(reflect.ValueOf(list).Convert(f.typ))
		return nil
	}
	s, err := scalarString(raw)
	if err != nil {
		return err
	}
	if reflect.PointerTo(f.typ).Implements(textUnmarshalerType) {
		p := reflect.New(f.typ)
		if err := p.Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(s)); err != nil {
			return fmt.Errorf("%s", err)
		}
		v.Set(p.Elem())
		return nil
	}
	if f.typ == durationType {
		d, err := time.ParseDuration(strings.TrimSpace(s))
		if err != nil {
			return fmt.Errorf("want a duration like 500ms, 30s or 2h")
		}
		v.SetInt(int64(d))
		return nil
	}
	switch f.typ.Kind() {
	case reflect.String:
		v.SetString(s)
	case reflect.Bool:
		b, err := strconv.ParseBool(strings.TrimSpace(s))
		if err != nil {
			return fmt.Errorf("want true or false")
		}
		v.SetBool(b)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, f.typ.Bits())
		if err != nil {
			return fmt.Errorf("want a whole number%s", rangeHint(f.typ, err))
		}
		v.SetInt(n)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		n, err := strconv.ParseUint(strings.TrimSpace(s), 10, f.typ.Bits())
		if err != nil {
			return fmt.Errorf("want a whole number ≥ 0%s", rangeHint(f.typ, err))
		}
		v.SetUint(n)
	case reflect.Float32, reflect.Float64:
		x, err := strconv.ParseFloat(strings.TrimSpace(s), f.typ.Bits())
		if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
			return fmt.Errorf("want a number")
		}
		v.SetFloat(x)
	default:
		return fmt.Errorf("unsupported type %s", f.typ)
	}
	return nil
}

func rangeHint(t reflect.Type, err error) string {
	if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
		return fmt.Sprintf(" that fits in %s", t)
	}
	return ""
}

// scalarString renders a parsed value as the string the converters read.
// Integers that a YAML/JSON parser produced as float64 keep their digits.
func scalarString(raw any) (string, error) {
	switch x := raw.(type) {
	case string:
		return x, nil
	case bool:
		return strconv.FormatBool(x), nil
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
			return strconv.FormatInt(int64(x), 10), nil
		}
		return strconv.FormatFloat(x, 'g', -1, 64), nil
	case float32:
		return strconv.FormatFloat(float64(x), 'g', -1, 32), nil
	case int:
		return strconv.Itoa(x), nil
	case int64:
		return strconv.FormatInt(x, 10), nil
	case uint64:
		return strconv.FormatUint(x, 10), nil
	case time.Time:
		return x.Format(time.RFC3339Nano), nil
	case nil:
		return "", nil
	case []any, []string:
		return "", fmt.Errorf("want a single value, got a list")
	case map[string]any:
		return "", fmt.Errorf("want a single value, got a table")
	default:
		return fmt.Sprint(x), nil
	}
}

// toStrings accepts a list from a file or a comma-separated string from the
// environment or a flag.
func toStrings(raw any) ([]string, error) {
	switch x := raw.(type) {
	case string:
		if strings.TrimSpace(x) == "" {
			return nil, nil
		}
		parts := strings.Split(x, ",")
		for i := range parts {
			parts[i] = strings.TrimSpace(parts[i])
		}
		return parts, nil
	case []string:
		return x, nil
	case []any:
		out := make([]string, 0, len(x))
		for i, e := range x {
			s, err := scalarString(e)
			if err != nil {
				return nil, fmt.Errorf("item %d: %v", i+1, err)
			}
			out = append(out, s)
		}
		return out, nil
	}
	return nil, fmt.Errorf("want a list")
}

// describe renders raw for an error message, shortened and quoted.
func describe(raw any) string {
	s, err := scalarString(raw)
	if err != nil {
		s = fmt.Sprint(raw)
	}
	if len(s) > 60 {
		s = s[:57] + "..."
	}
	return strconv.Quote(s)
}
