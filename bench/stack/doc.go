// Package stack benchmarks golocal's production middleware stack against
// bare net/http and the usual middleware of chi, gin and echo, on the same
// route and response, and prints each one's overhead over a bare
// http.ServeMux:
//
//	cd bench/stack && go test -run '^$' -bench . -benchmem
//
// It is its own module so chi, gin and echo never become dependencies of
// golocal itself.
package stack
