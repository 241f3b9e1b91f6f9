// Package stack benchmarks golocal's production middleware stack against
// bare net/http and the usual middleware of chi, gin and echo, on the same
// route and response, and prints each one's overhead over a bare
// http.ServeMux and, for the middleware alone, over the same router without
// middleware:
//
//	cd bench/stack && go test -run '^$' -bench . -benchmem -count 5
//
// With -count the fastest run of each stack is printed, which on a shared
// machine is the one least disturbed by other processes.
//
// It is its own module so chi, gin and echo never become dependencies of
// golocal itself.
package stack
