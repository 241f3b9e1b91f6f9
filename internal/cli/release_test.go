package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// releaseRepo is a one-commit repository with a tiny main package.
func releaseRepo(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{"go.mod": "module example.com/tiny\n\ngo 1.26\n", "main.go": "package main\n\nfunc main() {}\n"}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, args := range [][]string{{"init", "-q"}, {"add", "."}, {"-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "tiny"}} {
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	return dir
}

func TestReleaseCommands(t *testing.T) {
	keys := t.TempDir()
	prefix := filepath.Join(keys, "cosign")
	pw := map[string]string{"COSIGN_PASSWORD": "right"}
	if code, out, errs := runCLI(t, pw, "release", "keygen", "--output-key-prefix", prefix); code != 0 || !strings.Contains(out, "cosign.pub") {
		t.Fatalf("keygen: %d %q %q", code, out, errs)
	}
	repo := releaseRepo(t)
	notGo := filepath.Join(keys, "cosign.pub")
	for _, tc := range []struct {
		name string
		env  map[string]string
		args []string
		code int
		want string
	}{
		{"keygen refuses to overwrite", pw, []string{"release", "keygen", "--output-key-prefix", prefix}, 1, "already exists"},
		{"keygen without password", nil, []string{"release", "keygen", "--output-key-prefix", filepath.Join(keys, "x")}, 1, "COSIGN_PASSWORD"},
		{"no image", nil, []string{"release", "-C", repo}, 2, "--image is required"},
		{"bad platform", nil, []string{"release", "-C", repo, "--image", "x/y", "--platform", "darwin/arm64"}, 2, "only linux"},
		{"wrong password", map[string]string{"COSIGN_PASSWORD": "wrong"}, []string{"release", "-C", repo, "--image", "x/y", "--key", prefix + ".key"}, 1, "wrong password"},
		{"missing key", pw, []string{"release", "-C", repo, "--image", "x/y", "--key", filepath.Join(keys, "none.key")}, 1, "keygen"},
		{"not a repository", nil, []string{"release", "-C", keys, "--image", "x/y"}, 1, "go list"},
		{"unreachable registry", pw, []string{"release", "-C", repo, "--image", "127.0.0.1:1/tiny:v1", "--key", prefix + ".key", "--push", "--out", filepath.Join(keys, "dist")}, 1, "nothing was pushed"},
		{"sbom of a non-Go file", nil, []string{"sbom", notGo}, 1, "Go binary"},
		{"sbom bad format", nil, []string{"sbom", "--format", "xml", notGo}, 2, "cyclonedx or spdx"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errs := runCLI(t, tc.env, tc.args...)
			if code != tc.code || !strings.Contains(errs, tc.want) {
				t.Errorf("exit %d, stderr %q (stdout %q); want exit %d saying %q", code, errs, out, tc.code, tc.want)
			}
			if strings.Contains(out, "pushed ") {
				t.Errorf("reported a push: %q", out)
			}
		})
	}
}
