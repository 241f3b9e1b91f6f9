package cli

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/golocal/golocal/internal/vuln"
)

const vulnLong = `Run govulncheck's analysis on the packages of PKG (default ./...) or on a Go
BINARY, against a vulnerability database: --db takes a URL or a local
folder in the OSV layout (index/db.json, index/modules.json, ID/<id>.json),
so it works offline with a mirrored copy; without --db, the public Go
vulnerability database.

Vulnerabilities are reported most reachable first: called (a vulnerable
symbol is reachable from your code), imported (the package is linked, the
symbol is not reached), required (only the module is in the build list).

Exit status: 1 when a vulnerability is at or above --fail-on (default
called: reachable ones only; none never fails), 2 on bad input.`

func newVulnCmd(env *Env) *cobra.Command {
	var (
		db, failOn, dir string
		asJSON          bool
	)
	cmd := &cobra.Command{
		Use:   "vuln [PKG|BINARY]",
		Short: "Known vulnerabilities that your code reaches, first",
		Long:  vulnLong,
		Example: `  golocal vuln ./...
  golocal vuln --db ./vulndb --fail-on imported ./examples/orders
  golocal vuln dist/orders --json`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			level, err := vuln.ParseLevel(failOn)
			if err != nil {
				return usageErrorf("--fail-on %v", err)
			}
			target := "./..."
			if len(args) == 1 {
				target = args[0]
			}
			r, err := vuln.Scan(cmd.Context(), vuln.Options{Dir: dir, Target: target, DB: db})
			if err != nil {
				return err
			}
			if asJSON {
				enc := json.NewEncoder(env.Stdout)
				enc.SetIndent("", "  ")
				if err := enc.Encode(r); err != nil {
					return err
				}
			} else {
				r.WriteText(env.Stdout)
			}
			if r.Fails(level) {
				fmt.Fprintf(env.Stderr, "golocal vuln: a vulnerability is at or above --fail-on %s\n", level)
				return failure()
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&db, "db", "", "vulnerability database: URL or local folder (OSV layout)")
	fl.StringVar(&failOn, "fail-on", "called", "exit 1 at or above: called, imported, required, none")
	fl.StringVarP(&dir, "dir", "C", "", "run as if started in this folder")
	fl.BoolVar(&asJSON, "json", false, "print the report as JSON")
	return cmd
}
