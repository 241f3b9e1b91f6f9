package cli

import (
	"path/filepath"
	"strings"
	"testing"
)

func TestVulnCommand(t *testing.T) {
	t.Setenv("GOFLAGS", "-mod=vendor")
	t.Setenv("GOPROXY", "off")
	app, _ := filepath.Abs("../vuln/testdata/app")
	db, _ := filepath.Abs("../vuln/testdata/osv")
	for _, tc := range []struct {
		name      string
		args      []string
		code      int
		out, errs string
	}{
		{"reachable fails", []string{"vuln", "-C", app, "--db", db}, 1, "called   GO-2099-0001", "at or above --fail-on called"},
		{"none passes", []string{"vuln", "-C", app, "--db", db, "--fail-on", "none"}, 0, "imported GO-2099-0002", ""},
		{"bad level", []string{"vuln", "-C", app, "--db", db, "--fail-on", "high"}, 2, "", "--fail-on"},
		{"missing db", []string{"vuln", "-C", app, "--db", filepath.Join(t.TempDir(), "nodb")}, 1, "", "OSV layout"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errs := runCLI(t, nil, tc.args...)
			if code != tc.code || !strings.Contains(out, tc.out) || !strings.Contains(errs, tc.errs) {
				t.Errorf("exit %d\nstdout %s\nstderr %s\nwant exit %d, %q, %q", code, out, errs, tc.code, tc.out, tc.errs)
			}
		})
	}
}
