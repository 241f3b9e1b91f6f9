package browsertest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// EnvRequire names the environment variable that makes a missing browser a
// test failure instead of a skip ("1").
const EnvRequire = "GOLOCAL_REQUIRE_BROWSER"

// EnvPath names an environment variable that points at the Chromium binary,
// overriding the lookup.
const EnvPath = "GOLOCAL_CHROMIUM"

// StartTimeout bounds how long starting Chromium may take.
const StartTimeout = 30 * time.Second

// Flags are the Chromium switches every browser gets (besides
// --user-data-dir): no sandbox because tests may run as root in a
// container, no GPU and QUIC because CI machines have neither, and no
// background traffic because tests must not reach the network.
var Flags = []string{
	"headless", "no-sandbox", "disable-gpu", "disable-quic", "no-first-run",
	"disable-background-networking", "disable-component-update", "disable-sync",
}

// ExecPath returns the Chromium binary to use and whether one was found.
func ExecPath(getenv func(string) string) (string, bool) {
	if p := getenv(EnvPath); p != "" {
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			return p, true
		}
		return p, false
	}
	if st, err := os.Stat("/usr/bin/chromium"); err == nil && !st.IsDir() {
		return "/usr/bin/chromium", true
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, true
		}
	}
	return "", false
}

// Violation is one Content Security Policy violation the page reported
// through a securitypolicyviolation event
// (https://www.w3.org/TR/CSP3/#violation-events).
type Violation struct {
	Directive   string `json:"directive"`
	BlockedURI  string `json:"blockedURI"`
	Disposition string `json:"disposition"`
	SourceFile  string `json:"sourceFile"`
	Line        int    `json:"line"`
	Policy      string `json:"policy"`
	Page        string `json:"page"`
}

// String formats the value for people.
func (v Violation) String() string {
	return fmt.Sprintf("%s blocked %q on %s (%s; policy %q)", v.Directive, v.BlockedURI, v.Page, v.Disposition, v.Policy)
}

// Browser is one headless Chromium with one tab.
type Browser struct {
	t   testing.TB
	ctx context.Context

	mu         sync.Mutex
	console    []chromedp.ConsoleMessage
	violations []Violation
}

// violationBinding is the page-side function the violation listener calls.
const violationBinding = "__golocalReportViolation"

// violationListener runs in every document before the page's own scripts
// (Page.addScriptToEvaluateOnNewDocument is not subject to the page's CSP).
const violationListener = `document.addEventListener("securitypolicyviolation", function (e) {
  var f = window.` + violationBinding + `;
  if (f) f({directive: e.effectiveDirective, blockedURI: e.blockedURI, disposition: e.disposition,
    sourceFile: e.sourceFile, line: e.lineNumber, policy: e.originalPolicy, page: e.documentURI});
}, true);`

// New starts Chromium for t with a fresh profile and returns its tab. It
// skips t when Chromium is absent (fails it under GOLOCAL_REQUIRE_BROWSER=1)
// and fails t when Chromium is there but does not start. The browser stops
// when t ends.
func New(t testing.TB) *Browser {
	t.Helper()
	return newBrowser(t)
}

// NewWithHome is New with Chromium's HOME set to home, so that it reads
// the NSS certificate database home/.pki/nssdb (Linux): a test that adds
// a CA there (devtest.NSSDB, certutil -A) gets a browser that trusts it,
// and nothing of the machine changes.
func NewWithHome(t testing.TB, home string) *Browser {
	t.Helper()
	return newBrowser(t, chromedp.Env("HOME="+home))
}

// chromiumTemp returns a folder for the browser's TMPDIR, removed when the
// test ends. Chromium keeps its singleton socket in a temporary folder that
// it removes only on a clean exit, so the test removes it however the
// browser ended. It is not t.TempDir(): a folder named after a long test
// makes the socket's path longer than the 107 bytes a unix socket allows,
// and Chromium then refuses to start.
func chromiumTemp(t testing.TB) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "cr")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

func newBrowser(t testing.TB, extra ...chromedp.ExecAllocatorOption) *Browser {
	t.Helper()
	path, ok := ExecPath(os.Getenv)
	if !ok {
		msg := "headless Chromium not found (looked at $" + EnvPath + ", /usr/bin/chromium, PATH); install Debian's chromium package"
		if os.Getenv(EnvRequire) == "1" {
			t.Fatalf("%s; %s=1 requires it", msg, EnvRequire)
		}
		t.Skip(msg)
	}
	opts := append([]chromedp.ExecAllocatorOption{chromedp.ExecPath(path), chromedp.UserDataDir(t.TempDir()), chromedp.Env("TMPDIR=" + chromiumTemp(t))}, extra...)
	for _, f := range Flags {
		opts = append(opts, chromedp.Flag(f, true))
	}
	// chromedp's own defaults add Puppeteer's flags; ours come after and
	// win where they overlap.
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), append(chromedp.DefaultExecAllocatorOptions[:], opts...)...)
	ctx, cancelTab := chromedp.NewContext(allocCtx)
	b := &Browser{t: t, ctx: ctx}
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc()
	})

	started := make(chan error, 1)
	go func() {
		// The first Run starts the browser; its context must not carry a
		// timeout (it would stop the browser), so the bound is kept here.
		started <- chromedp.Do(ctx)
	}()
	select {
	case err := <-started:
		if err != nil {
			t.Fatalf("starting %s: %v", path, err)
		}
	case <-time.After(StartTimeout):
		t.Fatalf("starting %s: no answer within %s", path, StartTimeout)
	}

	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			b.mu.Lock()
			b.console = append(b.console, m)
			b.mu.Unlock()
		}
	}()
	err := chromedp.Do(ctx,
		chromedp.ExposeFunc(violationBinding, func(_ context.Context, v Violation) (chromedp.Void, error) {
			b.mu.Lock()
			b.violations = append(b.violations, v)
			b.mu.Unlock()
			return chromedp.Void{}, nil
		}),
		chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
			_, err := cdp.Call(ctx, tg, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: violationListener})
			return err
		}),
	)
	if err != nil {
		t.Fatalf("preparing the tab: %v", err)
	}
	return b
}

// Context returns the tab's chromedp context, for chromedp.Run and Do.
func (b *Browser) Context() context.Context { return b.ctx }

// Navigate loads url and waits for its load event, at most 15 s.
func (b *Browser) Navigate(url string) error {
	ctx, cancel := context.WithTimeout(b.ctx, 15*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		return fmt.Errorf("navigating to %s: %w", url, err)
	}
	return nil
}

// Eval evaluates a JavaScript expression in the page and returns its value.
// DevTools evaluation is not subject to the page's CSP.
func Eval[T any](b *Browser, expression string) (T, error) {
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	return chromedp.Run(ctx, chromedp.Evaluate[T](expression))
}

// WaitFor polls a JavaScript expression until it is truthy or timeout
// passes. It keeps polling across reloads and navigations, which is what
// tests of a page that reloads itself need.
func (b *Browser) WaitFor(expression string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	var last error
	for {
		ok, err := Eval[bool](b, "!!("+expression+")")
		if err == nil && ok {
			return nil
		}
		if err != nil {
			last = err
		}
		if time.Now().After(deadline) {
			if last != nil {
				return fmt.Errorf("waiting %s for %s: last error: %w", timeout, expression, last)
			}
			return fmt.Errorf("waiting %s for %s: still false", timeout, expression)
		}
		select {
		case <-time.After(50 * time.Millisecond):
		case <-b.ctx.Done():
			return errors.Join(fmt.Errorf("waiting for %s", expression), b.ctx.Err())
		}
	}
}

// Settle waits for one turn of the page's event loop and one animation
// frame, so that events already queued (violation reports, console
// messages) are delivered before a test looks at what was recorded.
func (b *Browser) Settle() error {
	ctx, cancel := context.WithTimeout(b.ctx, 10*time.Second)
	defer cancel()
	_, err := chromedp.Run(ctx, chromedp.Evaluate[bool](
		`new Promise(r => setTimeout(() => requestAnimationFrame(() => r(true)), 0))`, chromedp.EvalAwaitPromise))
	return err
}

// Console returns the console messages, exceptions and browser log entries
// recorded so far.
func (b *Browser) Console() []chromedp.ConsoleMessage {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]chromedp.ConsoleMessage(nil), b.console...)
}

// Violations returns the CSP violations reported so far.
func (b *Browser) Violations() []Violation {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]Violation(nil), b.violations...)
}

// CSPMessages returns console and log entries about Content Security
// Policy — Chromium prints a violation there even when no page script
// could observe the event.
func (b *Browser) CSPMessages() []chromedp.ConsoleMessage {
	var out []chromedp.ConsoleMessage
	for _, m := range b.Console() {
		if strings.Contains(m.Text, "Content Security Policy") || strings.Contains(m.Text, "Content-Security-Policy") {
			out = append(out, m)
		}
	}
	return out
}

// Errors returns console errors and uncaught exceptions.
func (b *Browser) Errors() []chromedp.ConsoleMessage {
	var out []chromedp.ConsoleMessage
	for _, m := range b.Console() {
		if m.Type == chromedp.ConsoleError || m.Type == chromedp.ConsoleException {
			out = append(out, m)
		}
	}
	return out
}
