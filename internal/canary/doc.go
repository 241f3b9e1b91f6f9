// Package canary runs two versions of a Go web service side by side on
// loopback and judges, with statistics, whether the new one (the
// candidate, built from the working tree) is worse than the old one (the
// baseline, built from a git ref through a temporary worktree, or given as
// a binary). It is the engine of `golocal canary` (docs/canary.md).
//
// The pieces, one file each:
//
//   - build.go builds both versions with -trimpath and no VCS stamp, so
//     identical sources give identical bytes (and a run says so);
//   - run.go starts them the way `golocal dev` starts an app (a socket of
//     their own on fd 3, readiness over sd_notify, a process group to stop)
//     and finds each one's admin listener;
//   - front.go is the reverse proxy users and load talk to: it routes by
//     header, cookie or weight, or mirrors every request to both (compare.go
//     lists how the answers differed), and adds X-Golocal-Version;
//   - sample.go records latency and errors per version and route (the
//     app's own route labels, learnt from its /metrics by scrape.go);
//   - stats.go and judge.go hold Mann-Whitney U, the two-proportion z-test,
//     the effect sizes and the thresholds that make a verdict;
//   - report.go, page.go and load.go print the table, serve the page with
//     SVG charts at /__golocal/canary and generate traffic.
//
// A program embedding it calls [Run] with [Options] and reads the
// [Report]; the pieces ([MannWhitneyU], [NewFront], [ParseAccessLog]) are
// usable on their own.
package canary
