package probe

import (
	"crypto/tls"
	"encoding/json"
	"net"
	"net/http/httptrace"
	"net/textproto"
	"slices"
	"sync"
	"time"
)

// Phase names a point of a request's life, in curl's -w terms. Every
// phase is measured from the same start (before name resolution), so the
// values are cumulative: connect includes namelookup, and so on.
type Phase string

// The phases, in order.
const (
	PhaseNameLookup    Phase = "namelookup"    // name resolution done (curl time_namelookup)
	PhaseConnect       Phase = "connect"       // TCP connected (time_connect)
	PhaseAppConnect    Phase = "appconnect"    // TLS handshake done; 0 over plain HTTP (time_appconnect)
	PhasePreTransfer   Phase = "pretransfer"   // the connection is ready for the request (time_pretransfer)
	PhasePostTransfer  Phase = "posttransfer"  // the request is written, body included (time_posttransfer)
	PhaseStartTransfer Phase = "starttransfer" // the first response byte arrived (time_starttransfer)
	PhaseTotal         Phase = "total"         // the body was read to its end (time_total)
)

// Phases lists every phase in order.
var Phases = []Phase{PhaseNameLookup, PhaseConnect, PhaseAppConnect, PhasePreTransfer, PhasePostTransfer, PhaseStartTransfer, PhaseTotal}

// Timings are the phases of one request, cumulative from its start. A
// phase the request did not reach is zero (check Reached).
type Timings struct {
	NameLookup    time.Duration
	Connect       time.Duration
	AppConnect    time.Duration
	PreTransfer   time.Duration
	PostTransfer  time.Duration
	StartTransfer time.Duration
	Total         time.Duration
	// FirstInterim is when the first 1xx response arrived (0 when none);
	// StartTransfer counts the first byte of any response, 1xx included.
	FirstInterim time.Duration
	// Reached is the last phase completed, "" when not even name
	// resolution finished.
	Reached Phase
	// DNS is true when a name lookup actually ran (not an IP literal or a
	// --resolve entry).
	DNS bool
}

// Get returns the value of phase p.
func (t Timings) Get(p Phase) time.Duration {
	switch p {
	case PhaseNameLookup:
		return t.NameLookup
	case PhaseConnect:
		return t.Connect
	case PhaseAppConnect:
		return t.AppConnect
	case PhasePreTransfer:
		return t.PreTransfer
	case PhasePostTransfer:
		return t.PostTransfer
	case PhaseStartTransfer:
		return t.StartTransfer
	case PhaseTotal:
		return t.Total
	}
	return 0
}

// Stat summarises one phase over repeated runs.
type Stat struct {
	Min, Median, P90, Max time.Duration
	N                     int
}

// Summarize computes min, median, p90 and max of each phase over runs
// (nearest-rank percentiles).
func Summarize(runs []Timings) map[Phase]Stat {
	out := map[Phase]Stat{}
	if len(runs) == 0 {
		return out
	}
	for _, p := range Phases {
		v := make([]time.Duration, len(runs))
		for i, r := range runs {
			v[i] = r.Get(p)
		}
		slices.Sort(v)
		out[p] = Stat{Min: v[0], Median: Percentile(v, 50), P90: Percentile(v, 90), Max: v[len(v)-1], N: len(v)}
	}
	return out
}

// Percentile returns the nearest-rank q-th percentile of sorted v; the
// median of an even count is the mean of the two middle values.
func Percentile(sorted []time.Duration, q int) time.Duration {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	if q == 50 {
		if n%2 == 0 {
			return (sorted[n/2-1] + sorted[n/2]) / 2
		}
		return sorted[n/2]
	}
	rank := (q*n + 99) / 100 // ceil(q/100 * n)
	return sorted[max(0, min(n-1, rank-1))]
}

// ms renders a duration as milliseconds with microsecond precision for JSON.
type ms time.Duration

func (d ms) MarshalJSON() ([]byte, error) {
	return json.Marshal(float64(time.Duration(d).Microseconds()) / 1000)
}

// hopState collects what the trace hooks and dialers see; hooks can fire
// late and concurrently, so everything is under mu.
type hopState struct {
	mu                                                          sync.Mutex
	dnsDone, connectStart, connectDone, tlsDone, gotConn, wrote time.Time
	firstByte, first1xx                                         time.Time
	dns                                                         bool
	// pick is how long the dialer took to pick the address itself (an IP
	// literal, --resolve, --connect-to); pickDone says it did.
	pick          time.Duration
	pickDone      bool
	remote, local string
	tls           *tls.ConnectionState
	captures      []*captureConn
}

func (s *hopState) markFirst(t *time.Time) {
	now := time.Now()
	s.mu.Lock()
	if t.IsZero() {
		*t = now
	}
	s.mu.Unlock()
}

func (s *hopState) trace() *httptrace.ClientTrace {
	return &httptrace.ClientTrace{
		DNSDone: func(info httptrace.DNSDoneInfo) {
			if info.Err != nil {
				return
			}
			s.markFirst(&s.dnsDone)
			s.mu.Lock()
			s.dns = true
			s.mu.Unlock()
		},
		ConnectStart: func(string, string) { s.markFirst(&s.connectStart) },
		ConnectDone: func(_, _ string, err error) {
			if err == nil {
				s.markFirst(&s.connectDone)
			}
		},
		GotConn: func(info httptrace.GotConnInfo) {
			s.markFirst(&s.gotConn)
			s.mu.Lock()
			if info.Conn != nil && s.remote == "" {
				s.remote, s.local = info.Conn.RemoteAddr().String(), info.Conn.LocalAddr().String()
			}
			s.mu.Unlock()
		},
		WroteRequest:         func(httptrace.WroteRequestInfo) { s.markFirst(&s.wrote) },
		Got1xxResponse:       func(int, textproto.MIMEHeader) error { s.markFirst(&s.first1xx); return nil },
		GotFirstResponseByte: func() { s.markFirst(&s.firstByte) },
	}
}

// picked records the first address pick of the hop.
func (s *hopState) picked(d time.Duration) {
	s.mu.Lock()
	if !s.pickDone {
		s.pick, s.pickDone = d, true
	}
	s.mu.Unlock()
}

// capture wraps c in a [captureConn] of the hop that keeps at most limit bytes.
func (s *hopState) capture(c net.Conn, limit int) *captureConn {
	cc := newCaptureConn(c, limit)
	s.mu.Lock()
	s.captures = append(s.captures, cc)
	s.mu.Unlock()
	return cc
}

// timings converts the marks to curl's cumulative phases.
func (s *hopState) timings(start, end time.Time, bodyDone bool) Timings {
	s.mu.Lock()
	defer s.mu.Unlock()
	since := func(t time.Time) time.Duration {
		if t.IsZero() {
			return 0
		}
		return t.Sub(start)
	}
	t := Timings{DNS: s.dns}
	// Without a lookup (an IP literal or --resolve) there is nothing to
	// wait for: curl reports the microseconds its resolver took to return
	// the address, and so does the probe (the time its dialer took to pick
	// it, at least 1µs so the phase counts as reached). The client's own
	// set-up before dialling then shows in connect, where curl's shows too.
	switch {
	case s.dns:
		t.NameLookup = since(s.dnsDone)
	case s.pickDone:
		t.NameLookup = max(s.pick, time.Microsecond)
	}
	t.Connect = since(s.connectDone)
	t.AppConnect = since(s.tlsDone)
	t.PreTransfer = since(s.gotConn)
	t.PostTransfer = since(s.wrote)
	t.StartTransfer = since(s.firstByte)
	t.FirstInterim = since(s.first1xx)
	// Over HTTP/2 the read loop can see the response before the writing
	// goroutine reports WroteRequest; the request was necessarily sent by
	// the time an answer arrived, so posttransfer is at most starttransfer.
	if t.StartTransfer > 0 && t.PostTransfer > t.StartTransfer {
		t.PostTransfer = t.StartTransfer
	}
	if bodyDone {
		t.Total = end.Sub(start)
	}
	for _, p := range []struct {
		ph Phase
		v  time.Duration
	}{{PhaseNameLookup, t.NameLookup}, {PhaseConnect, t.Connect}, {PhaseAppConnect, t.AppConnect}, {PhasePreTransfer, t.PreTransfer}, {PhasePostTransfer, t.PostTransfer}, {PhaseStartTransfer, t.StartTransfer}, {PhaseTotal, t.Total}} {
		if p.v > 0 {
			t.Reached = p.ph
		}
	}
	return t
}
