package verify

import (
	"fmt"
	"strings"
)

// CatalogMarkdown renders docs/verify.md from the registry; a test fails
// when the file in the repository differs.
func CatalogMarkdown() string {
	var b strings.Builder
	b.WriteString(`# golocal verify: the checklist

<!-- Generated from internal/verify by TestCatalogUpToDate; edit the checks, then run
     GOLOCAL_UPDATE_DOCS=1 go test ./internal/verify -run TestCatalogUpToDate -->

` + "`golocal verify [PKG]`" + ` builds the main package, runs it on a fresh loopback port
(PORT, GOLOCAL_PROFILE=prod unless --profile, the --env and --env-file variables, a fresh
temporary working directory) and runs the checks below against it; ` + "`golocal verify --url URL\n[--admin URL]`" + ` audits a running service, and the checks that must start, signal or read
the process report "not run". Required checks decide the exit status (0 all passed, 1 one
failed, 2 usage, 3 the service could not be built, started or reached); a failing
recommended check is a warning. The JSON report is described in [verify-json.md](verify-json.md).

Secrets: verify plants random values in VERIFY_CANARY_API_KEY, _PASSWORD, _TOKEN and in the
password of VERIFY_CANARY_DATABASE_URL, adds the secret-looking variables you pass (names
ending in KEY, KEYS, PASSWORD, TOKEN, SECRET, CREDENTIALS, and URL passwords), and, when the
service refuses to start because a secret is missing and names its variable, a random value for
it; none of these values may appear in logs, responses, debug endpoints or metrics.

`)
	for _, area := range Areas {
		fmt.Fprintf(&b, "## %s\n\n| id | severity | why | fix | reference |\n|---|---|---|---|---|\n", area)
		for _, c := range Checks() {
			if c.Area != area {
				continue
			}
			fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s |\n", c.ID, c.Severity(), cell(c.Why), cell(c.Fix), cell(c.Reference))
		}
		b.WriteString("\n")
	}
	return b.String()
}

func cell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
