package verify

import (
	"slices"
	"strings"
	"time"
)

// configDeadline is how fast a refusal must come: an orchestrator restarts
// a crash-looping pod, but one that hangs is only noticed by its probes.
const configDeadline = 5 * time.Second

// configRun is the first start, without the secrets.
type configRun struct {
	withheld []string
	listened bool
	exited   bool
	code     int
	took     time.Duration
	output   string
	err      error
}

var _ = register(
	Check{
		ID: "config.refuses-without-secrets", Area: Config, Required: true, needs: needProcess,
		Why:       "a service that starts without its secrets runs with empty keys or a default password in production",
		Fix:       "validate the configuration before serving (config.Load with required:\"true\" or a Validate method) and exit non-zero when a secret is missing",
		Reference: "The Twelve-Factor App, III. Config; golocal config package (required tags, Validate)",
		run:       checkRefusesWithoutSecrets,
	},
	Check{
		ID: "config.names-missing-key", Area: Config, Required: true, needs: needProcess,
		Why:       "an operator facing a crash loop must see which setting is missing without reading the code",
		Fix:       "name the missing key (and its environment variable) in the error the service exits with",
		Reference: "golocal config package: every error names the key and its layer",
		run:       checkNamesMissingKey,
	},
)

// probeConfig starts the service without the secret-looking variables the
// user gave and learns, from its refusal, the secrets it requires (which
// the audit then plants with random values). At most four starts.
func (a *Audit) probeConfig() *configRun {
	var first *configRun
	have := func(name string) bool {
		return slices.ContainsFunc(a.svc.env, func(kv string) bool { return strings.HasPrefix(kv, name+"=") })
	}
	for attempt := 0; attempt < 4; attempt++ {
		env := withoutNames(a.svc.env, a.withheld)
		for _, name := range a.required {
			env = append(env, name+"="+randomSecret())
		}
		run := startForConfig(a, env)
		run.withheld = a.withheld
		if first == nil {
			first = run
		}
		if !run.exited || run.code == 0 {
			return first
		}
		if !a.learnSecrets(run.output, have) {
			return first
		}
	}
	return first
}

// learnSecrets adds to a.required the secret-looking variables a refusal
// names that the service does not have yet; false when there are none.
func (a *Audit) learnSecrets(output string, have func(string) bool) bool {
	var more []string
	for _, name := range mentionedSecret.FindAllString(output, -1) {
		if !have(name) && !slices.Contains(a.required, name) && !slices.Contains(more, name) && !strings.HasPrefix(name, "VERIFY_CANARY_") {
			more = append(more, name)
		}
	}
	a.required = append(a.required, more...)
	return len(more) > 0
}

// startForConfig starts the service with env and waits up to
// configDeadline for it to exit or listen.
func startForConfig(a *Audit, env []string) *configRun {
	run := &configRun{}
	start := time.Now()
	p, err := startProcess(a.svc.binary, a.svc.dir, env)
	if err != nil {
		run.err = err
		return run
	}
	defer func() {
		if !p.exited() {
			p.kill()
		}
	}()
	err = waitListening(a.ctx, p, a.svc.port, configDeadline)
	run.took = time.Since(start)
	switch {
	case err == nil:
		run.listened = true
	case p.exited():
		p.out.waitClosed(time.Second)
		run.exited, run.code = true, p.exitCode()
	}
	run.output = p.out.tail(20)
	return run
}

func checkRefusesWithoutSecrets(a *Audit) Result {
	r := a.configRun
	if r == nil || r.err != nil {
		return fail("the service could not be started without its secrets: %v", r.err)
	}
	withheld := "withheld " + listOrNone(r.withheld)
	switch {
	case r.listened && len(r.withheld) == 0 && len(a.required) == 0:
		return pass("started in the %s profile with no secret given and asked for none", a.opts.Profile)
	case r.listened:
		return fail("%s, the service started anyway and listened after %v", withheld, r.took.Round(time.Millisecond))
	case !r.exited:
		return fail("%s, the service neither exited nor listened within %v", withheld, configDeadline)
	case r.code == 0:
		return fail("%s, the service exited with status 0 after %v: a supervisor takes that for success", withheld, r.took.Round(time.Millisecond))
	}
	return pass("%s, it exited with status %d after %v", withheldOrLearned(r.withheld, a.required), r.code, r.took.Round(time.Millisecond))
}

func checkNamesMissingKey(a *Audit) Result {
	r := a.configRun
	if r == nil || !r.exited || r.code == 0 {
		return notRun("the service did not refuse to start without secrets (see config.refuses-without-secrets)")
	}
	missing := append(append([]string(nil), r.withheld...), a.required...)
	for _, name := range missing {
		key := strings.ToLower(name)
		if strings.Contains(r.output, name) || strings.Contains(strings.ToLower(r.output), key[strings.Index(key, "_")+1:]) {
			return pass("the refusal names %s:\n%s", name, r.output)
		}
	}
	if len(missing) == 0 {
		return fail("the service exited (status %d) without naming a secret-looking setting (*_KEY, *_TOKEN, *_PASSWORD, *_SECRET):\n%s", r.code, r.output)
	}
	return fail("the refusal names none of %s:\n%s", strings.Join(missing, ", "), r.output)
}

func withheldOrLearned(withheld, required []string) string {
	if len(withheld) > 0 {
		return "withheld " + strings.Join(withheld, ", ")
	}
	return "without " + strings.Join(required, ", ")
}

func listOrNone(s []string) string {
	if len(s) == 0 {
		return "nothing"
	}
	return strings.Join(s, ", ")
}
