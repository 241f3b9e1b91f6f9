package verify

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"syscall"
	"time"
)

// forceWait is how soon a second signal must end the process.
const forceWait = 3 * time.Second

var _ = register(
	Check{
		ID: "lifecycle.drain", Area: Lifecycle, Required: true, needs: needProcess,
		Why:       "every deploy and scale-down sends SIGTERM; requests failed then are errors users see on every release",
		Fix:       "stop with serve.Run (graceful shutdown that also serves the kernel's backlog) instead of http.ListenAndServe",
		Reference: "Kubernetes: Pod termination; net/http Server.Shutdown; golang/go#75591",
		run:       checkDrain,
	},
	Check{
		ID: "lifecycle.readiness-before-close", Area: Lifecycle, Required: true, needs: needProcess,
		Why:       "load balancers learn about a stopping instance only from readiness; if the listener closes first, they send requests to a closed port",
		Fix:       "flip readiness to 503 on SIGTERM (serve OnStopping: health.MarkStopping) and keep serving for a lame duck (serve.Options.LameDuck)",
		Reference: "Kubernetes: Pod termination and endpoint removal; Google SRE book, ch. 20 (lame duck state)",
		run:       checkReadinessBeforeClose,
	},
	Check{
		ID: "lifecycle.exit-within-grace", Area: Lifecycle, Required: true, needs: needProcess,
		Why:       "a process still running when the grace period ends is SIGKILLed mid-request",
		Fix:       "bound the drain (serve.Options.Grace) below terminationGracePeriodSeconds minus the lame duck",
		Reference: "Kubernetes: terminationGracePeriodSeconds (default 30 s)",
		run:       checkExitWithinGrace,
	},
	Check{
		ID: "lifecycle.clean-exit", Area: Lifecycle, Required: true, needs: needProcess,
		Why:       "a service that dies of SIGTERM or exits non-zero after a normal stop looks like a crash to supervisors and alerting",
		Fix:       "catch SIGTERM, drain, and return from main with status 0 (serve.Run returns nil after a clean stop)",
		Reference: "systemd.service: SuccessExitStatus; Kubernetes container exit codes",
		run:       checkCleanExit,
	},
	Check{
		ID: "lifecycle.second-signal-forces", Area: Lifecycle, Required: true, needs: needProcess,
		Why:       "an operator pressing Ctrl-C twice, or a supervisor escalating, must be able to stop a draining process at once",
		Fix:       "on a second SIGINT/SIGTERM close every connection and exit (serve.Run does)",
		Reference: "golocal serve: second signal; Unix convention for interactive programs",
		run:       checkSecondSignal,
	},
)

// stopResult is the stop under load, measured once for several checks.
type stopResult struct {
	exited       bool
	took         time.Duration // SIGTERM → exit
	exitDesc     string
	exitCode     int
	signaled     bool
	load         *load
	first503     time.Duration // -1 when never seen
	firstRefused time.Duration // -1 when never seen
	readyPath    string
	err          error
}

// stopUnderLoad sends SIGTERM while loadWorkers clients load / and a
// poller watches readiness, and measures what happens.
func (a *Audit) stopUnderLoad() *stopResult {
	return once(a, "stop", func() *stopResult {
		a.stopping = true
		res := &stopResult{first503: -1, firstRefused: -1}
		res.readyPath, _ = a.probePath("readiness")
		l := a.startLoad("/")
		time.Sleep(300 * time.Millisecond)
		t0 := time.Now()
		pollDone := make(chan struct{})
		if res.readyPath != "" {
			go a.pollReadiness(res, t0, pollDone)
		} else {
			close(pollDone)
		}
		if err := a.proc.signal(syscall.SIGTERM); err != nil {
			res.err = err
		}
		res.exited = a.proc.waitExit(a.opts.Grace)
		res.took = time.Since(t0)
		if !res.exited {
			a.proc.kill()
		} else {
			res.took = a.proc.exitedAt.Sub(t0)
		}
		l.stop()
		<-pollDone
		res.load = l
		res.exitDesc, res.exitCode = a.proc.exitDescription(), a.proc.exitCode()
		res.signaled = res.exitCode == -1
		if res.exited {
			s := res.took.Seconds()
			a.facts.DrainSeconds = &s
		}
		if res.first503 >= 0 && res.firstRefused >= 0 {
			s := (res.firstRefused - res.first503).Seconds()
			a.facts.ReadinessLeadSeconds = &s
		}
		return res
	})
}

// pollReadiness asks readiness on fresh connections every 5 ms until the
// process exits, noting the first 503 and the first refusal.
func (a *Audit) pollReadiness(res *stopResult, t0 time.Time, done chan struct{}) {
	defer close(done)
	c := newClient()
	c.Transport.(*http.Transport).DisableKeepAlives = true
	for !a.proc.exited() {
		resp, err := c.Get(a.base.String() + res.readyPath)
		switch {
		case err == nil:
			resp.Body.Close()
			if resp.StatusCode == http.StatusServiceUnavailable && res.first503 < 0 {
				res.first503 = time.Since(t0)
			}
		case errors.Is(err, syscall.ECONNREFUSED):
			if res.firstRefused < 0 {
				res.firstRefused = time.Since(t0)
			}
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (s *stopResult) loadSummary() string {
	l := s.load
	return fmt.Sprintf("%d clients on /: %d ok, %d failed, %d refused after the listener closed, statuses %v", loadWorkers, l.ok, l.failed, l.refused, l.status)
}

func checkDrain(a *Audit) Result {
	s := a.stopUnderLoad()
	switch {
	case s.err != nil:
		return fail("could not send SIGTERM: %v", s.err)
	case !s.exited:
		return fail("still running %v after SIGTERM (--grace); killed. %s", a.opts.Grace, s.loadSummary())
	case s.signaled:
		return fail("the process died of SIGTERM (%s) instead of draining. %s", s.exitDesc, s.loadSummary())
	case s.load.failed > 0:
		return fail("SIGTERM under load: %s; errors: %s", s.loadSummary(), strings.Join(s.load.errs, "; "))
	case s.load.ok == 0:
		return fail("no request succeeded under load: %s", s.loadSummary())
	}
	return pass("SIGTERM under load, exit after %v: %s", s.took.Round(time.Millisecond), s.loadSummary())
}

func checkReadinessBeforeClose(a *Audit) Result {
	s := a.stopUnderLoad()
	switch {
	case s.readyPath == "":
		return notRun("no readiness endpoint (see probes.readiness)")
	case s.first503 < 0:
		return fail("%s never answered 503 between SIGTERM and the listener closing (refused after %v)", s.readyPath, roundOrNever(s.firstRefused))
	}
	return pass("%s answered 503 %v after SIGTERM; connections refused from %v", s.readyPath, s.first503.Round(time.Millisecond), roundOrNever(s.firstRefused))
}

func roundOrNever(d time.Duration) string {
	if d < 0 {
		return "never"
	}
	return d.Round(time.Millisecond).String()
}

func checkExitWithinGrace(a *Audit) Result {
	s := a.stopUnderLoad()
	if !s.exited {
		return fail("still running %v after SIGTERM; killed", a.opts.Grace)
	}
	return pass("SIGTERM → exit in %v (grace %v)", s.took.Round(time.Millisecond), a.opts.Grace)
}

func checkCleanExit(a *Audit) Result {
	s := a.stopUnderLoad()
	if !s.exited {
		return fail("never exited after SIGTERM (killed after %v)", a.opts.Grace)
	}
	if s.exitCode != 0 {
		return fail("after SIGTERM: %s", s.exitDesc)
	}
	return pass("after SIGTERM: exit status 0")
}

// checkSecondSignal restarts the service, sends SIGTERM and, while it is
// stopping, a second one.
func checkSecondSignal(a *Audit) Result {
	a.stopUnderLoad()
	if err := a.startMain(); err != nil {
		return fail("could not restart the service for this check: %v", err)
	}
	a.stopping = true
	defer a.stop()
	l := a.startLoad("/")
	defer l.stop()
	time.Sleep(200 * time.Millisecond)
	if err := a.proc.signal(syscall.SIGTERM); err != nil {
		return fail("SIGTERM: %v", err)
	}
	if a.proc.waitExit(300 * time.Millisecond) {
		return pass("the first SIGTERM ended the process within 300 ms (%s): nothing left to force", a.proc.exitDescription())
	}
	t := time.Now()
	if err := a.proc.signal(syscall.SIGTERM); err != nil {
		return fail("second SIGTERM: %v", err)
	}
	if !a.proc.waitExit(forceWait) {
		return fail("still running %v after a second SIGTERM", forceWait)
	}
	return pass("a second SIGTERM 300 ms into the stop ended the process after %v (%s)", a.proc.exitedAt.Sub(t).Round(time.Millisecond), a.proc.exitDescription())
}
