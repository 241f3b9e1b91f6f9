package config_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/golocal/golocal/config"
)

type argsConfig struct {
	Addr string `config:"addr"`
	DB   struct {
		URL     string `config:"url" secret:"true"`
		MaxOpen int    `config:"max_open"`
	} `config:"db"`
	SessionKeys string `config:"session_keys" secret:"true"`
	Verbose     bool   `config:"verbose"`
}

func TestRedactArgs(t *testing.T) {
	const r = config.Redacted
	tests := []struct {
		name string
		cfg  any
		args []string
		want []string
	}{
		{"equals form", &argsConfig{}, []string{"app", "--db-url=postgres://u:pw@h/db", "--addr=:80"}, []string{"app", "--db-url=" + r, "--addr=:80"}},
		{"single dash", argsConfig{}, []string{"app", "-session-keys=k1,k2"}, []string{"app", "-session-keys=" + r}},
		{"separate value", &argsConfig{}, []string{"app", "-db-url", "pw", "-db-max-open", "4"}, []string{"app", "-db-url", r, "-db-max-open", "4"}},
		{"separate value that looks like a flag", &argsConfig{}, []string{"app", "--session-keys", "-secret-"}, []string{"app", "--session-keys", r}},
		{"empty value", &argsConfig{}, []string{"app", "--db-url="}, []string{"app", "--db-url=" + r}},
		{"value with equals", &argsConfig{}, []string{"app", "--db-url=a=b"}, []string{"app", "--db-url=" + r}},
		{"bool flag untouched", &argsConfig{}, []string{"app", "-verbose", "--addr", ":80"}, []string{"app", "-verbose", "--addr", ":80"}},
		{"stops at --", &argsConfig{}, []string{"app", "--", "--db-url=x"}, []string{"app", "--", "--db-url=x"}},
		{"after a subcommand", &argsConfig{}, []string{"app", "serve", "--db-url=x"}, []string{"app", "serve", "--db-url=" + r}},
		{"after another flag's separate value", &argsConfig{}, []string{"app", "-db-max-open", "4", "--db-url=x"}, []string{"app", "-db-max-open", "4", "--db-url=" + r}},
		{"after an unknown flag's value", &argsConfig{}, []string{"app", "-port", "80", "-db-url", "x"}, []string{"app", "-port", "80", "-db-url", r}},
		{"bool flag then secret", &argsConfig{}, []string{"app", "-verbose", "-db-url", "x"}, []string{"app", "-verbose", "-db-url", r}},
		{"flag at the end without a value", &argsConfig{}, []string{"app", "--db-url"}, []string{"app", "--db-url"}},
		{"triple dash is not our flag", &argsConfig{}, []string{"app", "---db-url=x"}, []string{"app", "---db-url=x"}},
		{"no config: every value hidden", nil, []string{"app", "--addr=:80", "-token", "t0k", "-v", "-x"}, []string{"app", "--addr=" + r, "-token", r, "-v", "-x"}},
		{"map config: every value hidden", map[string]any{"db": "x"}, []string{"app", "--db-url=x"}, []string{"app", "--db-url=" + r}},
		{"program name only", &argsConfig{}, []string{"app"}, []string{"app"}},
		{"nothing", &argsConfig{}, nil, nil},
		{"lone dash", &argsConfig{}, []string{"app", "-", "--db-url=x"}, []string{"app", "-", "--db-url=" + r}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := slices.Clone(tt.args)
			got := config.RedactArgs(tt.cfg, tt.args)
			if !slices.Equal(got, tt.want) {
				t.Errorf("RedactArgs(%q) = %q, want %q", tt.args, got, tt.want)
			}
			if !slices.Equal(in, tt.args) {
				t.Errorf("RedactArgs modified its input: %q", tt.args)
			}
		})
	}
}

func FuzzRedactArgs(f *testing.F) {
	f.Add("app\x00--db-url=secret\x00-x")
	f.Add("app\x00-session-keys\x00--db-url=secret")
	f.Add("app\x00-port\x0080\x00serve\x00-db-url=s")
	f.Fuzz(func(t *testing.T, joined string) {
		args := strings.Split(joined, "\x00")
		got := config.RedactArgs(&argsConfig{}, args)
		if len(got) != len(args) {
			t.Fatalf("%d args in, %d out", len(args), len(got))
		}
		// Before "--", a secret flag with its value attached is redacted,
		// or taken whole as the value of a secret flag before it.
		for i := 1; i < len(args) && args[i] != "--"; i++ {
			for _, p := range []string{"-db-url=", "--db-url=", "-session-keys=", "--session-keys="} {
				if strings.HasPrefix(args[i], p) && got[i] != p+config.Redacted && got[i] != config.Redacted {
					t.Fatalf("RedactArgs(%q)[%d] = %q", args, i, got[i])
				}
			}
		}
	})
}
