// Package config loads a service's typed configuration in layers, each
// overriding the one before:
//
//	struct defaults < profile defaults < file (YAML, TOML, JSON) < environment < flags
//
// A configuration is a plain struct. Field keys come from the `config` tag
// (or the field name in snake_case); nested structs give dotted keys
// ("db.max_open"), embedded structs add their fields at the same level. Tags:
//
//	config:"name"     the key (env PREFIX_NAME, flag --name)
//	secret:"true"     never printed: redacted in Dump and in every error
//	required:"true"   an empty value after all layers is an error
//	oneof:"a b c"     the value must be one of these words
//	help:"…"          used by RegisterFlags
//
// Profiles (local, dev, staging, prod) choose defaults. Embed [Base] to get
// golocal's: secure cookies, HSTS, fault injection and log level per profile,
// plus GOGC and GOMEMLIMIT applied with runtime/debug by [Base.ApplyRuntime].
// The profile comes from Options.Profile, else the --profile flag, else
// PREFIX_PROFILE (or GOLOCAL_PROFILE, which `golocal dev` sets), else the
// file, else "prod": a forgotten setting fails safe.
//
// Every error names the key, the layer it came from and, unless the field is
// secret, the bad value; an unknown key is an error with a did-you-mean, so a
// typo never silently falls back to a default. Load ends by calling the
// struct's Validate method if it has one.
package config
