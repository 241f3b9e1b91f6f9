package config

import (
	"bytes"
	"encoding/json"
	"flag"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

type DB struct {
	URL     string        `config:"url" secret:"true"`
	MaxOpen int           `config:"max_open"`
	Timeout time.Duration `config:"timeout"`
}

type App struct {
	Base
	Addr        string   `config:"addr"`
	Port        int      `config:"port"`
	Origins     []string `config:"origins"`
	DB          DB       `config:"db"`
	SessionKeys string   `config:"session_keys" secret:"true" required:"true"`
	Mode        string   `config:"mode" oneof:"fast safe"`
	Ratio       float64  `config:"ratio"`
}

func defaults() App {
	return App{Addr: "127.0.0.1:8080", Port: 8080, DB: DB{MaxOpen: 10, Timeout: 5 * time.Second}, Mode: "safe"}
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

const secret = "s3cr3t-Value-Never-Shown"

func TestLayers(t *testing.T) {
	file := writeFile(t, "app.yaml", "port: 9000\naddr: 127.0.0.1:9000\ndb:\n  max_open: 20\n  timeout: 2s\norigins: [https://a.test, https://b.test]\n")
	fs := flag.NewFlagSet("app", flag.ContinueOnError)
	cfg := defaults()
	if err := RegisterFlags(fs, &cfg); err != nil {
		t.Fatal(err)
	}
	if err := fs.Parse([]string{"--port", "9100", "--hsts=false"}); err != nil {
		t.Fatal(err)
	}
	res, err := Load(&cfg, Options{
		Files:     []string{file},
		EnvPrefix: "APP_",
		Environ:   []string{"APP_DB_MAX_OPEN=30", "APP_SESSION_KEYS=" + secret, "APP_PROFILE=staging", "OTHER=1"},
		Flags:     fs,
	})
	if err != nil {
		t.Fatal(err)
	}
	want := App{
		Base:        Base{Profile: "staging", LogLevel: "info", SecureCookies: true, HSTS: false},
		Addr:        "127.0.0.1:9000",
		Port:        9100,
		Origins:     []string{"https://a.test", "https://b.test"},
		DB:          DB{MaxOpen: 30, Timeout: 2 * time.Second},
		SessionKeys: secret,
		Mode:        "safe",
	}
	if diff := cmp.Diff(want, cfg); diff != "" {
		t.Errorf("config (-want +got):\n%s", diff)
	}
	wantSources := map[string]string{
		"profile":         "env APP_PROFILE",
		"log_level":       "profile staging",
		"secure_cookies":  "profile staging",
		"hsts":            "flag --hsts",
		"fault_injection": "profile staging",
		"addr":            "file " + file,
		"port":            "flag --port",
		"origins":         "file " + file,
		"db.max_open":     "env APP_DB_MAX_OPEN",
		"db.timeout":      "file " + file,
		"session_keys":    "env APP_SESSION_KEYS",
	}
	if diff := cmp.Diff(wantSources, res.Sources); diff != "" {
		t.Errorf("sources (-want +got):\n%s", diff)
	}
}

func TestFormats(t *testing.T) {
	for name, content := range map[string]string{
		"c.yaml": "port: 7000\nsession_keys: k\n",
		"c.toml": "port = 7000\nsession_keys = \"k\"\n",
		"c.json": `{"port": 7000, "session_keys": "k"}`,
	} {
		t.Run(name, func(t *testing.T) {
			cfg := defaults()
			if _, err := Load(&cfg, Options{Files: []string{writeFile(t, name, content)}, Environ: []string{}}); err != nil {
				t.Fatal(err)
			}
			if cfg.Port != 7000 {
				t.Errorf("port %d", cfg.Port)
			}
		})
	}
}

func TestProfiles(t *testing.T) {
	tests := []struct {
		env     []string
		opt     string
		profile string
		secure  bool
		level   string
	}{
		{nil, "", "prod", true, "info"},
		{[]string{"APP_PROFILE=local"}, "", "local", false, "debug"},
		{[]string{"GOLOCAL_PROFILE=dev"}, "", "dev", false, "debug"},
		{[]string{"GOLOCAL_PROFILE=dev", "APP_PROFILE=staging"}, "", "staging", true, "info"},
		{[]string{"APP_PROFILE=local"}, "prod", "prod", true, "info"},
	}
	for _, tt := range tests {
		cfg := defaults()
		env := append([]string{"APP_SESSION_KEYS=k"}, tt.env...)
		res, err := Load(&cfg, Options{EnvPrefix: "APP_", Environ: env, Profile: tt.opt})
		if err != nil {
			t.Fatalf("%v: %v", tt.env, err)
		}
		if res.Profile != tt.profile || cfg.Profile != tt.profile || cfg.SecureCookies != tt.secure || cfg.LogLevel != tt.level {
			t.Errorf("%v %q: got profile %s secure %v level %s", tt.env, tt.opt, cfg.Profile, cfg.SecureCookies, cfg.LogLevel)
		}
	}
}

func TestProgramProfileDefaults(t *testing.T) {
	cfg := defaults()
	_, err := Load(&cfg, Options{
		Environ:         []string{"GOLOCAL_PROFILE=dev"},
		ProfileDefaults: map[string]map[string]any{"dev": {"db.max_open": 2, "session_keys": "dev-only"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.DB.MaxOpen != 2 || cfg.SessionKeys != "dev-only" {
		t.Errorf("profile defaults not applied: %+v", cfg.DB)
	}
}

// TestBadInput covers every kind of bad input the issue names; each error
// must name the key, the layer and what to do.
func TestBadInput(t *testing.T) {
	tests := []struct {
		name  string
		file  [2]string
		env   []string
		opts  Options
		wants []string
	}{
		{"unknown key with suggestion", [2]string{"c.yaml", "prot: 80\nsession_keys: k\n"}, nil, Options{},
			[]string{"unknown key prot in file", "did you mean port?"}},
		{"unknown env var", [2]string{}, []string{"APP_SESSION_KEYS=k", "APP_DB_MAXOPEN=3"}, Options{EnvPrefix: "APP_"},
			[]string{"unknown environment variable APP_DB_MAXOPEN", "did you mean APP_DB_MAX_OPEN?"}},
		{"wrong type", [2]string{"c.yaml", "port: \"eighty\"\nsession_keys: k\n"}, nil, Options{},
			[]string{`port = "eighty" (from file`, "want a whole number"}},
		{"out of range", [2]string{}, []string{"APP_SESSION_KEYS=k", "APP_PORT=99999999999999999999"}, Options{EnvPrefix: "APP_"},
			[]string{"port =", "from env APP_PORT", "fits in int"}},
		{"bad duration", [2]string{}, []string{"APP_SESSION_KEYS=k", "APP_DB_TIMEOUT=5"}, Options{EnvPrefix: "APP_"},
			[]string{`db.timeout = "5" (from env APP_DB_TIMEOUT): want a duration`}},
		{"list for scalar", [2]string{"c.yaml", "port: [1, 2]\nsession_keys: k\n"}, nil, Options{},
			[]string{"port", "got a list"}},
		{"table for scalar", [2]string{"c.yaml", "addr: {a: 1}\nsession_keys: k\n"}, nil, Options{},
			[]string{"unknown key addr.a", "did you mean addr?"}},
		{"missing required secret", [2]string{}, []string{}, Options{EnvPrefix: "APP_"},
			[]string{"missing required secret session_keys: set APP_SESSION_KEYS"}},
		{"unknown profile", [2]string{}, []string{"APP_PROFILE=production"}, Options{EnvPrefix: "APP_"},
			[]string{`unknown profile "production" (from env APP_PROFILE)`, "local, dev, staging, prod"}},
		{"oneof", [2]string{}, []string{"APP_SESSION_KEYS=k", "APP_MODE=turbo"}, Options{EnvPrefix: "APP_"},
			[]string{`mode = "turbo" (from env APP_MODE): want one of fast, safe`}},
		{"fault injection in prod", [2]string{}, []string{"APP_SESSION_KEYS=k", "APP_FAULT_INJECTION=true"}, Options{EnvPrefix: "APP_"},
			[]string{"fault_injection is on under profile prod"}},
		{"fault injection in staging", [2]string{}, []string{"APP_SESSION_KEYS=k", "APP_PROFILE=staging", "APP_FAULT_INJECTION=true"}, Options{EnvPrefix: "APP_"},
			[]string{"fault_injection is on under profile staging"}},
		{"negative gogc", [2]string{}, []string{"APP_SESSION_KEYS=k", "APP_GOGC=-1"}, Options{EnvPrefix: "APP_"},
			[]string{`gogc = "-1"`, "want a percentage ≥ 0"}},
		{"bad gomemlimit", [2]string{}, []string{"APP_SESSION_KEYS=k", "APP_GOMEMLIMIT=lots"}, Options{EnvPrefix: "APP_"},
			[]string{`gomemlimit = "lots"`, "unknown unit"}},
		{"missing file", [2]string{}, nil, Options{Files: []string{"/nonexistent/app.yaml"}},
			[]string{"config file /nonexistent/app.yaml", "no such file"}},
		{"unknown format", [2]string{"c.ini", "port=1"}, nil, Options{},
			[]string{`unknown format ".ini"`}},
		{"syntax error", [2]string{"c.yaml", "port: [unclosed\n"}, nil, Options{},
			[]string{"config file", "c.yaml"}},
		{"invalid utf8 and control bytes", [2]string{"c.json", "{\"po\xffrt\x01\": 1}"}, nil, Options{},
			[]string{"config file"}},
		{"several problems at once", [2]string{}, []string{"APP_PORT=x", "APP_RATIO=NaN"}, Options{EnvPrefix: "APP_"},
			[]string{"problems:", "port =", "ratio =", "missing required secret"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := tt.opts
			if tt.file[0] != "" {
				opts.Files = append(opts.Files, writeFile(t, tt.file[0], tt.file[1]))
			}
			opts.Environ = tt.env
			if opts.Environ == nil {
				opts.Environ = []string{}
			}
			cfg := defaults()
			_, err := Load(&cfg, opts)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.wants {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

// TestSecretNeverShown sets a secret through the environment and checks every
// output: the dump, error messages (including a bad secret value) and logs.
func TestSecretNeverShown(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, nil))

	cfg := defaults()
	env := []string{"APP_SESSION_KEYS=" + secret, "APP_DB_URL=postgres://u:" + secret + "@127.0.0.1/db", "APP_PORT=bad"}
	_, err := Load(&cfg, Options{EnvPrefix: "APP_", Environ: env})
	if err == nil {
		t.Fatal("want an error for APP_PORT=bad")
	}
	logger.Error("config failed", "error", err)

	cfg = defaults()
	env = env[:2]
	res, err := Load(&cfg, Options{EnvPrefix: "APP_", Environ: env})
	if err != nil {
		t.Fatal(err)
	}
	dump := Dump(&cfg)
	logger.Info("config", "config", dump, "sources", res.Sources)
	js, _ := json.Marshal(dump)
	if !strings.Contains(string(js), Redacted) {
		t.Errorf("dump does not show the redaction marker: %s", js)
	}

	// A secret with a bad value: the error must not echo it.
	type withIntSecret struct {
		Pin int `config:"pin" secret:"true"`
	}
	var s withIntSecret
	_, perr := Load(&s, Options{EnvPrefix: "X_", Environ: []string{"X_PIN=" + secret}})
	if perr == nil || !strings.Contains(perr.Error(), "not shown") {
		t.Fatalf("want a not-shown error, got %v", perr)
	}
	var flagOut bytes.Buffer
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	fs.SetOutput(&flagOut)
	cfg.SessionKeys = secret
	if err := RegisterFlags(fs, &cfg); err != nil {
		t.Fatal(err)
	}
	fs.PrintDefaults()

	for name, out := range map[string]string{"error": err2s(perr) + err2s(err), "logs": logs.String(), "dump": string(js), "flag help": flagOut.String()} {
		if strings.Contains(out, secret) {
			t.Errorf("secret leaked in %s: %s", name, out)
		}
	}
}

func err2s(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestDump(t *testing.T) {
	cfg := defaults()
	cfg.SessionKeys = "x"
	got := Dump(cfg)
	db := got["db"].(map[string]any)
	if db["url"] != "" || db["timeout"] != "5s" || db["max_open"] != 10 || got["session_keys"] != Redacted {
		t.Errorf("dump %v", got)
	}
	if len(Dump(42)) != 0 {
		t.Error("Dump of a non-struct must be empty")
	}
}

func TestLoadRejectsNonStruct(t *testing.T) {
	var n int
	for _, dst := range []any{nil, n, &n, App{}} {
		if _, err := Load(dst, Options{}); err == nil || !strings.Contains(err.Error(), "pointer to a struct") {
			t.Errorf("Load(%T) = %v", dst, err)
		}
	}
	type bad struct {
		Ch chan int
	}
	if _, err := Load(&bad{}, Options{}); err == nil || !strings.Contains(err.Error(), "not supported") {
		t.Errorf("unsupported type: %v", err)
	}
}

func TestParseMemory(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		err  bool
	}{
		{"", math.MaxInt64, false}, {"off", math.MaxInt64, false}, {"1024", 1024, false},
		{"512MiB", 512 << 20, false}, {"1.5GiB", 3 << 29, false}, {"2GB", 2e9, false}, {" 10 KiB ", 10 << 10, false},
		{"lots", 0, true}, {"-1MiB", 0, true}, {"1XB", 0, true}, {"MiB", 0, true}, {"1e400", 0, true}, {"99999999999TiB", 0, true},
	}
	for _, tt := range tests {
		got, err := ParseMemory(tt.in)
		if (err != nil) != tt.err || (!tt.err && got != tt.want) {
			t.Errorf("ParseMemory(%q) = %d, %v", tt.in, got, err)
		}
	}
}

func TestParseGOGC(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want int
		err  bool
	}{
		{"", 100, false}, {"off", -1, false}, {" OFF ", -1, false}, {"0", 0, false}, {"250", 250, false},
		{"-1", 0, true}, {"-5", 0, true}, {"abc", 0, true}, {"50%", 0, true}, {"1e3", 0, true},
	} {
		got, err := ParseGOGC(tt.in)
		if (err != nil) != tt.err || (!tt.err && got != tt.want) {
			t.Errorf("ParseGOGC(%q) = %d, %v; want %d, error %v", tt.in, got, err, tt.want, tt.err)
		}
	}
}

// TestDevProfiles: only local and dev relax the production defaults.
func TestDevProfiles(t *testing.T) {
	for profile, want := range map[string]bool{"local": true, "dev": true, "staging": false, "prod": false, "": false} {
		if got := (Base{Profile: profile}).Dev(); got != want {
			t.Errorf("Base{Profile: %q}.Dev() = %v, want %v", profile, got, want)
		}
	}
}

func TestApplyRuntime(t *testing.T) {
	defer func() {
		// restore what the test changed
		_, _ = Base{GOGC: "100", GOMEMLIMIT: "off"}.ApplyRuntime()
	}()
	did, err := Base{GOGC: "200", GOMEMLIMIT: "1GiB"}.ApplyRuntime()
	if err != nil || did != "GOGC=200 GOMEMLIMIT=1GiB" {
		t.Fatalf("%q %v", did, err)
	}
	if _, err := (Base{GOGC: "-5"}).ApplyRuntime(); err == nil {
		t.Error("GOGC=-5 accepted")
	}
}

func TestSnake(t *testing.T) {
	for in, want := range map[string]string{"MaxOpenConns": "max_open_conns", "HTTPAddr": "http_addr", "URL": "url", "A": "a", "DBURL": "dburl"} {
		if got := snake(in); got != want {
			t.Errorf("snake(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzParseMemory(f *testing.F) {
	for _, s := range []string{"512MiB", "1.5GiB", "off", "", "-1", "1e400TiB", "\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseMemory(s)
		if err == nil && n < 0 {
			t.Fatalf("negative size %d from %q", n, s)
		}
	})
}

func FuzzLoadFile(f *testing.F) {
	f.Add([]byte("port: 1\ndb:\n  max_open: 2\n"))
	f.Add([]byte("port: [\n"))
	f.Add([]byte("\xff\xfe: {a: [1, {b: 2}]}"))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(dir, "fuzz.yaml")
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Skip()
		}
		cfg := defaults()
		_, _ = Load(&cfg, Options{Files: []string{p}, Environ: []string{}})
	})
}
