package devproxy

import (
	"io"
	"net/http"

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
