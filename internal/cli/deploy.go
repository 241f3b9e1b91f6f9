package cli

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/golocal/golocal/internal/deploy"
	"github.com/golocal/golocal/internal/verify"
)

const deployLong = `Write Kubernetes, Prometheus and Alertmanager artefacts that agree with the
service, from the service's own facts: the probe paths and ports, the admin
listener, the metric names and the measured SIGTERM→exit time that
'golocal verify' discovers (it builds and runs PKG, or reads --facts, a
saved 'golocal verify --json' report).

  golocal deploy k8s [PKG]   kustomize tree: deploy/base plus overlays/dev,
                             staging, prod; alert rules, their promtool tests,
                             an Alertmanager routing example, a Grafana dashboard
  golocal deploy canary [PKG] --header X-Env-Version=v2-canary [--weight 5]
                             canary Deployment plus Istio and Gateway API routes

Files go to --out (default PKG/deploy). A file changed by hand since golocal
deploy wrote it is not overwritten without --force: the command shows the
diff and writes nothing. A service without health endpoints gets no
manifests: the command says which probes it cannot write and why.

Reference: docs/deploy.md.

Exit status: 0 written; 1 hand edits in the way, or the facts lack what the
probes need; 2 usage error (unknown overlay, bad --slo); 3 the service could
not be built, started or reached.`

type deployFlags struct {
	facts, name, image, out, slo string
	overlays, env                []string
	port                         int32
	graceMargin                  time.Duration
	force                        bool
	policyKey, policyImage       string
}

// register adds the flags both subcommands share.
func (f *deployFlags) register(fl *pflag.FlagSet) {
	fl.StringVar(&f.facts, "facts", "", "read the facts from this `golocal verify --json` report instead of running the service")
	fl.StringVar(&f.name, "name", "", "name of the objects (default: the package folder's name)")
	fl.StringVar(&f.image, "image", "", "container image (default: the name; set it per overlay with kustomize images)")
	fl.StringVar(&f.out, "out", "", "folder to write (default PKG/deploy)")
	fl.Int32Var(&f.port, "port", 8080, "container port the service listens on (given to it as PORT)")
	fl.DurationVar(&f.graceMargin, "grace-margin", 10*time.Second, "added to the measured SIGTERM→exit time for terminationGracePeriodSeconds")
	fl.StringArrayVar(&f.env, "env", nil, "KEY=value given to the service while discovering facts (repeatable)")
	fl.BoolVar(&f.force, "force", false, "overwrite files changed by hand")
}

func newDeployCmd(env *Env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "deploy k8s|canary [PKG]",
		Short: "Kubernetes manifests, tiered alerts and canary routes from the service's own facts",
		Long:  deployLong,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return usageErrorf("give a subcommand: golocal deploy k8s [PKG]")
		},
	}
	cmd.AddCommand(newDeployK8sCmd(env), newDeployCanaryCmd(env))
	return cmd
}

func newDeployK8sCmd(env *Env) *cobra.Command {
	var f deployFlags
	cmd := &cobra.Command{
		Use:   "k8s [PKG]",
		Short: "Write the kustomize tree, alert rules and dashboard for PKG",
		Long:  deployLong,
		Example: `  golocal deploy k8s ./examples/orders
  golocal verify ./cmd/web --json > verify.json && golocal deploy k8s ./cmd/web --facts verify.json
  golocal deploy k8s . --overlays staging,prod --slo availability=99.95,latency=250ms@p99`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			pkg := "."
			if len(args) == 1 {
				pkg = args[0]
			}
			return runDeployK8s(cmd, env, pkg, f)
		},
	}
	fl := cmd.Flags()
	f.register(fl)
	fl.StringSliceVar(&f.overlays, "overlays", deploy.OverlayNames(), "overlays to write: config profiles dev, staging, prod")
	fl.StringVar(&f.slo, "slo", deploy.DefaultSLO.String(), "objectives the alerts defend: availability=PERCENT,latency=DURATION@pPERCENTILE")
	fl.StringVar(&f.policyKey, "policy-key", "", "cosign public key (golocal release keygen's cosign.pub): the prod overlay admits only images it signed")
	fl.StringVar(&f.policyImage, "policy-image", "", "image glob the signature policy covers, e.g. 'registry.example/orders**' (with --policy-key)")
	return cmd
}

// deployOptions checks the flags before any slow discovery runs.
func (f deployFlags) options(pkg string) (deploy.Options, string, error) {
	var o deploy.Options
	overlays, err := deploy.SelectOverlays(f.overlays)
	if err != nil {
		return o, "", usageErrorf("--overlays: %v", err)
	}
	slo, err := deploy.ParseSLO(f.slo)
	if err != nil {
		return o, "", usageErrorf("--slo: %v", err)
	}
	abs, err := filepath.Abs(pkg)
	if err != nil {
		return o, "", err
	}
	o = deploy.Options{Name: f.name, Image: f.image, AppPort: f.port, Overlays: overlays, SLO: slo, GraceMargin: f.graceMargin}
	if o.Policy, err = f.policy(); err != nil {
		return o, "", err
	}
	if o.Name == "" {
		o.Name = strings.ToLower(filepath.Base(abs))
	}
	out := f.out
	if out == "" {
		out = filepath.Join(pkg, "deploy")
	}
	return o, out, nil
}

// policy reads --policy-key and --policy-image, which go together.
func (f deployFlags) policy() (*deploy.ImagePolicy, error) {
	if (f.policyKey == "") != (f.policyImage == "") {
		return nil, usageErrorf("--policy-key and --policy-image go together: the key of golocal release and the image glob it signs")
	}
	if f.policyKey == "" {
		return nil, nil
	}
	key, err := os.ReadFile(f.policyKey)
	if err != nil {
		return nil, usageErrorf("--policy-key: %v", err)
	}
	return &deploy.ImagePolicy{ImageGlob: f.policyImage, PublicKeyPEM: string(key)}, nil
}

func runDeployK8s(cmd *cobra.Command, env *Env, pkg string, f deployFlags) error {
	opts, out, err := f.options(pkg)
	if err != nil {
		return err
	}
	if opts.Facts, err = deployFacts(cmd, env, pkg, f); err != nil {
		return err
	}
	tree, err := deploy.Generate(opts)
	if err != nil {
		return deployError(err)
	}
	for _, n := range deploy.Notes(opts.Facts) {
		fmt.Fprintf(env.Stderr, "deploy: note: %s\n", n)
	}
	return writeDeployTree(env, out, tree, deploy.WriteOptions{Force: f.force, Owns: deploy.K8sOwns})
}

// deployFacts reads --facts, or runs verify's discovery on pkg.
func deployFacts(cmd *cobra.Command, env *Env, pkg string, f deployFlags) (deploy.Facts, error) {
	if f.facts != "" {
		facts, err := deploy.ReadFacts(f.facts)
		if err != nil {
			return facts, usageErrorf("--facts: %v", err)
		}
		return facts, nil
	}
	dir, err := os.Getwd()
	if err != nil {
		return deploy.Facts{}, err
	}
	fmt.Fprintf(env.Stderr, "deploy: discovering the facts of %s with golocal verify (lifecycle, probes, admin)…\n", pkg)
	facts, err := deploy.Discover(cmd.Context(), verify.Options{Package: pkg, Dir: dir, Env: f.env})
	var se *verify.StartError
	if errors.As(err, &se) {
		return facts, withCode(ExitRequestFailed, err)
	}
	return facts, err
}

func deployError(err error) error {
	var mp *deploy.MissingProbesError
	if errors.As(err, &mp) {
		return withCode(ExitFailure, err)
	}
	return usageErrorf("%v", err)
}

func writeDeployTree(env *Env, out string, tree deploy.Tree, wo deploy.WriteOptions) error {
	rep, err := deploy.Write(out, tree, wo)
	var he *deploy.HandEditError
	if errors.As(err, &he) {
		return withCode(ExitFailure, err)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "deploy: %s: %d written, %d unchanged, %d removed\n", out, len(rep.Written), len(rep.Unchanged), len(rep.Removed))
	for _, p := range rep.Written {
		fmt.Fprintf(env.Stdout, "  wrote %s\n", filepath.Join(out, filepath.FromSlash(p)))
	}
	for _, p := range rep.Removed {
		fmt.Fprintf(env.Stdout, "  removed %s\n", filepath.Join(out, filepath.FromSlash(p)))
	}
	return nil
}

const deployCanaryLong = `Write overlays/canary: the chosen overlay (default prod) plus a canary
Deployment whose version label is the header's value, its Service, an Istio
VirtualService and a Gateway API HTTPRoute (attached to the Service, the
GAMMA mesh pattern). Requests carrying the header reach the canary; --weight
percent of the others do too. The dashboard and alerts of 'golocal deploy
k8s' split by that version (the track label), so the canary shows beside the
stable version.

Facts and hand-edit handling are those of 'golocal deploy k8s'.`

type canaryFlags struct {
	deployFlags
	header, overlay string
	weight          int32
}

func newDeployCanaryCmd(env *Env) *cobra.Command {
	var f canaryFlags
	cmd := &cobra.Command{
		Use:   "canary [PKG] --header NAME=VALUE [--weight 5]",
		Short: "Canary Deployment plus Istio and Gateway API routes selected by a header",
		Long:  deployCanaryLong,
		Example: `  golocal deploy canary ./examples/orders --header X-Env-Version=v2-canary --weight 5
  curl -H 'X-Env-Version: v2-canary' http://orders/   # reaches the canary`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			pkg := "."
			if len(args) == 1 {
				pkg = args[0]
			}
			return runDeployCanary(cmd, env, pkg, f)
		},
	}
	fl := cmd.Flags()
	f.deployFlags.register(fl)
	fl.StringVar(&f.header, "header", "", "NAME=VALUE that routes a request to the canary; VALUE is its version label (required)")
	fl.Int32Var(&f.weight, "weight", 0, "percentage of the other requests the canary gets (0-100)")
	fl.StringVar(&f.overlay, "overlay", "prod", "the overlay the canary runs beside")
	return cmd
}

func runDeployCanary(cmd *cobra.Command, env *Env, pkg string, f canaryFlags) error {
	if f.header == "" {
		return usageErrorf("--header NAME=VALUE is required, e.g. --header X-Env-Version=v2-canary")
	}
	name, value, err := deploy.ParseCanaryHeader(f.header)
	if err != nil {
		return usageErrorf("%v", err)
	}
	if f.weight < 0 || f.weight > 100 {
		return usageErrorf("--weight %d: want a percentage from 0 to 100", f.weight)
	}
	if _, err := deploy.SelectOverlays([]string{f.overlay}); err != nil {
		return usageErrorf("--overlay: %v", err)
	}
	opts, out, err := f.options(pkg)
	if err != nil {
		return err
	}
	if opts.Facts, err = deployFacts(cmd, env, pkg, f.deployFlags); err != nil {
		return err
	}
	tree, err := deploy.GenerateCanary(opts, deploy.Canary{Header: name, Value: value, Weight: f.weight, Overlay: f.overlay})
	if err != nil {
		return deployError(err)
	}
	return writeDeployTree(env, out, tree, deploy.WriteOptions{Force: f.force, Owns: deploy.CanaryOwns})
}
