package admin_test

import (
	"context"
	"crypto/sha256"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/golocal/golocal/admin"
	"github.com/golocal/golocal/middleware"
)

// TestCPUProfileByRoute takes a real CPU profile through the admin
// listener while requests keep a route busy, then asks go tool pprof for
// the profile's tags: the samples carry route=GET /spin/{n}.
func TestCPUProfileByRoute(t *testing.T) {
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go not on PATH: go tool pprof reads the profile")
	}
	stack, err := middleware.Stack(middleware.StackOptions{NoAccessLog: true})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /spin/{n}", func(w http.ResponseWriter, r *http.Request) {
		sum := sha256.Sum256([]byte(r.PathValue("n")))
		for range 20000 { // a couple of milliseconds of CPU
			sum = sha256.Sum256(sum[:])
		}
		w.Write(sum[:1])
	})
	app := httptest.NewServer(stack(mux))
	defer app.Close()
	adm := httptest.NewServer(admin.New(admin.Options{}))
	defer adm.Close()

	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			for ctx.Err() == nil {
				if res, err := http.Get(app.URL + "/spin/7"); err == nil {
					io.Copy(io.Discard, res.Body)
					res.Body.Close()
				}
			}
		})
	}
	res, err := http.Get(adm.URL + "/debug/pprof/profile?seconds=1")
	stop()
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	profile, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("profile: %s %s", res.Status, profile)
	}
	file := filepath.Join(t.TempDir(), "cpu.pb.gz")
	os.WriteFile(file, profile, 0o644)
	out, err := exec.Command(goBin, "tool", "pprof", "-tags", file).CombinedOutput()
	if err != nil {
		t.Fatalf("go tool pprof -tags: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "route") || !strings.Contains(string(out), "GET /spin/{n}") {
		t.Errorf("profile tags lack route=GET /spin/{n}:\n%s", out)
	}
}
