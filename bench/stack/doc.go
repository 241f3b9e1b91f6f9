// Package stack benchmarks golocal's production middleware stack against
// bare net/http and the usual middleware of chi, gin and echo, on the same
// route and response, and prints each one's overhead over a bare
// http.ServeMux and, for the middleware alone, over the same router without
// middleware:
//
//	cd bench/stack && go test -run '^$' -bench . -benchmem -count 5
//
// Every logger writes to io.Discard: golocal's access log through its
// default JSON handler (middleware.NewJSONHandler), gin's Logger, echo's
// Logger and chi's Logger each to their io.Discard writer; so all of them
// format every line and none pays for output.
//
// Two tables are printed. The first keeps, with -count, the fastest run of
// each stack, which on a shared machine is the one least disturbed by other
// processes; but go test runs the repetitions of one stack back to back, so
// a burst of load can still hit one stack and spare another. The second
// measures all stacks again interleaved — rounds in which each stack runs
// for a few milliseconds in turn — and keeps each stack's fastest round, so
// every stack is measured through the same noise. When the two verdicts
// disagree, the machine was busy; the interleaved one is the fairer.
//
// It is its own module so chi, gin and echo never become dependencies of
// golocal itself.
package stack
