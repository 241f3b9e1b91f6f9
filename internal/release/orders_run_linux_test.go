package release

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/golocal/golocal/internal/sbom"
)

// ordersEnv is what the orders service needs to start in its prod profile
// on a read-only root: a session key, a writable data folder, an address.
func ordersEnv(addr string) []string {
	key := base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))
	return []string{"ORDERS_ADDR=" + addr, "ORDERS_SESSION_KEYS=" + key, "ORDERS_DATA_DIR=/tmp/data", "ORDERS_ADMIN_ADDR=off", "ORDERS_GRACE=5s"}
}

// waitReady polls url until it answers 200, for at most d.
func waitReady(t *testing.T, url string, d time.Duration, alive func() error) {
	t.Helper()
	c := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(d)
	last := ""
	for time.Now().Before(deadline) {
		if err := alive(); err != nil {
			t.Fatalf("service exited before %s answered: %v", url, err)
		}
		resp, err := c.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
			last = resp.Status
		} else {
			last = err.Error()
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("%s did not answer 200 within %s (last: %s)", url, d, last)
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func TestOrdersImageSizeAndSBOM(t *testing.T) {
	a := ordersArtifact(t)
	var size int64
	ls, err := a.Images[0].Layers()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range ls {
		s, err := l.Size()
		if err != nil {
			t.Fatal(err)
		}
		size += s
	}
	t.Logf("orders image: %s, %.1f MB compressed", a.Digest, float64(size)/1e6)
	if size >= 30<<20 {
		t.Errorf("orders image is %d bytes, want under 30 MB", size)
	}
	dir := t.TempDir()
	unpack(t, a.Images[0], dir)
	out, err := exec.Command("go", "version", "-m", filepath.Join(dir, "app", "orders")).Output()
	if err != nil {
		t.Fatal(err)
	}
	mods := sbom.ParseGoVersionM(out)
	if len(mods) < 5 {
		t.Fatalf("go version -m lists %d modules for orders:\n%s", len(mods), out)
	}
	var bom struct {
		Components []struct {
			Name, Version string
			Hashes        []struct{ Content string }
		}
	}
	if err := json.Unmarshal(a.CycloneDX, &bom); err != nil {
		t.Fatal(err)
	}
	inBOM := map[string]string{}
	for _, c := range bom.Components {
		if len(c.Hashes) == 1 {
			inBOM[c.Name] = c.Version + " " + c.Hashes[0].Content
		}
	}
	for _, m := range mods {
		if want := m.Version + " " + m.SHA256(); inBOM[m.Path] != want {
			t.Errorf("%s: SBOM has %q, the binary has %s %s", m.Path, inBOM[m.Path], m.Version, m.Sum)
		}
	}
	// The go command stamps VCS information only where .git is a folder:
	// not in a linked git worktree (.git is a file there).
	if fi, err := os.Stat(filepath.Join(a.Source.ModuleDir, ".git")); err == nil && fi.IsDir() && !strings.Contains(string(out), "vcs.revision="+a.Source.Revision) {
		t.Errorf("binary is not stamped with revision %s:\n%s", a.Source.Revision, out)
	}
}

// TestOrdersImageRuns unpacks the image and starts its entrypoint chrooted
// into it, in new user and mount namespaces, as the image's user.
func TestOrdersImageRuns(t *testing.T) {
	a := ordersArtifact(t)
	cf, err := a.Images[0].ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	unpack(t, a.Images[0], root)
	addr := freeAddr(t)
	cmd, err := chrootCommand(root, cf.Config.Entrypoint, cf.Config.User)
	if err != nil {
		t.Skip(err)
	}
	cmd.Env = append(cf.Config.Env, ordersEnv(addr)...)
	var logs strings.Builder
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		if skipNamespaces(err) {
			t.Skipf("user namespaces unavailable here: %v", err)
		}
		t.Fatalf("start %v in %s: %v", cf.Config.Entrypoint, root, err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	exited := func() error {
		select {
		case err := <-done:
			done <- err
			return fmt.Errorf("%v; output:\n%s", err, logs.String())
		default:
			return nil
		}
	}
	defer func() {
		if exited() == nil {
			cmd.Process.Kill()
			<-done
		}
	}()
	waitReady(t, "http://"+addr+"/readyz", 60*time.Second, exited)
	stopAndWait(t, cmd, done, 15*time.Second, &logs)
}
