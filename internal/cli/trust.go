package cli

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/golocal/golocal/internal/devcert"
	"github.com/golocal/golocal/internal/term"
)

const trustLong = `Create and show golocal's local certificate authority, the CA behind
"golocal dev --https", and make browsers and phones trust it.

The CA (ECDSA P-256) may only sign development names: localhost and
*.localhost, *.local, *.test, and loopback, private (RFC 1918, fc00::/7) and
link-local addresses. It lives in $GOLOCAL_CA_DIR, else golocal/ca in your
user configuration directory, with its key readable by you alone.

  golocal trust               create the CA if needed and show it
  golocal trust --install     add it to the system store and to the NSS
                              databases of Chromium and Firefox
  golocal trust --uninstall   remove it from those stores (the files stay)
  golocal trust --phone       serve it on the LAN behind a QR code, with the
                              steps for Android and iOS, for --phone-time

Commands that need root are printed, not run, unless golocal runs as root.

Exit codes: 0 done (or commands printed to run with sudo), 1 a store could
not be changed or the CA is unusable, 2 usage error.`

type trustFlags struct {
	install, uninstall, phone bool
	stores                    string
	addr                      string
	phoneTime                 time.Duration
}

func newTrustCmd(env *Env) *cobra.Command {
	var f trustFlags
	cmd := &cobra.Command{
		Use:   "trust",
		Short: "Create the local CA for HTTPS in development and make browsers and phones trust it",
		Long:  trustLong,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runTrust(cmd.Context(), env, f)
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&f.install, "install", false, "install the CA into the system trust store and the NSS databases of Chromium and Firefox")
	fl.BoolVar(&f.uninstall, "uninstall", false, "remove the CA from the trust stores (its files are kept)")
	fl.BoolVar(&f.phone, "phone", false, "serve the CA certificate on the LAN for a phone, behind a QR code")
	fl.StringVar(&f.stores, "stores", "system,nss", "which stores --install and --uninstall change: system, nss, or both")
	fl.StringVar(&f.addr, "addr", "", "address for --phone (default: the LAN address, a free port)")
	fl.DurationVar(&f.phoneTime, "phone-time", devcert.DefaultPhoneLimit, "how long --phone serves before it stops by itself")
	return cmd
}

func runTrust(ctx context.Context, env *Env, f trustFlags) error {
	if n := countTrue(f.install, f.uninstall, f.phone); n > 1 {
		return usageErrorf("--install, --uninstall and --phone are separate steps; give one at a time")
	}
	if f.phoneTime <= 0 || f.phoneTime > 24*time.Hour {
		return usageErrorf("--phone-time %s: give a duration between 1s and 24h, such as 10m", f.phoneTime)
	}
	stores, err := parseStores(f.stores)
	if err != nil {
		return err
	}
	dir, err := devcert.Dir(env.Getenv)
	if err != nil {
		return withCode(ExitFailure, err)
	}
	ca, created, err := devcert.Open(dir)
	if err != nil {
		return withCode(ExitFailure, err)
	}
	p := term.Palette{Enabled: env.Color}
	switch {
	case f.install, f.uninstall:
		return trustStores(ctx, env, p, ca, f.install, stores)
	case f.phone:
		return trustPhone(ctx, env, p, ca, f)
	}
	showCA(env, p, ca, created)
	return nil
}

func countTrue(bs ...bool) int {
	n := 0
	for _, b := range bs {
		if b {
			n++
		}
	}
	return n
}

func parseStores(s string) (map[string]bool, error) {
	stores := map[string]bool{}
	for _, name := range strings.Split(s, ",") {
		name = strings.TrimSpace(name)
		if name != "system" && name != "nss" {
			return nil, usageErrorf("--stores %q: %q is not a store; use system, nss or system,nss", s, name)
		}
		stores[name] = true
	}
	return stores, nil
}

func showCA(env *Env, p term.Palette, ca *devcert.CA, created bool) {
	w := env.Stdout
	state := ""
	if created {
		state = p.Green(" (created now)")
	}
	c := ca.Certificate()
	fmt.Fprintf(w, "%s\n", p.Bold(c.Subject.CommonName))
	fmt.Fprintf(w, "  Directory:   %s%s\n", ca.Dir(), state)
	fmt.Fprintf(w, "  Certificate: %s\n", ca.CertPath())
	fmt.Fprintf(w, "  SHA-256:     %s\n", ca.Fingerprint())
	fmt.Fprintf(w, "  Valid until: %s\n", c.NotAfter.Format(time.DateOnly))
	fmt.Fprintf(w, "  May sign:    %s\n", strings.Join(append(slices.Clone(devcert.PermittedDNS), devcert.PermittedIPRanges...), " "))
	fmt.Fprintf(w, "Next: %s   trust it in this machine's browsers\n", p.Cyan("golocal trust --install"))
	fmt.Fprintf(w, "      %s     trust it on a phone on this network\n", p.Cyan("golocal trust --phone"))
	fmt.Fprintf(w, "      %s  serve your app over HTTPS with it\n", p.Cyan("golocal dev --https"))
}

func trustStores(ctx context.Context, env *Env, p term.Palette, ca *devcert.CA, install bool, stores map[string]bool) error {
	home := env.Getenv("HOME")
	if home == "" {
		home, _ = os.UserHomeDir()
	}
	in := &devcert.Installer{CA: ca, GOOS: runtime.GOOS, Home: home, Privileged: os.Geteuid() == 0, LookPath: exec.LookPath,
		NoSystem: !stores["system"], NoNSS: !stores["nss"]}
	var results []devcert.Result
	if install {
		results = in.Install(ctx)
	} else {
		results = in.Uninstall(ctx)
	}
	verb := map[bool]string{true: "installed", false: "removed"}[install]
	failed, sudo := false, false
	shown := 0
	for _, r := range results {
		shown++
		switch {
		case r.Err != nil:
			failed = true
			fmt.Fprintf(env.Stdout, "%s %s: %v\n", p.Red("✗"), r.Store, r.Err)
		case r.Done:
			fmt.Fprintf(env.Stdout, "%s %s: %s\n", p.Green("✓"), r.Store, verb)
		default:
			sudo = true
			fmt.Fprintf(env.Stdout, "%s %s: needs root; run:\n", p.Yellow("!"), r.Store)
			for _, c := range r.Commands {
				fmt.Fprintf(env.Stdout, "    %s\n", c)
			}
		}
	}
	if shown == 0 {
		fmt.Fprintf(env.Stdout, "%s no trust store found to change (NSS databases appear when Chromium or Firefox first start)\n", p.Yellow("!"))
	}
	if install && !failed {
		hint := "restart browsers so they read the store again"
		if sudo {
			hint = "after running the commands above, " + hint
		}
		fmt.Fprintf(env.Stdout, "%s %s: %s\n", p.Dim("CA"), ca.Fingerprint(), hint)
	}
	if failed {
		return failure()
	}
	return nil
}

func trustPhone(ctx context.Context, env *Env, p term.Palette, ca *devcert.CA, f trustFlags) error {
	addr := f.addr
	if addr == "" {
		ip := term.LANAddress()
		if ip == "" {
			return withCode(ExitFailure, fmt.Errorf("no LAN address found (is Wi-Fi or Ethernet up?); connect to the phone's network, or give --addr HOST:PORT"))
		}
		addr = net.JoinHostPort(ip, "0")
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return withCode(ExitFailure, fmt.Errorf("--phone: %w; give a free address with --addr", err))
	}
	url := "http://" + ln.Addr().String() + "/"
	ps := &devcert.PhoneServer{CA: ca, Limit: f.phoneTime, OnDownload: func(r *http.Request) {
		fmt.Fprintf(env.Stdout, "%s downloaded by %s\n", p.Green("✓"), r.RemoteAddr)
	}}
	fmt.Fprintf(env.Stdout, "Open on the phone (same network): %s\n", p.Cyan(url))
	term.QR(env.Stdout, url)
	fmt.Fprintf(env.Stdout, "Compare on the phone: SHA-256 %s\n", ca.Fingerprint())
	fmt.Fprintf(env.Stdout, "Android: install the downloaded file under Settings → Security → Encryption & credentials → Install a certificate → CA certificate.\n")
	fmt.Fprintf(env.Stdout, "iOS: Settings → General → VPN & Device Management → install the profile, then Settings → General → About → Certificate Trust Settings → enable full trust.\n")
	fmt.Fprintf(env.Stdout, "%s\n", p.Dim("Stops by itself at "+time.Now().Add(f.phoneTime).Format("15:04:05")+" (in "+f.phoneTime.String()+"); Ctrl-C stops it now."))
	if err := ps.Serve(ctx, ln); err != nil {
		return withCode(ExitFailure, err)
	}
	fmt.Fprintf(env.Stdout, "Stopped serving the CA (%s download%s).\n", strconv.FormatInt(ps.Downloads(), 10), map[bool]string{true: "", false: "s"}[ps.Downloads() == 1])
	return nil
}
