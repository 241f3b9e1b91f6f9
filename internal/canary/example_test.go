package canary_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"time"

	"github.com/golocal/golocal/internal/canary"
)

// The front on its own: two upstreams, routed by header, every answer
// marked with the version that produced it and recorded for the verdict.
func Example() {
	versions := [2]*httptest.Server{}
	for v := range versions {
		versions[v] = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") }))
		defer versions[v].Close()
	}
	base, _ := url.Parse(versions[0].URL)
	cand, _ := url.Parse(versions[1].URL)
	rec := canary.NewRecorder(time.Now())
	front := httptest.NewServer(canary.NewFront(canary.FrontOptions{
		Routing:  canary.Routing{Mode: canary.ByHeader, Name: "X-Env-Version", Value: "canary"},
		Baseline: base, Candidate: cand, Recorder: rec,
	}))
	defer front.Close()

	for _, header := range []string{"", "canary"} {
		req, _ := http.NewRequest("GET", front.URL+"/orders/42", nil)
		if header != "" {
			req.Header.Set("X-Env-Version", header)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			fmt.Println(err)
			return
		}
		resp.Body.Close()
		fmt.Println(resp.Header.Get(canary.VersionHeader))
	}
	// An outcome is recorded once the handler returns, which can be just
	// after the client has read the answer: closing the server waits for
	// its handlers.
	front.Close()
	routes, _ := rec.Snapshot()
	fmt.Println(routes[0].Route, routes[0].Requests)
	// Output:
	// baseline
	// candidate
	// GET /orders/{id} [1 1]
}
