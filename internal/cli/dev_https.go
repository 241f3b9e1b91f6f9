package cli

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/golocal/golocal/internal/adb"
	"github.com/golocal/golocal/internal/devcert"
	"github.com/golocal/golocal/internal/term"
)

// checkHTTPSAddr refuses --https on an address other than loopback
// without --lan: serving the development certificate to the network
// should be said out loud.
func checkHTTPSAddr(addr string, lan bool) error {
	if lan {
		return nil
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil // listenFront explains a malformed address
	}
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return usageErrorf("--https with --addr %s would serve on an interface other than loopback; add --lan if you mean to expose it to the network, or use --addr 127.0.0.1:PORT", addr)
}

// devTLS loads (or creates) the local CA and returns the front's TLS
// configuration: a leaf for localhost, *.localhost, 127.0.0.1, ::1 and,
// with --lan, the LAN address, renewed while serving; HTTP/2 first.
func devTLS(env *Env, out *devOutput, lan bool, addr *net.TCPAddr) (*tls.Config, error) {
	dir, err := devcert.Dir(env.Getenv)
	if err != nil {
		return nil, err
	}
	ca, created, err := devcert.Open(dir)
	if err != nil {
		return nil, err
	}
	if created {
		out.note("created golocal's local CA in " + dir + "; run golocal trust --install once so browsers trust it (golocal trust --phone for a phone)")
	}
	var extra []net.IP
	if lan {
		if ip := net.ParseIP(term.LANAddress()); ip != nil {
			extra = append(extra, ip)
		}
	}
	if addr != nil && !addr.IP.IsUnspecified() && !addr.IP.IsLoopback() {
		extra = append(extra, addr.IP)
	}
	names := devcert.LeafNames()
	for _, ip := range extra {
		if devcert.Permitted(ip.String()) {
			names = append(names, ip.String())
		} else {
			out.note(ip.String() + " is not a private address, so golocal's CA may not sign it; phones must use another address or --android")
		}
	}
	return ca.ServerConfig(names)
}

// startAndroid reverses the front's port on every attached Android
// device (golocal dev --android) and returns what undoes it. Without adb
// or a device it says so and dev goes on.
func startAndroid(ctx context.Context, out *devOutput, port int) (undo func()) {
	rev, err := adb.Reverse(ctx, adb.Options{Port: port})
	if err != nil {
		if errors.Is(err, adb.ErrNoADB) || errors.Is(err, adb.ErrNoDevice) {
			out.note("--android: " + err.Error() + "; golocal dev goes on without it")
		} else {
			out.note("--android: " + err.Error())
		}
		return func() {}
	}
	reversed := 0
	for _, d := range rev.Devices {
		if d.Reversed {
			reversed++
			out.note("--android: " + d.Serial + ": the phone's http://localhost:" + strconv.Itoa(port) + "/ is this dev server (adb reverse)")
		} else {
			out.note("--android: " + d.Serial + ": " + d.Note)
		}
	}
	if reversed > 0 {
		out.note("--android: debug the page from chrome://inspect/#devices in desktop Chrome or Chromium")
	}
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := rev.Remove(ctx); err != nil {
			out.note("--android: " + err.Error())
		}
	}
}

// schemeOf is the front's URL scheme.
func schemeOf(https bool) string {
	if https {
		return "https"
	}
	return "http"
}

// errTLSSetup wraps a failure to prepare the front's certificate.
func errTLSSetup(err error) error {
	return withCode(ExitFailure, fmt.Errorf("--https: %w", err))
}

// frontErrorLog receives the HTTPS front's server errors (http.Server's
// ErrorLog). A browser that does not trust the CA aborts the handshake,
// which net/http logs as a TLS error: that becomes one note saying what
// to do. Connections a browser opens and drops unused are not news.
type frontErrorLog struct {
	out  *devOutput
	once sync.Once
}

func (l *frontErrorLog) Write(p []byte) (int, error) {
	msg := strings.TrimSpace(string(p))
	switch {
	case strings.Contains(msg, "error reading preface"), strings.HasSuffix(msg, "EOF"), strings.Contains(msg, "connection reset"):
	case strings.Contains(msg, "bad certificate"), strings.Contains(msg, "unknown certificate"), strings.Contains(msg, "certificate unknown"), strings.Contains(msg, "unknown authority"):
		l.once.Do(func() {
			l.out.note("a client refused golocal's certificate (" + msg + "): trust the CA with golocal trust --install and restart the browser; for a phone, golocal trust --phone")
		})
	default:
		l.out.note(msg)
	}
	return len(p), nil
}
