package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/golocal/golocal/internal/term"
	"github.com/golocal/golocal/internal/verify"
)

const verifyLong = `Audit a service for production: build the main package PKG (like dev does),
run it on a fresh loopback port in the prod profile (or --profile), and run a
checklist against it that starts it, pushes on it and reads what it does:
SIGTERM under load, probes under load, logs (JSON, trace ids, planted
secrets), hostile input, slowloris, body and header caps, admin and metrics,
runtime and build settings, and refusal to start without secrets.

With --url the service is already running (and --admin names its admin
listener); checks that must start, signal or read the process are then
reported as not run.

The checklist with the reason and reference of each check: docs/verify.md.
Output: a checklist by area, --json (docs/verify-json.md, with the measured
SIGTERM→exit drain time and the discovered probe paths and ports) or
--format junit.

Exit status: 0 every required check that ran passed; 1 a required check
failed; 2 usage error; 3 the service could not be built, started or reached
(its output is shown).`

type verifyFlags struct {
	url, admin, profile string
	binary              string
	env, envFiles       []string
	buildFlags          []string
	only, skip          []string
	startTimeout, grace time.Duration
	asJSON, list        bool
	format              string
}

func newVerifyCmd(env *Env) *cobra.Command {
	var f verifyFlags
	cmd := &cobra.Command{
		Use:   "verify [PKG] | --url URL [--admin URL]",
		Short: "Production-readiness audit that exercises the running service",
		Long:  verifyLong,
		Example: `  golocal verify ./examples/orders
  golocal verify ./cmd/web --env-file prod.env --json > verify.json
  golocal verify --url http://127.0.0.1:8080 --admin http://127.0.0.1:9090
  golocal verify . --only lifecycle,logs --skip logs.requests`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if f.list {
				return listChecks(env)
			}
			opts, format, err := f.options(cmd, args)
			if err != nil {
				return err
			}
			if format == "text" {
				opts.Progress = func(c verify.Check) {
					fmt.Fprintf(env.Stderr, "verify: %s\n", c.ID)
				}
			}
			rep, err := verify.Run(cmd.Context(), opts)
			var se *verify.StartError
			if errors.As(err, &se) {
				return withCode(ExitRequestFailed, err)
			}
			if err != nil {
				return usageErrorf("%v", err)
			}
			switch format {
			case "json":
				enc := json.NewEncoder(env.Stdout)
				enc.SetIndent("", "  ")
				err = enc.Encode(rep)
			case "junit":
				err = verify.WriteJUnit(env.Stdout, rep)
			default:
				err = verify.WriteText(env.Stdout, rep, term.Palette{Enabled: env.Color})
			}
			if err != nil {
				return fmt.Errorf("writing the report: %w", err)
			}
			if rep.ExitCode != 0 {
				return failure()
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.url, "url", "", "audit the service running at this URL instead of building PKG")
	fl.StringVar(&f.binary, "binary", "", "run this executable (the one you ship) instead of building PKG")
	fl.StringVar(&f.admin, "admin", "", "with --url: the service's admin listener, e.g. http://127.0.0.1:9090")
	fl.StringVar(&f.profile, "profile", "prod", "profile given to the service (GOLOCAL_PROFILE): local, dev, staging or prod")
	fl.StringArrayVar(&f.env, "env", nil, "KEY=value for the service's environment (repeatable)")
	fl.StringArrayVar(&f.envFiles, "env-file", nil, "file of KEY=value lines for the service's environment (repeatable)")
	fl.StringArrayVar(&f.buildFlags, "build-flag", nil, "extra go build flag, e.g. --build-flag=-tags=prod (repeatable; -trimpath is always given)")
	fl.StringSliceVar(&f.only, "only", nil, "run only these check ids or areas (comma-separated)")
	fl.StringSliceVar(&f.skip, "skip", nil, "skip these check ids or areas (comma-separated)")
	fl.DurationVar(&f.startTimeout, "start-timeout", 30*time.Second, "how long the service may take to listen")
	fl.DurationVar(&f.grace, "grace", 30*time.Second, "the stop budget: SIGTERM→exit must fit (Kubernetes' default terminationGracePeriodSeconds)")
	fl.BoolVar(&f.asJSON, "json", false, "print the report as JSON (same as --format json)")
	fl.StringVar(&f.format, "format", "text", "output format: text, json or junit")
	fl.BoolVar(&f.list, "list", false, "list the checks (id, area, severity) and exit")
	return cmd
}

func (f *verifyFlags) options(cmd *cobra.Command, args []string) (verify.Options, string, error) {
	var o verify.Options
	format := strings.ToLower(f.format)
	if f.asJSON {
		if cmd.Flags().Changed("format") && format != "json" {
			return o, "", usageErrorf("--json and --format %s disagree; use one", f.format)
		}
		format = "json"
	}
	switch format {
	case "text", "json", "junit":
	default:
		return o, "", usageErrorf("--format %q: use text, json or junit", f.format)
	}
	switch {
	case f.binary != "" && (len(args) > 0 || f.url != ""):
		return o, "", usageErrorf("--binary runs a built service: give no package and no --url with it")
	case f.url != "" && len(args) > 0:
		return o, "", usageErrorf("give a package or --url, not both (got %s and --url %s)", args[0], f.url)
	case f.admin != "" && f.url == "":
		return o, "", usageErrorf("--admin goes with --url; when verify runs the package it finds the admin listener itself")
	case f.startTimeout <= 0 || f.grace <= 0:
		return o, "", usageErrorf("--start-timeout and --grace must be positive durations such as 30s")
	}
	switch f.profile {
	case "local", "dev", "staging", "prod":
	default:
		return o, "", usageErrorf("--profile %q: use local, dev, staging or prod", f.profile)
	}
	for _, path := range f.envFiles {
		kvs, err := verify.ReadEnvFile(path)
		if err != nil {
			return o, "", usageErrorf("--env-file %v", err)
		}
		o.Env = append(o.Env, kvs...)
	}
	for _, kv := range f.env {
		v, err := verify.ParseEnv(kv)
		if err != nil {
			return o, "", usageErrorf("--env %v", err)
		}
		o.Env = append(o.Env, v)
	}
	if len(args) > 0 {
		o.Package = args[0]
	}
	dir, err := os.Getwd()
	if err != nil {
		return o, "", err
	}
	o.Dir, o.URL, o.AdminURL, o.Profile, o.Binary = dir, f.url, f.admin, f.profile, f.binary
	o.BuildFlags, o.StartTimeout, o.Grace = f.buildFlags, f.startTimeout, f.grace
	o.Selection = verify.Selection{Only: f.only, Skip: f.skip}
	if err := o.Selection.Validate(); err != nil {
		return o, "", usageErrorf("--only/--skip: %v", err)
	}
	return o, format, nil
}

func listChecks(env *Env) error {
	for _, c := range verify.Checks() {
		fmt.Fprintf(env.Stdout, "%-40s %-10s %s\n", c.ID, c.Area, c.Severity())
	}
	return nil
}
