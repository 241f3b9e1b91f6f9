package devproxy

import (
	"io"
	"net"
	"net/http"
	"strings"

	"github.com/golocal/golocal/internal/hostcheck"
)

// refuseHost answers 403 and returns true when r's Host is not one the
// dev server may answer: loopback addresses, localhost, *.localhost and
// Options.AllowHosts. A page whose name an attacker rebinds to 127.0.0.1
// would otherwise read the app, the event stream (build errors with
// source lines) and post forms as if it were the app's own origin (DNS
// rebinding); its requests still carry the attacker's name as Host.
func (f *Front) refuseHost(w http.ResponseWriter, r *http.Request) bool {
	p := hostcheck.Policy{Hosts: f.opts.AllowHosts}
	if p.Allowed(r.Host) {
		return false
	}
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusForbidden)
	io.WriteString(w, "403 Forbidden: golocal dev: "+p.Explain(r.Host, "restart golocal dev with --allow-host NAME")+"\n")
	return true
}

// unpinHSTS rewrites an app's Strict-Transport-Security to max-age=0 when
// the browser asked for a dev name (localhost, *.localhost, an IP
// address, *.local, *.test): an app sending HSTS, as it should in
// production, must not make the browser pin localhost to HTTPS for every
// other project on it ([RFC 6797] §6.1.1: max-age=0 removes the pin).
// Names given with --allow-host are the developer's choice and pass
// unchanged.
//
// [RFC 6797]: https://www.rfc-editor.org/rfc/rfc6797#section-6.1.1
func unpinHSTS(res *http.Response) {
	if _, ok := res.Header["Strict-Transport-Security"]; !ok || !devName(res.Request.Host) {
		return
	}
	res.Header.Set("Strict-Transport-Security", "max-age=0")
}

// devName reports whether host (with or without a port) is a name only
// a development machine answers to.
func devName(host string) bool {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.ToLower(strings.Trim(host, "[]")), ".")
	if net.ParseIP(host) != nil {
		return true
	}
	return host == "localhost" || strings.HasSuffix(host, ".localhost") || strings.HasSuffix(host, ".local") || strings.HasSuffix(host, ".test")
}
