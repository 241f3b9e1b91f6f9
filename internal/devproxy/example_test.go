package devproxy_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"

	"github.com/golocal/golocal/internal/devproxy"
)

// ExampleNew puts a front before an app and loads a page through it, the
// way a browser would: the page comes back with the reload client.
func ExampleNew() {
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		io.WriteString(w, "<html><head><title>orders</title></head><body>hi</body></html>")
	}))
	defer app.Close()

	front := devproxy.New(devproxy.Options{})
	defer front.Close()
	appURL, _ := url.Parse(app.URL)
	front.SetUpstream(appURL)
	srv := httptest.NewServer(front)
	defer srv.Close()

	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/orders", nil)
	req.Header.Set("Sec-Fetch-Mode", "navigate")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Println(err)
		return
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	fmt.Println(strings.Contains(string(body), `<head><script src="/__golocal/client.js?v=`))
	// Output: true
}

// ExampleParseThrottle reads --throttle values: DevTools presets or custom
// settings.
func ExampleParseThrottle() {
	for _, s := range []string{"slow-3g", "fast 4g", "latency=400ms,down=500kbps,up=500kbps", "latency=fast"} {
		t, err := devproxy.ParseThrottle(s)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Printf("%s: latency %s, down %d B/s, up %d B/s\n", t.Name, t.Latency, t.Download, t.Upload)
	}
	// Output:
	// Slow 3G: latency 2s, down 50000 B/s, up 50000 B/s
	// Fast 4G: latency 165ms, down 1012500 B/s, up 168750 B/s
	// custom: latency 400ms, down 62500 B/s, up 62500 B/s
	// --throttle "latency=fast": latency: "fast" is not a duration; write it like 400ms or 1.5s
}

// ExampleAmendCSP shows the change made to a strict nonce-based policy so
// that the injected client and its event stream are allowed.
func ExampleAmendCSP() {
	policy, nonce := devproxy.AmendCSP("script-src 'nonce-r4nd0m' 'strict-dynamic'; default-src 'none'", "http://127.0.0.1:8080", "cl13nt")
	fmt.Println(policy)
	fmt.Println(nonce)
	// Output:
	// script-src 'nonce-r4nd0m' 'strict-dynamic' 'nonce-cl13nt'; default-src 'none'; connect-src http://127.0.0.1:8080/__golocal/events
	// cl13nt
}
