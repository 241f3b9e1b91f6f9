package devloop

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/pelletier/go-toml/v2"
)

// ConfigFileName is the optional project file golocal dev reads from the
// module root. Every key is optional; flags override it.
const ConfigFileName = "golocal.toml"

// Config is the content of golocal.toml:
//
//	package = "./cmd/web"          # main package (default: . or the only ./cmd/*)
//	addr = "127.0.0.1:8080"        # user-facing address of the dev front
//	args = ["-v"]                  # arguments for the app
//
//	[watch]
//	roots = ["."]                  # folders to watch, relative to the module root
//	extensions = ["go", "html"]    # replaces the default list
//	exclude = ["dist", "*.gen.go"] # added to the built-in excludes and .gitignore
//
//	[build]
//	flags = ["-race"]
//	tags = ["dev"]
//	debug = true                   # keep DWARF and symbols (no -ldflags=-s -w)
//
//	[env]
//	DATABASE_URL = "postgres://localhost/dev"
type Config struct {
	Package string            `toml:"package"`
	Addr    string            `toml:"addr"`
	Args    []string          `toml:"args"`
	Watch   WatchConfig       `toml:"watch"`
	Build   BuildConfig       `toml:"build"`
	Env     map[string]string `toml:"env"`
}

// WatchConfig is the [watch] table of golocal.toml.
type WatchConfig struct {
	Roots      []string `toml:"roots"`
	Extensions []string `toml:"extensions"`
	Exclude    []string `toml:"exclude"`
}

// BuildConfig is the [build] table of golocal.toml.
type BuildConfig struct {
	Flags []string `toml:"flags"`
	Tags  []string `toml:"tags"`
	Debug bool     `toml:"debug"`
}

// LoadConfig reads path. A missing file is not an error: it returns a zero
// Config and found=false.
func LoadConfig(path string) (cfg Config, found bool, err error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return Config{}, false, nil
	}
	if err != nil {
		return Config{}, false, err
	}
	cfg, err = ParseConfig(data)
	if err != nil {
		return Config{}, true, fmt.Errorf("%s: %w", path, err)
	}
	return cfg, true, nil
}

// ParseConfig parses golocal.toml content. Unknown keys are errors (a typo
// should not be silently ignored) and so are values that cannot be right:
// an empty extension, an absolute or escaping watch root, an env name with
// "=".
func ParseConfig(data []byte) (Config, error) {
	var cfg Config
	dec := toml.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cfg); err != nil {
		return Config{}, describeTOMLError(err)
	}
	for _, e := range cfg.Watch.Extensions {
		if strings.Trim(e, ". ") == "" || strings.ContainsAny(e, "/\\*") {
			return Config{}, fmt.Errorf("watch.extensions: %q is not a file extension; write them like \"go\" or \"html\"", e)
		}
	}
	for _, r := range cfg.Watch.Roots {
		if r == "" {
			return Config{}, errors.New("watch.roots: empty folder name; use \".\" for the module root")
		}
	}
	for k := range cfg.Env {
		if k == "" || strings.ContainsAny(k, "=\x00") {
			return Config{}, fmt.Errorf("env: %q is not a valid environment variable name", k)
		}
	}
	for _, f := range cfg.Build.Flags {
		if f == "-o" || strings.HasPrefix(f, "-o=") {
			return Config{}, errors.New("build.flags: -o is chosen by golocal dev (it builds each version into a fresh file); remove it")
		}
	}
	return cfg, nil
}

func describeTOMLError(err error) error {
	var strict *toml.StrictMissingError
	if errors.As(err, &strict) && len(strict.Errors) > 0 {
		var keys []string
		for _, e := range strict.Errors {
			keys = append(keys, strings.Join(e.Key(), "."))
		}
		row, _ := strict.Errors[0].Position()
		return fmt.Errorf("line %d: unknown key %s (known: package, addr, args, [watch] roots/extensions/exclude, [build] flags/tags/debug, [env])", row, strings.Join(keys, ", "))
	}
	var de *toml.DecodeError
	if errors.As(err, &de) {
		row, col := de.Position()
		return fmt.Errorf("line %d column %d: %s", row, col, de.Error())
	}
	return err
}
