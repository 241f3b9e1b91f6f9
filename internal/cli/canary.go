package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/golocal/golocal/internal/canary"
	"github.com/golocal/golocal/internal/term"
)

const canaryLong = `Run two versions of a service side by side on loopback and judge, with
statistics, whether the new one is worse. The candidate is built from the
working tree; the baseline from a git ref (through a temporary git worktree,
removed afterwards) or taken as a built binary. Both start as under dev
(socket activation, readiness over sd_notify, each with its own admin
listener) behind one front on --addr that routes:

  --header NAME=VALUE  requests carrying the header go to the candidate
  --cookie NAME=VALUE  requests carrying the cookie go to the candidate
  --weight P           P percent of requests go to the candidate (default 50)
  --mirror             every request goes to both; the baseline answers and
                       the candidate's answer is compared (status, content
                       type, JSON bodies minus --ignore-field)

Every answer carries X-Golocal-Version: baseline|candidate. Traffic is yours
(a browser, curl; the run ends with Ctrl-C or after --duration) or
generated: --replay access.log (the kit's JSON access log) or --load RPS
--duration D --paths FILE. The page /__golocal/canary on the front shows the
latency distributions and the error rate over time.

Per route: latency p50/p95/p99, error rate (5xx and transport errors), a
Mann-Whitney U test with Cliff's delta and the Hodges-Lehmann shift, a
two-proportion test on errors; database pool and query time from each
version's /metrics. Thresholds and the report schema: docs/canary.md,
docs/canary-json.md.

Exit status: 0 pass (or marginal); 1 fail, or too little traffic for a
verdict; 2 usage error; 3 a version could not be built or started (its
compiler or program output is shown).`

type canaryRunFlags struct {
	baseline, addr           string
	header, cookie           string
	weight                   float64
	mirror                   bool
	replay, paths            string
	load                     float64
	duration                 time.Duration
	env, baseEnv, candEnv    []string
	adminEnv                 string
	ignore, buildFlags, args []string
	minSamples               int
	startTimeout             time.Duration
	asJSON                   bool
}

func newCanaryCmd(env *Env) *cobra.Command {
	var f canaryRunFlags
	cmd := &cobra.Command{
		Use:   "canary [PKG] --baseline REF|BINARY",
		Short: "Two versions side by side, routed like production, judged by statistics",
		Long:  canaryLong,
		Example: `  golocal canary ./cmd/web --baseline main --load 200 --duration 30s --paths paths.txt
  golocal canary . --baseline v1.4.0 --header X-Env-Version=canary
  golocal canary . --baseline ./bin/web-old --replay access.log --json > canary.json
  golocal canary . --baseline HEAD~1 --mirror --ignore-field created_at,id`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts, err := f.options(env, args)
			if err != nil {
				return err
			}
			rep, err := canary.Run(cmd.Context(), opts)
			if canary.IsSetupError(err) {
				return withCode(ExitRequestFailed, err)
			}
			if err != nil {
				return err
			}
			return writeCanary(env, rep, f.asJSON)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.baseline, "baseline", "", "the version to compare against: a git ref (branch, tag, commit) or the path of a built binary (required)")
	fl.StringVar(&f.addr, "addr", "127.0.0.1:8080", "the front's address")
	fl.StringVar(&f.header, "header", "", "route requests with this header to the candidate, as NAME=VALUE")
	fl.StringVar(&f.cookie, "cookie", "", "route requests with this cookie to the candidate, as NAME=VALUE")
	fl.Float64Var(&f.weight, "weight", 50, "percent of requests routed to the candidate at random")
	fl.BoolVar(&f.mirror, "mirror", false, "send every request to both, answer from the baseline, compare the answers")
	fl.StringVar(&f.replay, "replay", "", "replay the requests of this JSON access log (the kit's middleware.AccessLog lines)")
	fl.Float64Var(&f.load, "load", 0, "generate this many requests per second (with --paths and --duration; also paces --replay, default 100)")
	fl.DurationVar(&f.duration, "duration", 0, "how long to generate load, or without load how long to wait for traffic (0: until Ctrl-C)")
	fl.StringVar(&f.paths, "paths", "", "file of requests for --load, one a line: /path or METHOD /path")
	fl.StringArrayVar(&f.env, "env", nil, "KEY=value for both versions' environment (repeatable)")
	fl.StringArrayVar(&f.baseEnv, "baseline-env", nil, "KEY=value for the baseline only (repeatable)")
	fl.StringArrayVar(&f.candEnv, "candidate-env", nil, "KEY=value for the candidate only (repeatable)")
	fl.StringVar(&f.adminEnv, "admin-env", "", "the variable that sets the app's admin address (e.g. ORDERS_ADMIN_ADDR): each version gets a free loopback port in it")
	fl.StringSliceVar(&f.ignore, "ignore-field", nil, "JSON fields --mirror does not compare: a key at any depth (created_at) or a path ($.meta.id); comma-separated")
	fl.StringArrayVar(&f.buildFlags, "build-flag", nil, "extra go build flag for both versions (repeatable)")
	fl.StringArrayVar(&f.args, "arg", nil, "argument passed to both versions (repeatable)")
	fl.IntVar(&f.minSamples, "min-samples", canary.DefaultThresholds.MinSamples, "fewest requests per version and route for a verdict")
	fl.DurationVar(&f.startTimeout, "start-timeout", 30*time.Second, "how long each version may take to serve")
	fl.BoolVar(&f.asJSON, "json", false, "print the report as JSON (docs/canary-json.md)")
	return cmd
}

func (f *canaryRunFlags) options(env *Env, args []string) (canary.Options, error) {
	var o canary.Options
	if f.baseline == "" {
		return o, usageErrorf("--baseline is required: a git ref (main, v1.2.0, HEAD~1) or the path of a built binary")
	}
	routing, err := f.routing()
	if err != nil {
		return o, err
	}
	targets, err := f.targets()
	if err != nil {
		return o, err
	}
	if f.minSamples < 5 || f.startTimeout <= 0 || f.duration < 0 {
		return o, usageErrorf("--min-samples must be at least 5 (the test's normal approximation needs it), --start-timeout positive, --duration not negative")
	}
	for _, list := range [][]string{f.env, f.baseEnv, f.candEnv} {
		for _, kv := range list {
			if k, _, ok := strings.Cut(kv, "="); !ok || k == "" {
				return o, usageErrorf("environment entry %q: write KEY=value", kv)
			}
		}
	}
	dir, err := os.Getwd()
	if err != nil {
		return o, err
	}
	pkg := "."
	if len(args) > 0 {
		pkg = args[0]
	}
	t := canary.DefaultThresholds
	t.MinSamples = f.minSamples
	o = canary.Options{
		Build:   canary.BuildSpec{Dir: dir, Package: pkg, Baseline: f.baseline, Flags: f.buildFlags, Getenv: env.Getenv},
		Run:     canary.RunSpec{Env: os.Environ(), VersionEnv: [2][]string{f.baseEnv, f.candEnv}, AdminEnv: f.adminEnv, Args: f.args, ReadyTimeout: f.startTimeout},
		Routing: routing, Addr: f.addr, Targets: targets, RPS: f.load, IgnoreFields: f.ignore, Thresholds: t,
		Log: env.Stderr, Palette: term.Palette{Enabled: term.ColorEnabled(env.Stderr, env.Getenv)},
	}
	o.Run.Env = append(o.Run.Env, f.env...)
	if len(targets) > 0 {
		o.LoadDuration = f.duration
		if o.RPS == 0 {
			o.RPS = 100
		}
	} else {
		o.Duration = f.duration
	}
	if term.IsTerminal(env.Stderr) {
		o.Live = env.Stderr
	}
	return o, nil
}

// routing reads --header, --cookie, --weight and --mirror.
func (f *canaryRunFlags) routing() (canary.Routing, error) {
	chosen := 0
	for _, set := range []bool{f.header != "", f.cookie != "", f.mirror} {
		if set {
			chosen++
		}
	}
	if chosen > 1 {
		return canary.Routing{}, usageErrorf("choose one of --header, --cookie and --mirror")
	}
	if f.weight < 0 || f.weight > 100 {
		return canary.Routing{}, usageErrorf("--weight %v: give a percentage from 0 to 100", f.weight)
	}
	switch {
	case f.header != "":
		name, value, ok := strings.Cut(f.header, "=")
		if !ok || strings.TrimSpace(name) == "" || value == "" || strings.ContainsAny(name, " :\t") {
			return canary.Routing{}, usageErrorf("--header %q: write NAME=VALUE, e.g. --header X-Env-Version=canary", f.header)
		}
		return canary.Routing{Mode: canary.ByHeader, Name: name, Value: value}, nil
	case f.cookie != "":
		name, value, ok := strings.Cut(f.cookie, "=")
		if !ok || name == "" || value == "" || strings.ContainsAny(name, " ;=\t") {
			return canary.Routing{}, usageErrorf("--cookie %q: write NAME=VALUE, e.g. --cookie canary=1", f.cookie)
		}
		return canary.Routing{Mode: canary.ByCookie, Name: name, Value: value}, nil
	case f.mirror:
		return canary.Routing{Mode: canary.Mirror}, nil
	}
	return canary.Routing{Mode: canary.ByWeight, Weight: f.weight}, nil
}

// targets reads --replay or --paths.
func (f *canaryRunFlags) targets() ([]canary.Target, error) {
	switch {
	case f.replay != "" && f.paths != "":
		return nil, usageErrorf("--replay and --paths both give the requests; use one")
	case f.load < 0:
		return nil, usageErrorf("--load %v: give a positive request rate", f.load)
	case f.load > 0 && f.replay == "" && (f.paths == "" || f.duration == 0):
		return nil, usageErrorf("--load needs --paths FILE (the requests) and --duration D (how long)")
	case f.paths != "" && f.load == 0:
		return nil, usageErrorf("--paths goes with --load RPS and --duration D")
	}
	file, parse := f.replay, canary.ParseAccessLog
	if f.paths != "" {
		file, parse = f.paths, canary.ParsePaths
	}
	if file == "" {
		return nil, nil
	}
	r, err := os.Open(file)
	if err != nil {
		return nil, usageErrorf("%v", err)
	}
	defer r.Close()
	targets, err := parse(r)
	if err != nil {
		return nil, usageErrorf("%s: %v", file, err)
	}
	return targets, nil
}

// writeCanary prints the report and maps its verdict to the exit code.
func writeCanary(env *Env, rep canary.Report, asJSON bool) error {
	var err error
	if asJSON {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		err = enc.Encode(rep)
	} else {
		err = canary.WriteText(env.Stdout, rep, term.Palette{Enabled: env.Color})
	}
	if err != nil {
		return fmt.Errorf("writing the report: %w", err)
	}
	switch rep.Verdict {
	case canary.Pass, canary.Marginal:
		return nil
	}
	return failure()
}
