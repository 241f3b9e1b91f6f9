package middleware

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/golocal/golocal/internal/route"
	"github.com/golocal/golocal/problem"
)

// FaultHeader is the request header [Fault] obeys.
const FaultHeader = "X-Golocal-Fault"

// DefaultMaxFaultLatency bounds latency= when FaultOptions.MaxLatency is 0.
const DefaultMaxFaultLatency = 30 * time.Second

// maxFaultHeaderLength bounds the header so parsing cost stays trivial.
const maxFaultHeaderLength = 256

// FaultOptions configures [NewFault].
type FaultOptions struct {
	// Profile is where the service runs: local, dev, development, test or
	// staging. NewFault refuses prod and production — fault injection
	// lets any client break requests — and refuses anything unknown,
	// so a typo cannot switch it on in production.
	Profile string
	// MaxLatency bounds latency=; 0 means 30s.
	MaxLatency time.Duration
}

// FaultSpec is a parsed fault request.
type FaultSpec struct {
	// Status, when non-zero (400–599), is answered as problem+json
	// instead of calling the handler.
	Status int
	// Latency is waited before anything else (cut short if the client
	// leaves).
	Latency time.Duration
	// Panic makes the request panic (Recover turns it into a 500).
	Panic bool
	// Abort aborts the response: the connection is cut without a
	// response (http.ErrAbortHandler).
	Abort bool
}

// ErrInvalidFault is wrapped by every error of [ParseFault].
var ErrInvalidFault = errors.New("invalid " + FaultHeader + " header")

// Fault is development-only fault injection: a request carrying
// X-Golocal-Fault gets the failure it asks for, so clients, retries,
// timeouts and error pages can be tested against the real service:
//
//	X-Golocal-Fault: status=503
//	X-Golocal-Fault: latency=750ms
//	X-Golocal-Fault: latency=2s, status=504
//	X-Golocal-Fault: panic
//	X-Golocal-Fault: abort
//
// An invalid header is answered with 400 problem+json saying what is
// wrong; requests without the header pass through untouched. Create it
// with [NewFault], which refuses the production profile.
type Fault struct {
	maxLatency time.Duration
}

// NewFault returns the fault injector, or an error under a production (or
// unknown) profile.
func NewFault(opts FaultOptions) (*Fault, error) {
	switch strings.ToLower(opts.Profile) {
	case "local", "dev", "development", "test", "staging":
	case "prod", "production":
		return nil, fmt.Errorf("fault injection refused under profile %q: it lets any client make requests fail; enable it only in local, dev, test or staging", opts.Profile)
	case "":
		return nil, fmt.Errorf("fault injection needs FaultOptions.Profile (local, dev, development, test or staging), so that it cannot be switched on in production by accident")
	default:
		return nil, fmt.Errorf("fault injection refused under unknown profile %q; use local, dev, development, test or staging", opts.Profile)
	}
	if opts.MaxLatency < 0 {
		return nil, fmt.Errorf("fault: MaxLatency %v is negative", opts.MaxLatency)
	}
	f := &Fault{maxLatency: opts.MaxLatency}
	if f.maxLatency == 0 {
		f.maxLatency = DefaultMaxFaultLatency
	}
	return f, nil
}

// Handler returns next wrapped by the fault injector.
func (f *Fault) Handler(next http.Handler) http.Handler { return f.handler(next, nil) }

// handler is Handler; when mux is the handler inside, a fault answered
// before reaching it records the pattern mux would have matched, so the
// access log and the metrics attribute the injected failure to its route.
func (f *Fault) handler(next http.Handler, mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		vals, ok := r.Header[FaultHeader]
		if !ok {
			next.ServeHTTP(w, r)
			return
		}
		if len(vals) != 1 {
			problem.Write(w, r, &problem.Details{Status: http.StatusBadRequest,
				Detail: FaultHeader + " appears more than once; send one header with comma-separated directives"})
			return
		}
		spec, err := ParseFault(vals[0], f.maxLatency)
		if err != nil {
			problem.Write(w, r, &problem.Details{Status: http.StatusBadRequest, Detail: err.Error()})
			return
		}
		if spec.Latency > 0 {
			t := time.NewTimer(spec.Latency)
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
				return // the client left; AccessLog records 499
			}
		}
		if mux != nil && (spec.Abort || spec.Panic || spec.Status != 0) {
			if slot := route.Find(w, r); slot != nil {
				_, pattern := mux.Handler(r)
				slot.Record(pattern)
			}
		}
		switch {
		case spec.Abort:
			panic(http.ErrAbortHandler)
		case spec.Panic:
			panic("middleware.Fault: panic requested by the " + FaultHeader + " request header")
		case spec.Status != 0:
			problem.Write(w, r, &problem.Details{Status: spec.Status,
				Detail: "fault injected on request by the " + FaultHeader + " header"})
		default:
			next.ServeHTTP(w, r)
		}
	})
}

// ParseFault parses an X-Golocal-Fault value: comma-separated directives
// status=NNN (400–599), latency=DURATION (Go syntax, > 0, ≤ maxLatency),
// panic, abort. Each may appear once; panic, abort and status exclude each
// other. Errors say what is wrong without echoing more than a short,
// quoted piece of the input.
func ParseFault(s string, maxLatency time.Duration) (FaultSpec, error) {
	var spec FaultSpec
	bad := func(format string, args ...any) (FaultSpec, error) {
		return FaultSpec{}, fmt.Errorf("%w: %s; write e.g. %q, %q, %q or %q",
			ErrInvalidFault, fmt.Sprintf(format, args...), "status=503", "latency=200ms", "panic", "abort")
	}
	if len(s) > maxFaultHeaderLength {
		return bad("value is %d bytes, at most %d", len(s), maxFaultHeaderLength)
	}
	if strings.TrimSpace(s) == "" {
		return bad("value is empty")
	}
	seen := map[string]bool{}
	for d := range strings.SplitSeq(s, ",") {
		d = strings.Trim(d, " \t")
		name, value, hasValue := strings.Cut(d, "=")
		if seen[name] {
			return bad("directive %s repeated", short(name))
		}
		seen[name] = true
		switch name {
		case "status":
			n, err := strconv.Atoi(value)
			if !hasValue || err != nil || n < 400 || n > 599 || value[0] == '+' || value[0] == '0' {
				return bad("status=%s is not an error status from 400 to 599", short(value))
			}
			spec.Status = n
		case "latency":
			dur, err := time.ParseDuration(value)
			if !hasValue || err != nil || dur <= 0 {
				return bad("latency=%s is not a positive duration like 250ms or 2s", short(value))
			}
			if dur > maxLatency {
				return bad("latency=%s is over the limit of %v", short(value), maxLatency)
			}
			spec.Latency = dur
		case "panic", "abort":
			if hasValue {
				return bad("%s takes no value", name)
			}
			if name == "panic" {
				spec.Panic = true
			} else {
				spec.Abort = true
			}
		case "":
			return bad("empty directive (stray comma?)")
		default:
			return bad("unknown directive %s", short(name))
		}
	}
	n := 0
	for _, b := range []bool{spec.Status != 0, spec.Panic, spec.Abort} {
		if b {
			n++
		}
	}
	if n > 1 {
		return bad("status, panic and abort exclude each other; pick one (latency combines with any)")
	}
	return spec, nil
}

// short quotes at most 32 bytes of hostile input for an error message.
func short(s string) string {
	if len(s) > 32 {
		return strconv.Quote(s[:32]) + "…"
	}
	return strconv.Quote(s)
}
