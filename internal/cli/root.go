// Package cli implements the golocal command line. Each subcommand lives in
// its own file (dev.go, probe.go, port.go, version.go) and only parses flags
// and prints results; the work happens in the library and internal packages.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/spf13/cobra"

	"github.com/golocal/golocal/internal/term"
)

// Env is what a command may touch of the outside world. Tests build their own
// so that the whole CLI runs in-process with a fake environment.
type Env struct {
	Getenv func(string) string
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	// Color reports whether output to Stdout may use ANSI colour: only on a
	// terminal and never when NO_COLOR is set (https://no-color.org).
	Color bool
}

const rootLong = `golocal takes a Go web service from "go run" to a service that every browser
accepts and production trusts.

  golocal dev [PKG]       hot reload that never drops a request
  golocal probe URL       curl-grade timings plus a linter of what browsers reject
  golocal port [PORT...]  who holds a port, and the next free one
  golocal verify [PKG]    production-readiness audit that starts, loads and signals the service
  golocal release [PKG]   reproducible signed OCI image with SBOM and provenance
  golocal sbom BINARY     CycloneDX or SPDX SBOM of a Go binary
  golocal vuln [PKG]      known vulnerabilities your code reaches, first
  golocal trust           local CA for HTTPS in development; trust it in browsers and phones
  golocal deploy k8s [PKG] Kubernetes manifests and tested alerts from the service's own facts
  golocal canary [PKG]    two versions side by side, routed like production, judged by statistics

Exit codes:
  0  ok
  1  the command ran and found a failure (a finding, a taken port, a failed check)
  2  usage error (unknown flag, bad value)
  3  probe: the request could not be made or failed (unusable URL, DNS, refused, TLS, timeout);
     verify: the service could not be built, started or reached;
     canary: a version could not be built or started

Environment:
  NO_COLOR  disables colour (colour is only ever used on a terminal)
  PORT      the default port for commands that serve`

// Run runs the golocal command line with args (without the program name) and
// returns the process exit code. It never panics on bad input: errors are
// printed to stderr with what to do about them.
func Run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) int {
	env := &Env{
		Getenv: getenv,
		Stdin:  stdin,
		Stdout: stdout,
		Stderr: stderr,
		Color:  term.ColorEnabled(stdout, getenv),
	}
	root := newRootCmd(env)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err != nil {
		var ee *exitError
		if !errors.As(err, &ee) || ee.err != nil {
			fmt.Fprintf(stderr, "golocal: %v\n", err)
		}
		if !errors.As(err, &ee) && isUsage(err) {
			fmt.Fprintln(stderr, "Run 'golocal --help' for usage.")
			return ExitUsage
		}
	}
	return exitCode(err)
}

// isUsage recognises cobra's own argument and flag errors, which it returns
// as plain errors.
func isUsage(err error) bool {
	msg := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand flag", "flag needs an argument", "invalid argument", "accepts ", "requires at least", "requires at most", "requires exactly", "bad flag syntax"} {
		if strings.Contains(msg, p) {
			return true
		}
	}
	return false
}

func newRootCmd(env *Env) *cobra.Command {
	root := &cobra.Command{
		Use:           "golocal",
		Short:         "From go run to a service every browser accepts and production trusts",
		Long:          rootLong,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return usageErrorf("%s; see '%s --help'", cleanFlagError(err), cmd.CommandPath())
	})
	root.AddCommand(
		newVersionCmd(env),
		newPortCmd(env),
		newProbeCmd(env),
		newDevCmd(env),
		newVerifyCmd(env),
		newReleaseCmd(env),
		newSBOMCmd(env),
		newVulnCmd(env),
		newTrustCmd(env),
		newDeployCmd(env),
		newCanaryCmd(env),
	)
	// Writers first: cobra's completion command captures the writer when it
	// is created.
	root.SetIn(env.Stdin)
	root.SetOut(env.Stdout)
	root.SetErr(env.Stderr)
	root.InitDefaultCompletionCmd()
	return root
}

// strconvDetail matches what pflag passes on from strconv, e.g.
// `strconv.ParseInt: parsing "abc": invalid syntax`.
var strconvDetail = regexp.MustCompile(`strconv\.Parse(\w+): parsing "(?:[^"\\]|\\.)*": (invalid syntax|value out of range)`)

// cleanFlagError rewrites pflag's parse errors in words: "want an integer"
// instead of a Go function name.
func cleanFlagError(err error) string {
	return strconvDetail.ReplaceAllStringFunc(err.Error(), func(m string) string {
		sub := strconvDetail.FindStringSubmatch(m)
		what := map[string]string{"Int": "an integer", "Uint": "a non-negative integer", "Float": "a number", "Bool": "true or false", "Duration": "a duration such as 300ms or 2s"}[sub[1]]
		if what == "" {
			what = "a " + strings.ToLower(sub[1])
		}
		if sub[2] == "value out of range" {
			return "out of range for " + what
		}
		return "want " + what
	})
}
