package admin_test

import (
	"net/http/httptest"
	"net/netip"
	"testing"

	"github.com/golocal/golocal/admin"
)

// FuzzCheck feeds arbitrary peer addresses: Check must decide without
// panicking and only accept loopback peers.
func FuzzCheck(f *testing.F) {
	for _, s := range []string{"127.0.0.1:1", "[::1]:80", "192.0.2.1:5", "", "@", "[::ffff:127.0.0.1]:1", "[fe80::1%25lo]:1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, remote string) {
		r := httptest.NewRequest("GET", "http://127.0.0.1:9090/", nil)
		r.RemoteAddr = remote
		if err := admin.Check(r, false); err == nil {
			ap, perr := netip.ParseAddrPort(remote)
			if perr != nil || !ap.Addr().Unmap().IsLoopback() {
				t.Fatalf("Check accepted non-loopback peer %q", remote)
			}
		}
	})
}
