// Package hostcheck guards local servers against DNS rebinding: a web
// page whose name the attacker's DNS first resolves to the attacker and then
// to 127.0.0.1 can make the victim's browser talk to a loopback server as
// that page's own origin, read the answers and post forms (the Origin then
// equals the Host). The one thing the attacker cannot change is the Host
// header, which still carries the attacker's name. So a loopback server
// answers only Host values that are loopback addresses, localhost or a
// *.localhost name (browsers resolve those themselves, RFC 6761), or names
// it was told about.
//
// The dev front (golocal dev) and the admin listener (package admin) both
// use it:
//
//	p := hostcheck.Policy{Hosts: []string{"192.168.1.20"}}
//	if !p.Allowed(r.Host) {
//		http.Error(w, "403 Forbidden: "+p.Explain(r.Host, "restart with --allow-host NAME"), http.StatusForbidden)
//		return
//	}
//
// See https://en.wikipedia.org/wiki/DNS_rebinding and RFC 6761 §6.3.
package hostcheck
