package release

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// dockerOrSkip skips without a Docker daemon, and fails instead when
// GOLOCAL_REQUIRE_DOCKER=1 (CI).
func dockerOrSkip(t *testing.T) {
	t.Helper()
	out, err := exec.Command("docker", "info", "--format", "{{.ServerVersion}}").CombinedOutput()
	if err == nil {
		return
	}
	msg := fmt.Sprintf("no Docker daemon: %v %s", err, strings.TrimSpace(string(out)))
	if os.Getenv("GOLOCAL_REQUIRE_DOCKER") == "1" {
		t.Fatal(msg + " (GOLOCAL_REQUIRE_DOCKER=1)")
	}
	t.Skip(msg)
}

func docker(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command("docker", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("docker %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// TestOrdersImageInDocker loads the release tarball into Docker and runs it
// the way a hardened cluster would: read-only root, non-root user, its own
// network; /readyz answers 200 and docker stop ends it within the grace.
func TestOrdersImageInDocker(t *testing.T) {
	dockerOrSkip(t)
	a := ordersArtifact(t)
	tar := filepath.Join(t.TempDir(), "orders.tar")
	if err := a.WriteTarball(tar); err != nil {
		t.Fatal(err)
	}
	image := a.Ref.String()
	docker(t, "load", "-i", tar)
	t.Cleanup(func() { exec.Command("docker", "rmi", "-f", image).Run() })
	suffix := fmt.Sprintf("%d-%d", os.Getpid(), time.Now().UnixNano()%1e6)
	network := "golocal-release-" + suffix
	docker(t, "network", "create", network)
	t.Cleanup(func() { exec.Command("docker", "network", "rm", network).Run() })
	name := "golocal-orders-" + suffix
	args := []string{"run", "-d", "--name", name, "--network", network, "--read-only", "--tmpfs", "/tmp",
		"--user", "65532:65532", "-p", "127.0.0.1::8080"}
	for _, e := range ordersEnv("0.0.0.0:8080") {
		args = append(args, "-e", e)
	}
	docker(t, append(args, image)...)
	t.Cleanup(func() { exec.Command("docker", "rm", "-f", name).Run() })
	hostPort := docker(t, "port", name, "8080/tcp")
	hostPort = strings.Fields(hostPort)[0]
	alive := func() error {
		if s := docker(t, "inspect", "-f", "{{.State.Status}}", name); s != "running" {
			logs, _ := exec.Command("docker", "logs", name).CombinedOutput()
			return fmt.Errorf("container %s; logs:\n%s", s, logs)
		}
		return nil
	}
	waitReady(t, "http://"+hostPort+"/readyz", 60*time.Second, alive)
	start := time.Now()
	docker(t, "stop", "-t", "20", name)
	took := time.Since(start)
	code := docker(t, "inspect", "-f", "{{.State.ExitCode}}", name)
	t.Logf("docker stop took %s, exit code %s", took.Round(time.Millisecond), code)
	if code != "0" || took > 15*time.Second {
		logs, _ := exec.Command("docker", "logs", name).CombinedOutput()
		t.Errorf("docker stop: exit %s after %s, want 0 within the 5s grace (+ margin); logs:\n%s", code, took, logs)
	}
}
