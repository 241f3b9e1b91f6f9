// Package browsertest starts Debian's headless Chromium for tests and
// records what a page reports: console messages, uncaught exceptions,
// browser log entries and Content Security Policy violations.
//
// A test calls New, drives the tab with chromedp actions or the small
// helpers here, and asserts on what the page printed:
//
//	b := browsertest.New(t)            // skips if Chromium is absent
//	if err := b.Navigate(srv.URL); err != nil { t.Fatal(err) }
//	if err := b.WaitFor(`document.body.innerText.includes("hello")`, 5*time.Second); err != nil { t.Fatal(err) }
//	if v := b.Violations(); len(v) > 0 { t.Fatalf("CSP violations: %v", v) }
//
// Chromium is looked up as /usr/bin/chromium (or chromium / chromium-browser
// on PATH, or $GOLOCAL_CHROMIUM). Without it, tests skip — unless
// GOLOCAL_REQUIRE_BROWSER=1, which turns the skip into a failure so that CI
// cannot pass without actually running the browser. Every browser gets a
// fresh profile in t.TempDir() and the flags of brief-common (headless, no
// sandbox, no GPU, no QUIC, no background networking), so tests do not reach
// the internet and do not share state.
package browsertest
