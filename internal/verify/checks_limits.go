package verify

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"time"
)

// slowConns is how many trickling connections verify holds while it
// measures normal requests.
const slowConns = 32

var _ = register(
	Check{
		ID: "limits.slowloris", Area: Limits, Required: true,
		Why:       "a server without a header timeout keeps a connection (and its goroutine and buffers) for every client that sends one header byte at a time",
		Fix:       "set http.Server.ReadHeaderTimeout (serve sets 10 s)",
		Reference: "net/http Server.ReadHeaderTimeout; slowloris (CVE-2007-6750)",
		run:       checkSlowloris,
	},
	Check{
		ID: "limits.slowloris-latency", Area: Limits, Required: true,
		Why:       "slow clients holding connections must not slow down everyone else",
		Fix:       "do not cap concurrent connections below what slow clients can hold; rely on timeouts instead",
		Reference: "Google SRE book, ch. 22 Addressing Cascading Failures",
		run:       checkSlowlorisLatency,
	},
	Check{
		ID: "limits.body-cap", Area: Limits, Required: true,
		Why:       "without a body cap one client can make the server read (and often buffer) gigabytes",
		Fix:       "cap bodies (middleware.Limit, 1 MiB by default) so an oversized Content-Length gets 413 at once",
		Reference: "RFC 9110 §15.5.14 413 Content Too Large; net/http MaxBytesReader",
		run:       checkBodyCap,
	},
	Check{
		ID: "limits.chunked-body-cap", Area: Limits, Required: true,
		Why:       "a chunked body has no Content-Length to refuse up front; without a reader cap it is read to the end",
		Fix:       "wrap bodies in http.MaxBytesReader (middleware.Limit does) and answer 413 when it trips",
		Reference: "RFC 9112 §7.1 chunked transfer coding; net/http MaxBytesReader",
		run:       checkChunkedCap,
	},
	Check{
		ID: "limits.header-cap", Area: Limits, Required: true,
		Why:       "net/http's 1 MiB default header cap lets every connection pin a megabyte",
		Fix:       "set http.Server.MaxHeaderBytes (serve's default is 64 KiB) so a 100 KiB header gets 431",
		Reference: "RFC 6585 §5 431 Request Header Fields Too Large; net/http Server.MaxHeaderBytes",
		run:       checkHeaderCap,
	},
)

// trickle opens a connection that sends an unfinished request head.
func (a *Audit) trickle() (net.Conn, error) {
	c, err := net.DialTimeout("tcp", a.base.Host, 3*time.Second)
	if err != nil {
		return nil, err
	}
	_, err = io.WriteString(c, "GET / HTTP/1.1\r\nHost: "+a.base.Host+"\r\nX-Slow: ")
	return c, err
}

// slowlorisResult is the background measurement of limits.slowloris.
type slowlorisResult struct {
	closedAfter time.Duration
	err         error
}

// startSlowloris starts the slow measurement at the beginning of the
// audit, so its wait overlaps the other checks.
func (a *Audit) startSlowloris() {
	ch := make(chan slowlorisResult, 1)
	a.memo["slowloris"] = ch
	go func() {
		start := time.Now()
		c, err := a.trickle()
		if err != nil {
			ch <- slowlorisResult{err: err}
			return
		}
		defer c.Close()
		closed := make(chan struct{})
		go func() {
			io.Copy(io.Discard, c)
			close(closed)
		}()
		tick := time.NewTicker(500 * time.Millisecond)
		defer tick.Stop()
		deadline := time.After(a.opts.SlowlorisWait)
		for {
			select {
			case <-closed:
				ch <- slowlorisResult{closedAfter: time.Since(start)}
				return
			case <-deadline:
				ch <- slowlorisResult{closedAfter: -1}
				return
			case <-a.ctx.Done():
				ch <- slowlorisResult{err: a.ctx.Err()}
				return
			case <-tick.C:
				c.SetWriteDeadline(time.Now().Add(time.Second))
				c.Write([]byte("a"))
			}
		}
	}()
}

func checkSlowloris(a *Audit) Result {
	ch, ok := a.memo["slowloris"].(chan slowlorisResult)
	if !ok {
		a.startSlowloris()
		ch = a.memo["slowloris"].(chan slowlorisResult)
	}
	var r slowlorisResult
	select {
	case r = <-ch:
	case <-a.ctx.Done():
		return notRun("interrupted")
	}
	switch {
	case r.err != nil:
		return fail("could not open the slow connection: %v", r.err)
	case r.closedAfter < 0:
		return fail("a connection sending one header byte every 500 ms was still open after %v", a.opts.SlowlorisWait)
	}
	return pass("a connection sending one header byte every 500 ms was closed after %v", r.closedAfter.Round(100*time.Millisecond))
}

func checkSlowlorisLatency(a *Audit) Result {
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for range slowConns {
		c, err := a.trickle()
		if err != nil {
			break
		}
		conns = append(conns, c)
	}
	time.Sleep(200 * time.Millisecond)
	// Each request on a new connection, as new visitors arrive: a reused
	// connection would hide a server that stopped accepting.
	c := newClient()
	c.Transport.(*http.Transport).DisableKeepAlives = true
	defer c.CloseIdleConnections()
	var ds []time.Duration
	statuses := map[int]int{}
	for range 50 {
		start := time.Now()
		resp, err := c.Get(a.base.String() + "/")
		if err != nil {
			return fail("with %d slow connections open, GET / on a new connection failed after %v: %v", len(conns), time.Since(start).Round(time.Millisecond), err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		ds = append(ds, time.Since(start))
		statuses[resp.StatusCode]++
	}
	slices.Sort(ds)
	ev := fmt.Sprintf("with %d slow connections open, 50 GETs of / on new connections: p99 %v, max %v, statuses %v", len(conns), p99(ds).Round(time.Microsecond), ds[len(ds)-1].Round(time.Microsecond), statuses)
	if p99(ds) > 250*time.Millisecond || ds[len(ds)-1] > time.Second {
		return fail("%s; over 250 ms (p99) or 1 s (max)", ev)
	}
	return pass("%s", ev)
}

func checkBodyCap(a *Audit) Result {
	p := a.errorTarget()
	r, err := a.do(http.MethodPost, p, hdr("Content-Type", "application/octet-stream"), bytes.Repeat([]byte("a"), 10<<20))
	if err != nil {
		return fail("POST %s with 10 MB and its Content-Length: no answer (%v)", p, err)
	}
	if r.status != http.StatusRequestEntityTooLarge {
		return fail("POST %s with 10 MB and its Content-Length → %d, not 413", p, r.status)
	}
	return pass("POST %s with 10 MB and its Content-Length → 413", p)
}

// chunkedPost sends n bytes as a chunked body, answering the status.
func (a *Audit) chunkedPost(path string, n int64) (int, error) {
	c, err := net.DialTimeout("tcp", a.base.Host, 3*time.Second)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(15 * time.Second))
	go func() {
		w := bufio.NewWriterSize(c, 64<<10)
		fmt.Fprintf(w, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n", path, a.base.Host)
		// A JSON string that never ends: a decoder must read on until
		// the cap trips, it cannot refuse the body early.
		fmt.Fprintf(w, "%x\r\n%s\r\n", len(`{"name":"`), `{"name":"`)
		chunk := strings.Repeat("a", 32<<10)
		for sent := int64(0); sent < n; sent += int64(len(chunk)) {
			if _, err := fmt.Fprintf(w, "%x\r\n%s\r\n", len(chunk), chunk); err != nil {
				return
			}
		}
		w.WriteString("0\r\n\r\n")
		w.Flush()
	}()
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

func checkChunkedCap(a *Audit) Result {
	var ev []string
	for _, p := range a.routeSet().post {
		st, err := a.chunkedPost(p, 10<<20)
		if err != nil {
			ev = append(ev, fmt.Sprintf("%s: %v", p, err))
			continue
		}
		if st == http.StatusRequestEntityTooLarge {
			return pass("POST %s with a 10 MB chunked body → 413", p)
		}
		ev = append(ev, fmt.Sprintf("%s → %d", p, st))
	}
	return fail("no route answered a 10 MB chunked body with 413: %s", strings.Join(ev, "; "))
}

func checkHeaderCap(a *Audit) Result {
	r, err := a.do(http.MethodGet, "/", hdr("X-Verify-Large", strings.Repeat("a", 100<<10)), nil)
	if err != nil {
		return fail("GET / with a 100 KiB header: no answer (%v)", err)
	}
	if r.status != http.StatusRequestHeaderFieldsTooLarge {
		return fail("GET / with a 100 KiB header → %d, not 431: the header cap is above 100 KiB", r.status)
	}
	return pass("GET / with a 100 KiB header → 431")
}
