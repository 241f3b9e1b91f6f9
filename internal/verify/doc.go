// Package verify is golocal's production-readiness audit: it starts a
// service (or attaches to a running one), pushes on it and reads what it
// does, and reports a checklist by area (lifecycle, probes, logs, http,
// limits, admin, runtime, config).
//
// Checks live in a declarative registry like the linter's rules: each
// [Check] has a stable id, an area, whether it is required, a one-line
// why, a fix and a reference, and a run function reading an [Audit].
// [Run] is the short loop over them. To add a check, add a Check to the
// register call of its area's checks_<area>.go file, give the "good"
// service under testdata/kitsvc a BREAK toggle that fails it, add the id
// to the table in verify_test.go, and regenerate docs/verify.md
// (GOLOCAL_UPDATE_DOCS=1 go test ./internal/verify -run TestCatalogUpToDate).
//
// Measurements shared by several checks (the stop under load, the route
// discovery, the dependency cut) are made once per audit ([once]). The
// lifecycle checks run last because they stop the service.
package verify
