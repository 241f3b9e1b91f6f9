package middleware

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// rssServerEnv makes the test binary a server for TestLimitRSS: the value
// is the in-flight cap to use (-1: none).
const rssServerEnv = "GOLOCAL_LIMIT_RSS_SERVER"

// TestLimitRSS sends 200 concurrent 1 MB bodies to a separate server
// process whose handler reads each body whole and holds it for a moment
// (as a JSON decoder would), once without the in-flight cap and once with
// the default one, and compares the server's peak RSS (VmHWM). Every
// request must get 200 or 503 with Retry-After; with the cap the peak
// must stay under 160 MB. Measured on the development machine (2 cores):
// 275 MB without the cap, 121 MB with it (the handler's io.ReadAll
// doubles its buffer as it goes, so the peak is about twice the cap).
func TestLimitRSS(t *testing.T) {
	if os.Getenv(rssServerEnv) != "" {
		rssServer(t)
		return
	}
	if testing.Short() {
		t.Skip("sends 400 MB over loopback")
	}
	if raceEnabled {
		t.Skip("the race detector multiplies memory use; .ci/run runs this test without -race")
	}
	const bound = 160 << 20
	uncapped := rssRun(t, -1)
	capped := rssRun(t, 0)
	t.Logf("peak RSS of 200 concurrent 1 MB bodies: %d MB without the in-flight cap (%s), %d MB with the default %d MiB cap (%s); ratio %.2f",
		uncapped.peak>>20, uncapped.statuses, capped.peak>>20, DefaultMaxInFlightBytes>>20, capped.statuses, float64(capped.peak)/float64(uncapped.peak))
	if capped.peak > bound {
		t.Errorf("peak RSS with the in-flight cap %d MB, want under %d MB", capped.peak>>20, bound>>20)
	}
	if capped.ok == 0 {
		t.Errorf("no request admitted under the cap: %s", capped.statuses)
	}
}

type rssResult struct {
	peak     int64
	ok       int
	statuses string
}

// rssRun starts the server process with the given cap, sends the load and
// returns the server's peak RSS.
func rssRun(t *testing.T, inFlight int64) rssResult {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestLimitRSS$")
	cmd.Env = append(os.Environ(), rssServerEnv+"="+strconv.FormatInt(inFlight, 10), "GORACE=")
	cmd.Stderr = os.Stderr
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { stdin.Close(); cmd.Process.Kill(); cmd.Wait() }()
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("server process: %v", err)
	}
	addr := strings.TrimSpace(line)

	body := bytes.Repeat([]byte("x"), 1<<20)
	tr := &http.Transport{MaxConnsPerHost: 0, MaxIdleConnsPerHost: 200}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 60 * time.Second}
	var mu sync.Mutex
	counts := map[string]int{}
	var wg sync.WaitGroup
	for range 200 {
		wg.Go(func() {
			outcome := rssSend(client, addr, body)
			mu.Lock()
			counts[outcome]++
			mu.Unlock()
		})
	}
	wg.Wait()
	for k := range counts {
		if k != "200" && k != "503" {
			t.Errorf("cap %d: outcomes %v, want only 200 and 503 with Retry-After", inFlight, counts)
			break
		}
	}
	return rssResult{peak: peakRSS(t, cmd.Process.Pid), ok: counts["200"], statuses: fmt.Sprint(counts)}
}

func rssSend(client *http.Client, addr string, body []byte) string {
	resp, err := client.Post("http://"+addr+"/", "application/octet-stream", bytes.NewReader(body))
	if err != nil {
		return "error: " + err.Error()
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	if resp.StatusCode == 503 && resp.Header.Get("Retry-After") == "" {
		return "503 without Retry-After"
	}
	return strconv.Itoa(resp.StatusCode)
}

// peakRSS reads VmHWM of a process, in bytes.
func peakRSS(t *testing.T, pid int) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Fatal("no VmHWM in /proc status")
	return 0
}

// rssServer is the server process: Limit with the cap from the
// environment around a handler that reads the body whole and holds it
// 2 s, so that the bodies overlap. It prints its address and serves until stdin closes.
func rssServer(t *testing.T) {
	inFlight, _ := strconv.ParseInt(os.Getenv(rssServerEnv), 10, 64)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h := Limit{MaxInFlightBytes: inFlight}.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			return
		}

		time.Sleep(2 * time.Second)
		fmt.Fprintf(w, "%d", bytes.Count(b, []byte("x"))) // the body is still in use
	}))
	go http.Serve(ln, h)
	fmt.Println(ln.Addr())
	io.Copy(io.Discard, os.Stdin)
}
