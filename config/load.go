package config

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"

	"github.com/knadh/koanf/parsers/json"
	"github.com/knadh/koanf/parsers/toml/v2"
	"github.com/knadh/koanf/parsers/yaml"
	"github.com/knadh/koanf/v2"
)

// Profiles are the deployment profiles, from most relaxed to strictest.
var Profiles = []string{"local", "dev", "staging", "prod"}

// DefaultProfile is used when nothing names a profile: a forgotten setting
// gets production's safe defaults, not development's relaxed ones.
const DefaultProfile = "prod"

// maxFileSize bounds a config file: anything larger is a mistake (a log or a
// binary named by accident), and reading it whole would cost memory.
const maxFileSize = 4 << 20

// Options says where the layers come from.
type Options struct {
	// Profile, when set, wins over every other source of the profile.
	Profile string
	// Files are read in order; each must exist. The format comes from the
	// extension: .yaml/.yml, .toml, .json.
	Files []string
	// EnvPrefix selects environment variables: with "ORDERS_", key
	// db.max_open is read from ORDERS_DB_MAX_OPEN. Empty disables the layer.
	EnvPrefix string
	// Environ is the environment as "KEY=value" lines; nil means os.Environ().
	Environ []string
	// Flags is the parsed flag set; only flags the user set count. Flags
	// whose names are not config keys are ignored (the program may have
	// others). RegisterFlags defines one flag per key.
	Flags *flag.FlagSet
	// ProfileDefaults are the program's own defaults per profile, applied
	// above the struct's values and below the file.
	ProfileDefaults map[string]map[string]any
}

// Result tells where the loaded values came from.
type Result struct {
	// Profile is the profile in force.
	Profile string
	// Sources maps each key set by a layer to that layer, e.g.
	// "env ORDERS_DB_URL", "file config.yaml", "flag --addr", "profile prod".
	// Keys absent from the map kept the struct's default.
	Sources map[string]string
}

// layer is one source of values: name for messages, values by key.
type layer struct {
	name   string            // "file config.yaml", "env", "flags", "profile prod"
	origin map[string]string // key → precise origin ("env ORDERS_PORT")
	values map[string]any
}

// Load fills dst, a pointer to a struct whose current values are the
// defaults, from the layers in opts. On error dst may be partly filled and
// the error lists every problem found, each naming the key and its layer.
func Load(dst any, opts Options) (*Result, error) {
	rv := reflect.ValueOf(dst)
	if rv.Kind() != reflect.Pointer || rv.IsNil() || rv.Elem().Kind() != reflect.Struct {
		return nil, fmt.Errorf("config: Load needs a non-nil pointer to a struct, got %T", dst)
	}
	fields, err := fieldsOf(rv.Elem().Type())
	if err != nil {
		return nil, err
	}
	byKey := make(map[string]field, len(fields))
	keys := make([]string, 0, len(fields))
	for _, f := range fields {
		byKey[f.key] = f
		keys = append(keys, f.key)
	}
	if _, ok := byKey["profile"]; !ok {
		// The profile is always a known key, even without Base.
		keys = append(keys, "profile")
	}
	sort.Strings(keys)

	var errs []error
	var layers []layer
	for _, path := range opts.Files {
		l, err := fileLayer(path)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		layers = append(layers, l)
	}
	environ := opts.Environ
	if environ == nil {
		environ = os.Environ()
	}
	// `golocal dev` sets GOLOCAL_PROFILE=dev for the app it runs; the app's
	// own PREFIX_PROFILE, a flag or Options.Profile still win over it.
	for _, kv := range environ {
		if v, ok := strings.CutPrefix(kv, "GOLOCAL_PROFILE="); ok && v != "" {
			layers = append(layers, layer{name: "env", origin: map[string]string{"profile": "env GOLOCAL_PROFILE"}, values: map[string]any{"profile": v}})
		}
	}
	if opts.EnvPrefix != "" {
		l, lerrs := envLayer(opts.EnvPrefix, environ, keys)
		errs = append(errs, lerrs...)
		layers = append(layers, l)
	}
	if opts.Flags != nil {
		layers = append(layers, flagLayer(opts.Flags, keys))
	}
	// Unknown keys in files: a typo must not fall back to a default silently.
	for _, l := range layers {
		for _, k := range sortedKeys(l.values) {
			if k == "profile" {
				continue
			}
			if _, ok := byKey[k]; !ok {
				errs = append(errs, unknownKey(k, l.origin[k], keys))
			}
		}
	}

	profile, profileOrigin := DefaultProfile, "default"
	for _, l := range layers {
		if v, ok := l.values["profile"]; ok {
			s, _ := scalarString(v)
			profile, profileOrigin = strings.TrimSpace(s), l.origin["profile"]
		}
	}
	if opts.Profile != "" {
		profile, profileOrigin = opts.Profile, "Options.Profile"
	}
	if !isProfile(profile) {
		errs = append(errs, fmt.Errorf("unknown profile %s (from %s): use one of %s", describe(profile), profileOrigin, strings.Join(Profiles, ", ")))
		return nil, joinErrors(errs)
	}

	// Profile defaults sit under the file, env and flag layers.
	pl := layer{name: "profile " + profile, origin: map[string]string{}, values: map[string]any{}}
	if hasBase(rv.Elem().Type()) {
		for k, v := range baseProfileDefaults(profile) {
			pl.values[k], pl.origin[k] = v, "profile "+profile
		}
	}
	for k, v := range opts.ProfileDefaults[profile] {
		if _, ok := byKey[k]; !ok {
			errs = append(errs, unknownKey(k, "ProfileDefaults["+profile+"]", keys))
			continue
		}
		pl.values[k], pl.origin[k] = v, "profile "+profile
	}
	for p := range opts.ProfileDefaults {
		if !isProfile(p) {
			errs = append(errs, fmt.Errorf("ProfileDefaults has unknown profile %q: use one of %s", p, strings.Join(Profiles, ", ")))
		}
	}
	layers = append([]layer{pl}, layers...)

	res := &Result{Profile: profile, Sources: map[string]string{}}
	root := rv.Elem()
	for _, l := range layers {
		for _, k := range sortedKeys(l.values) {
			f, ok := byKey[k]
			if !ok {
				continue
			}
			if err := set(root.FieldByIndex(f.index), f, l.values[k]); err != nil {
				errs = append(errs, badValue(f, l.values[k], l.origin[k], err))
				continue
			}
			res.Sources[k] = l.origin[k]
		}
	}
	if f, ok := byKey["profile"]; ok {
		root.FieldByIndex(f.index).SetString(profile)
		res.Sources["profile"] = profileOrigin
	}

	for _, f := range fields {
		v := root.FieldByIndex(f.index)
		if f.required && v.IsZero() {
			what := "value"
			if f.secret {
				what = "secret"
			}
			errs = append(errs, fmt.Errorf("missing required %s %s: set %s", what, f.key, howToSet(f, opts)))
			continue
		}
		if len(f.oneOf) > 0 && v.Kind() == reflect.String && !v.IsZero() && !contains(f.oneOf, v.String()) {
			errs = append(errs, badValue(f, v.String(), res.Sources[f.key], fmt.Errorf("want one of %s", strings.Join(f.oneOf, ", "))))
		}
	}
	if len(errs) > 0 {
		return res, joinErrors(errs)
	}
	if err := validateBase(root); err != nil {
		return res, err
	}
	if v, ok := dst.(interface{ Validate() error }); ok {
		if err := v.Validate(); err != nil {
			return res, fmt.Errorf("config: %w", err)
		}
	}
	return res, nil
}

// fileLayer reads one file with the koanf parser its extension names.
func fileLayer(path string) (layer, error) {
	l := layer{name: "file " + path, origin: map[string]string{}}
	var parser koanf.Parser
	switch strings.ToLower(filepath.Ext(path)) {
	case ".yaml", ".yml":
		parser = yaml.Parser()
	case ".toml":
		parser = toml.Parser()
	case ".json":
		parser = json.Parser()
	default:
		return l, fmt.Errorf("config file %s: unknown format %q: use .yaml, .yml, .toml or .json", path, filepath.Ext(path))
	}
	st, err := os.Stat(path)
	if err != nil {
		return l, fmt.Errorf("config file %s: %w", path, errors.Unwrap(err))
	}
	if !st.Mode().IsRegular() {
		return l, fmt.Errorf("config file %s: not a regular file", path)
	}
	if st.Size() > maxFileSize {
		return l, fmt.Errorf("config file %s: %d bytes is larger than the %d-byte limit for a config file", path, st.Size(), maxFileSize)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return l, fmt.Errorf("config file %s: %w", path, errors.Unwrap(err))
	}
	k := koanf.New(".")
	if err := k.Load(bytesProvider(b), parser); err != nil {
		return l, fmt.Errorf("config file %s: %v", path, err)
	}
	l.values = k.All()
	for key := range l.values {
		l.origin[key] = "file " + path
	}
	return l, nil
}

// envLayer reads PREFIX_* variables, mapping each to its key. Variables with
// the prefix that name no key are errors (with a did-you-mean).
func envLayer(prefix string, environ, keys []string) (layer, []error) {
	l := layer{name: "env", origin: map[string]string{}}
	byEnv := make(map[string]string, len(keys))
	names := make([]string, 0, len(keys))
	for _, k := range keys {
		byEnv[envName(prefix, k)] = k
		names = append(names, envName(prefix, k))
	}
	flat := map[string]any{}
	var errs []error
	for _, kv := range environ {
		name, value, ok := strings.Cut(kv, "=")
		if !ok || !strings.HasPrefix(name, prefix) {
			continue
		}
		k, known := byEnv[name]
		if !known {
			msg := fmt.Sprintf("unknown environment variable %s (prefix %s is reserved for this program's config)", name, prefix)
			if s := didYouMean(name, names); s != "" {
				msg += fmt.Sprintf("; did you mean %s?", s)
			}
			errs = append(errs, errors.New(msg))
			continue
		}
		flat[k] = value
		l.origin[k] = "env " + name
	}
	k := koanf.New(".")
	_ = k.Load(flatProvider(flat), nil)
	l.values = k.All()
	return l, errs
}

// flagLayer reads the flags the user set whose names are config keys.
func flagLayer(fs *flag.FlagSet, keys []string) layer {
	l := layer{name: "flags", origin: map[string]string{}, values: map[string]any{}}
	byFlag := make(map[string]string, len(keys))
	for _, k := range keys {
		byFlag[flagName(k)] = k
	}
	fs.Visit(func(f *flag.Flag) {
		if k, ok := byFlag[f.Name]; ok {
			l.values[k] = f.Value.String()
			l.origin[k] = "flag --" + f.Name
		}
	})
	return l
}

func unknownKey(k, origin string, keys []string) error {
	msg := fmt.Sprintf("unknown key %s in %s", k, origin)
	if s := didYouMean(k, keys); s != "" {
		msg += fmt.Sprintf("; did you mean %s?", s)
	} else {
		msg += "; known keys: " + strings.Join(keys, ", ")
	}
	return errors.New(msg)
}

// badValue says what was wrong with a value, never showing a secret.
func badValue(f field, raw any, origin string, err error) error {
	if origin == "" {
		origin = "default"
	}
	if f.secret {
		return fmt.Errorf("%s (from %s): invalid secret value (not shown): %v", f.key, origin, err)
	}
	return fmt.Errorf("%s = %s (from %s): %v", f.key, describe(raw), origin, err)
}

func howToSet(f field, opts Options) string {
	var ways []string
	if opts.EnvPrefix != "" {
		ways = append(ways, envName(opts.EnvPrefix, f.key))
	}
	if opts.Flags != nil && opts.Flags.Lookup(flagName(f.key)) != nil {
		ways = append(ways, "--"+flagName(f.key))
	}
	ways = append(ways, f.key+" in a config file")
	return strings.Join(ways, " or ")
}

// joinErrors prefixes the list so the first line says how many problems.
func joinErrors(errs []error) error {
	if len(errs) == 1 {
		return fmt.Errorf("config: %w", errs[0])
	}
	return fmt.Errorf("config: %d problems:\n  %w", len(errs), indented(errs))
}

type indentedErrors []error

func indented(errs []error) error { return indentedErrors(errs) }

func (e indentedErrors) Error() string {
	lines := make([]string, len(e))
	for i, err := range e {
		lines[i] = err.Error()
	}
	return strings.Join(lines, "\n  ")
}

func (e indentedErrors) Unwrap() []error { return e }

func isProfile(p string) bool { return contains(Profiles, p) }

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
