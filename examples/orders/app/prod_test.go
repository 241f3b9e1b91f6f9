package app

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestProdWithoutSessionKeys runs the built command as `go run
// ./examples/orders` would, with no configuration: the default profile is
// prod, which has no generated session key, so the command must exit 1 at
// once with one line that names the variable to set, how to make a key, and
// the dev profile for trying it locally. The dev profile itself starting is
// what every other process test does.
func TestProdWithoutSessionKeys(t *testing.T) {
	bin := buildService(t)
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "ORDERS_") && !strings.HasPrefix(kv, "GOLOCAL_PROFILE=") && !strings.HasPrefix(kv, "DATABASE_URL=") {
			env = append(env, kv)
		}
	}
	cmd := exec.Command(bin)
	cmd.Env = env
	cmd.Dir = t.TempDir() // a data folder must not even be created
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("exit: %v, want status 1\nstderr: %s", err, stderr.String())
	}
	msg := stderr.String()
	for _, want := range []string{
		"orders: config: session_keys is required in the prod profile",
		"set ORDERS_SESSION_KEYS to a base64 32-byte key (openssl rand -base64 32)",
		"set ORDERS_PROFILE=dev",
		"golocal dev",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("message lacks %q:\n%s", want, msg)
		}
	}
	if strings.Count(strings.TrimSpace(msg), "\n") != 0 || stdout.Len() != 0 {
		t.Errorf("want one line on stderr and nothing on stdout; stderr:\n%s\nstdout:\n%s", msg, stdout.String())
	}
	if entries, _ := os.ReadDir(cmd.Dir); len(entries) != 0 {
		t.Errorf("the refused start left files behind: %v", entries)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("refusing took %v", d)
	}
}
