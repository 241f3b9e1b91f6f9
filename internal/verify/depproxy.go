package verify

import (
	"io"
	"net"
	"net/url"
	"strings"
	"sync"
)

// depProxy stands between the service and a network dependency named in
// its environment (DATABASE_URL and the like), so that verify can cut the
// dependency and watch readiness and liveness react.
type depProxy struct {
	name   string // the variable, e.g. DATABASE_URL
	target string // host:port of the real dependency
	addr   string // the proxy's own address, kept across a cut
	mu     sync.Mutex
	ln     net.Listener
	cut    bool
	conns  map[net.Conn]struct{}
}

// interposeDependency rewrites the first URL-valued variable of env that
// points at host:port to go through a proxy verify controls.
func interposeDependency(env []string) (*depProxy, []string) {
	for i, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		if strings.HasPrefix(k, "VERIFY_CANARY_") || !strings.HasSuffix(k, "_URL") && !strings.HasSuffix(k, "_ADDR") {
			continue
		}
		u, err := url.Parse(v)
		if err != nil || u.Host == "" || u.Port() == "" {
			continue
		}
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, env
		}
		p := &depProxy{name: k, target: u.Host, ln: ln, addr: ln.Addr().String(), conns: map[net.Conn]struct{}{}}
		go p.serve(ln)
		u.Host = ln.Addr().String()
		out := append([]string(nil), env...)
		out[i] = k + "=" + u.String()
		return p, out
	}
	return nil, env
}

func (p *depProxy) serve(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		if p.cut {
			p.mu.Unlock()
			c.Close()
			continue
		}
		p.conns[c] = struct{}{}
		p.mu.Unlock()
		go p.pipe(c)
	}
}

func (p *depProxy) pipe(c net.Conn) {
	defer p.forget(c)
	up, err := net.Dial("tcp", p.target)
	if err != nil {
		return
	}
	p.mu.Lock()
	p.conns[up] = struct{}{}
	p.mu.Unlock()
	defer p.forget(up)
	done := make(chan struct{}, 2)
	go func() { io.Copy(up, c); done <- struct{}{} }()
	go func() { io.Copy(c, up); done <- struct{}{} }()
	<-done
}

func (p *depProxy) forget(c net.Conn) {
	c.Close()
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
}

// setCut cuts the dependency (listener closed so connections are refused,
// every open connection closed) or restores it on the same address.
func (p *depProxy) setCut(cut bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = cut
	if cut {
		if p.ln != nil {
			p.ln.Close()
			p.ln = nil
		}
		for c := range p.conns {
			c.Close()
		}
		return
	}
	if p.ln == nil {
		if ln, err := net.Listen("tcp", p.addr); err == nil {
			p.ln = ln
			go p.serve(ln)
		}
	}
}

func (p *depProxy) close() {
	p.setCut(true)
}
