package config

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"runtime/debug"
	"strconv"
	"strings"
)

// Base holds the settings every golocal service has. Embed it in your
// configuration struct; its defaults follow the profile:
//
//	              local   dev     staging  prod
//	log_level     debug   debug   info     info
//	secure_cookies false  false   true     true
//	hsts          false   false   true     true
//	fault_injection off everywhere; allowed only in local and dev
type Base struct {
	// Profile is local, dev, staging or prod (see the package doc for where
	// it comes from).
	Profile string `config:"profile" help:"deployment profile: local, dev, staging or prod"`
	// LogLevel is debug, info, warn or error.
	LogLevel string `config:"log_level" oneof:"debug info warn error" help:"log level: debug, info, warn or error"`
	// SecureCookies marks cookies Secure (and __Host- prefixed by session).
	SecureCookies bool `config:"secure_cookies" help:"mark cookies Secure"`
	// HSTS sends Strict-Transport-Security over TLS.
	HSTS bool `config:"hsts" help:"send Strict-Transport-Security over TLS"`
	// FaultInjection enables the development fault middleware; refused in
	// staging and prod.
	FaultInjection bool `config:"fault_injection" help:"enable request fault injection (local and dev only)"`
	// GOGC is the garbage collector's target percentage, "off", or empty to
	// keep the runtime's (and the GOGC environment variable's) choice.
	GOGC string `config:"gogc" help:"GC target percentage, or off"`
	// GOMEMLIMIT is a soft memory limit such as 512MiB or 2GiB, or empty.
	GOMEMLIMIT string `config:"gomemlimit" help:"soft memory limit, e.g. 512MiB"`
}

// Dev reports whether the profile relaxes production defaults (local, dev).
func (b Base) Dev() bool { return b.Profile == "local" || b.Profile == "dev" }

var baseType = reflect.TypeFor[Base]()

// memoryUnits are GOMEMLIMIT's units (runtime package docs) plus decimal ones.
var memoryUnits = map[string]float64{
	"": 1, "B": 1,
	"KiB": 1 << 10, "MiB": 1 << 20, "GiB": 1 << 30, "TiB": 1 << 40,
	"KB": 1e3, "MB": 1e6, "GB": 1e9, "TB": 1e12,
}

func baseProfileDefaults(profile string) map[string]any {
	dev := profile == "local" || profile == "dev"
	level := "info"
	if dev {
		level = "debug"
	}
	return map[string]any{
		"log_level":       level,
		"secure_cookies":  !dev,
		"hsts":            !dev,
		"fault_injection": false,
	}
}

// hasBase reports whether t embeds Base (directly, at the top level).
func hasBase(t reflect.Type) bool {
	for i := 0; i < t.NumField(); i++ {
		if f := t.Field(i); f.Anonymous && f.Type == baseType && f.Tag.Get("config") == "" {
			return true
		}
	}
	return false
}

// validateBase checks the embedded Base, if any, even when the outer struct
// has a Validate method of its own that would shadow Base's.
func validateBase(root reflect.Value) error {
	if !hasBase(root.Type()) {
		return nil
	}
	b := root.FieldByIndex(func() []int {
		for i := 0; i < root.NumField(); i++ {
			if root.Type().Field(i).Type == baseType {
				return []int{i}
			}
		}
		return nil
	}()).Interface().(Base)
	return b.validate()
}

func (b Base) validate() error {
	if b.FaultInjection && !b.Dev() {
		return fmt.Errorf("config: fault_injection is on under profile %s: it is for local and dev only; turn it off or use profile dev", b.Profile)
	}
	if _, err := ParseGOGC(b.GOGC); err != nil {
		return fmt.Errorf("config: gogc = %q: %v", b.GOGC, err)
	}
	if _, err := ParseMemory(b.GOMEMLIMIT); err != nil {
		return fmt.Errorf("config: gomemlimit = %q: %v", b.GOMEMLIMIT, err)
	}
	return nil
}

// ApplyRuntime sets the garbage collector's percentage and the soft memory
// limit from GOGC and GOMEMLIMIT when they are set, and reports what it did.
func (b Base) ApplyRuntime() (string, error) {
	var did []string
	if b.GOGC != "" {
		pct, err := ParseGOGC(b.GOGC)
		if err != nil {
			return "", fmt.Errorf("gogc = %q: %v", b.GOGC, err)
		}
		debug.SetGCPercent(pct)
		did = append(did, "GOGC="+b.GOGC)
	}
	if b.GOMEMLIMIT != "" {
		n, err := ParseMemory(b.GOMEMLIMIT)
		if err != nil {
			return "", fmt.Errorf("gomemlimit = %q: %v", b.GOMEMLIMIT, err)
		}
		debug.SetMemoryLimit(n)
		did = append(did, "GOMEMLIMIT="+b.GOMEMLIMIT)
	}
	return strings.Join(did, " "), nil
}

// ParseGOGC reads a GOGC value: a percentage ≥ 0 or "off" (-1). Empty is 100.
func ParseGOGC(s string) (int, error) {
	s = strings.TrimSpace(s)
	switch strings.ToLower(s) {
	case "":
		return 100, nil
	case "off":
		return -1, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, errors.New(`want a percentage ≥ 0 (100 is the default) or "off"`)
	}
	return n, nil
}

// ParseMemory reads a size in the GOMEMLIMIT syntax: a number of bytes with
// an optional unit B, KiB, MiB, GiB, TiB (powers of 1024) or KB, MB, GB, TB
// (powers of 1000), or "off" (no limit). Empty means no limit.
func ParseMemory(s string) (int64, error) {
	s = strings.TrimSpace(s)
	if s == "" || strings.EqualFold(s, "off") {
		return math.MaxInt64, nil
	}
	i := len(s)
	for i > 0 && (s[i-1] < '0' || s[i-1] > '9') {
		i--
	}
	num, unit := s[:i], strings.TrimSpace(s[i:])
	mult, ok := memoryUnits[unit]
	if !ok {
		return 0, fmt.Errorf("unknown unit %q: use B, KiB, MiB, GiB, TiB, KB, MB, GB or TB", unit)
	}
	x, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
	if err != nil || x < 0 || math.IsInf(x, 0) || math.IsNaN(x) {
		return 0, errors.New("want a size like 512MiB or 2GiB")
	}
	v := x * mult
	if v >= math.MaxInt64 {
		return 0, errors.New("size too large")
	}
	return int64(v), nil
}
