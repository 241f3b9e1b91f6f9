package probe

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"

	"github.com/golocal/golocal/internal/lint"
	"github.com/golocal/golocal/internal/lint/linttest"
)

// TestRawH2View serves HTTP/2 from raw frames and checks that the probe's
// untimed raw HTTP/2 exchange sees field names as sent, so h2-uppercase and
// h2-conn-specific fire with the field as evidence, while Go's own client
// refuses (upper case) or silently canonicalises (connection) them.
func TestRawH2View(t *testing.T) {
	tests := []struct {
		name   string
		fields []linttest.H2Field
		// refused: Go's client refuses the response (a finding, exit 1).
		refused bool
		want    map[string]string // rule id -> evidence it must carry
	}{
		{"capitals and connection", []linttest.H2Field{{Name: ":status", Value: "200"}, {Name: "Content-Type", Value: "text/plain; charset=utf-8"}, {Name: "x-content-type-options", Value: "nosniff"}, {Name: "connection", Value: "keep-alive"}},
			true, map[string]string{"h2-uppercase": "Content-Type: text/plain; charset=utf-8", "h2-conn-specific": "connection: keep-alive"}},
		{"connection only", []linttest.H2Field{{Name: ":status", Value: "200"}, {Name: "content-type", Value: "text/plain; charset=utf-8"}, {Name: "x-content-type-options", Value: "nosniff"}, {Name: "connection", Value: "keep-alive"}, {Name: "transfer-encoding", Value: "chunked"}},
			false, map[string]string{"h2-conn-specific": "transfer-encoding: chunked"}},
		{"capitals only", []linttest.H2Field{{Name: ":status", Value: "404"}, {Name: "content-type", Value: "text/plain; charset=utf-8"}, {Name: "X-Content-Type-Options", Value: "nosniff"}},
			true, map[string]string{"h2-uppercase": "X-Content-Type-Options: nosniff"}},
		{"clean", []linttest.H2Field{{Name: ":status", Value: "200"}, {Name: "content-type", Value: "text/plain; charset=utf-8"}, {Name: "x-content-type-options", Value: "nosniff"}},
			false, map[string]string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := linttest.ServeH2(t, linttest.H2Response{Fields: tt.fields, Body: []byte("hello")})
			rep := Probe(context.Background(), mustURL(t, srv.URL()+"/"), Config{Options: Options{RootCAs: srv.Roots(), Timeout: 5 * time.Second}})
			if rep.Error != nil {
				t.Fatalf("request failed: %s", rep.Error.Message)
			}
			hop := rep.Results[0].Final()
			if hop.Proto != "HTTP/2.0" || hop.ALPN != "h2" {
				t.Errorf("proto %q ALPN %q, want HTTP/2.0 over h2", hop.Proto, hop.ALPN)
			}
			if hop.H2Fields == nil {
				t.Fatalf("no raw HTTP/2 view: %s", hop.H2Error)
			}
			for i, f := range tt.fields {
				if i >= len(hop.H2Fields) || hop.H2Fields[i].Name != f.Name || hop.H2Fields[i].Value != f.Value {
					t.Errorf("raw field %d = %+v, want %+v as sent", i, hop.H2Fields[min(i, len(hop.H2Fields)-1)], f)
				}
			}
			if tt.refused {
				// Go's refusal is reported as what it was: its own error,
				// a finding (exit 1), not a failed request (exit 3).
				if !strings.Contains(hop.ClientError, "PROTOCOL_ERROR") || !strings.Contains(hop.ClientError, "invalid header field name") || hop.Status != 0 {
					t.Errorf("client error %q status %d; want Go's PROTOCOL_ERROR refusal and status 0", hop.ClientError, hop.Status)
				}
				if rep.Hops[0].ClientError == "" || rep.ExitCode != ExitFailure {
					t.Errorf("JSON hop client_error %q, exit %d; want the refusal and exit 1", rep.Hops[0].ClientError, rep.ExitCode)
				}
				if len(rep.Hops[0].Headers) == 0 || rep.Hops[0].Headers[0].Name != tt.fields[1].Name {
					t.Errorf("headers of a refused HTTP/2 response: %+v; want the raw fields as sent", rep.Hops[0].Headers)
				}
			} else if hop.ClientError != "" || hop.Status != 200 {
				t.Errorf("Go's client: status %d error %q; want it to accept the response", hop.Status, hop.ClientError)
			}
			for _, id := range []string{"h2-uppercase", "h2-conn-specific"} {
				for _, s := range rep.Lint.Skipped {
					if s.Rule == id {
						t.Errorf("%s skipped: %s", id, s.Reason)
					}
				}
				ev, want := tt.want[id]
				var got []string
				for _, f := range rep.Lint.Findings {
					if f.Rule == id {
						got = append(got, f.Evidence)
					}
				}
				if want != (len(got) > 0) {
					t.Errorf("%s fired = %v (evidence %q), want %v", id, len(got) > 0, got, want)
				}
				if want && !contains(got, ev) {
					t.Errorf("%s evidence %q, want %q among them", id, got, ev)
				}
			}
			// The raw exchange is a second request on its own connection.
			if n := len(srv.Requests()); n != 2 {
				t.Errorf("server saw %d requests, want 2 (the timed one and the raw one)", n)
			}
			if reqs := srv.Requests(); len(reqs) == 2 && !strings.Contains(string(reqs[1]), "user-agent: "+UserAgent) {
				t.Errorf("raw request %q lacks the probe's user agent", reqs[1])
			}
		})
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// TestRawH2WellBehaved: net/http's own HTTP/2 server sends lower-case
// names and no connection-specific fields, so neither rule fires, and
// neither is skipped.
func TestRawH2WellBehaved(t *testing.T) {
	srv, pool := tlsServer(t, http.HandlerFunc(hello), true)
	rep := Probe(context.Background(), mustURL(t, srv.URL+"/"), Config{Options: Options{RootCAs: pool}})
	if rep.Error != nil {
		t.Fatal(rep.Error.Message)
	}
	hop := rep.Results[0].Final()
	if hop.H2Fields == nil || hop.H2Fields[0].Name != ":status" {
		t.Fatalf("raw HTTP/2 view: %+v %s", hop.H2Fields, hop.H2Error)
	}
	for _, id := range []string{"h2-uppercase", "h2-conn-specific"} {
		if rep.Lint.Has(id) {
			t.Errorf("%s fired on net/http's server: %+v", id, rep.Lint.Findings)
		}
		for _, s := range rep.Lint.Skipped {
			if s.Rule == id {
				t.Errorf("%s skipped: %s", id, s.Reason)
			}
		}
	}
}

// TestRawH2Bounded: the raw exchange stops at MaxHeaderBytes and within
// the run's timeout, and its failure is a skip reason, not a failed probe.
func TestRawH2Bounded(t *testing.T) {
	big := strings.Repeat("a", 3<<20)
	tests := []struct {
		name    string
		respond func(conn int, _ []linttest.H2Field) linttest.H2Response
		opts    Options
		reason  string
	}{
		{"stalls", func(conn int, _ []linttest.H2Field) linttest.H2Response {
			return linttest.H2Response{Fields: []linttest.H2Field{{Name: ":status", Value: "200"}, {Name: "content-type", Value: "text/plain"}}, Stall: conn > 1}
		}, Options{Timeout: time.Second}, "within --timeout"},
		{"huge head", func(conn int, _ []linttest.H2Field) linttest.H2Response {
			fs := []linttest.H2Field{{Name: ":status", Value: "200"}, {Name: "content-type", Value: "text/plain"}}
			if conn > 1 {
				fs = append(fs, linttest.H2Field{Name: "x-big", Value: big})
			}
			return linttest.H2Response{Fields: fs}
		}, Options{Timeout: 5 * time.Second, MaxHeaderBytes: 1 << 20}, "larger than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := linttest.ServeH2Func(t, tt.respond)
			opts := tt.opts
			opts.RootCAs = srv.Roots()
			start := time.Now()
			res := Run(context.Background(), mustURL(t, srv.URL()+"/"), opts)
			took := time.Since(start)
			if res.Err != nil {
				t.Fatalf("the timed request failed: %v", res.Err)
			}
			h := res.Final()
			if h.H2Fields != nil || !strings.Contains(h.H2Error, tt.reason) {
				t.Errorf("raw view %v, error %q; want none and an error containing %q", h.H2Fields, h.H2Error, tt.reason)
			}
			if took > opts.Timeout+time.Second {
				t.Errorf("took %v with --timeout %v", took, opts.Timeout)
			}
			rep := lint.Run(h.Exchange, lint.Options{})
			found := false
			for _, s := range rep.Skipped {
				if s.Rule == "h2-uppercase" {
					found = strings.Contains(s.Reason, tt.reason)
				}
			}
			if !found {
				t.Errorf("h2-uppercase not skipped with the raw exchange's error: %+v", rep.Skipped)
			}
		})
	}
}

// h2Frames renders a server's first frames: SETTINGS, then a header
// block (split into HEADERS and CONTINUATION at frag bytes) on stream 1.
func h2Frames(t testing.TB, fields []linttest.H2Field, frag int) []byte {
	t.Helper()
	var out bytes.Buffer
	fr := http2.NewFramer(&out, nil)
	var block bytes.Buffer
	enc := hpack.NewEncoder(&block)
	for _, f := range fields {
		_ = enc.WriteField(hpack.HeaderField{Name: f.Name, Value: f.Value})
	}
	_ = fr.WriteSettings()
	b := block.Bytes()
	first := b[:min(len(b), frag)]
	b = b[len(first):]
	_ = fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: first, EndHeaders: len(b) == 0})
	for len(b) > 0 {
		f := b[:min(len(b), frag)]
		b = b[len(f):]
		_ = fr.WriteContinuation(1, len(b) == 0, f)
	}
	return out.Bytes()
}

func readHeadFrom(data []byte, maxHead int64) (*h2Head, error) {
	bw := bufio.NewWriter(io.Discard)
	lr := &limitedConnReader{r: bytes.NewReader(data), n: maxHead + rawH2SlackBytes}
	fr := http2.NewFramer(bw, lr)
	fr.SetMaxReadFrameSize(rawH2MaxFrame)
	head, _, err := readH2Head(fr, bw, maxHead)
	return head, err
}

func TestReadH2Head(t *testing.T) {
	fs := []linttest.H2Field{{Name: ":status", Value: "103"}, {Name: "link", Value: "</a.css>; rel=preload"}}
	interim := h2Frames(t, fs, 16384)
	final := h2Frames(t, []linttest.H2Field{{Name: ":status", Value: "204"}, {Name: "X-Upper", Value: "1"}, {Name: "x-big", Value: strings.Repeat("v", 40000)}}, 1000)
	head, err := readHeadFrom(append(interim, final...), 1<<20)
	if err != nil || head.Status != 204 || len(head.Fields) != 3 || head.Fields[1].Name != "X-Upper" {
		t.Fatalf("head %+v err %v; want the final 204 with X-Upper as sent, CONTINUATIONs joined", head, err)
	}
	if _, err := readHeadFrom(final, 10000); err == nil || !strings.Contains(err.Error(), "larger than 10000") {
		t.Errorf("over the cap: err %v", err)
	}
	if _, err := readHeadFrom(final[:len(final)/2], 1<<20); err == nil || !strings.Contains(err.Error(), "closed the connection") {
		t.Errorf("cut short: err %v", err)
	}
}

// FuzzReadH2Head feeds arbitrary server bytes to the raw HTTP/2 reader: it
// must return (fields or an error) without panicking, within its caps.
func FuzzReadH2Head(f *testing.F) {
	f.Add(h2Frames(f, []linttest.H2Field{{Name: ":status", Value: "200"}, {Name: "Content-Type", Value: "text/plain"}}, 16384))
	f.Add(h2Frames(f, []linttest.H2Field{{Name: ":status", Value: "100"}, {Name: ":status", Value: "200"}, {Name: "connection", Value: "close"}}, 3))
	f.Add([]byte{0, 0, 0, 4, 0, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		const maxHead = 4096
		head, err := readHeadFrom(data, maxHead)
		if err == nil {
			var n int64
			for _, fl := range head.Fields {
				n += int64(len(fl.Name) + len(fl.Value) + 32)
			}
			if n > maxHead || head.BlockBytes > maxHead {
				t.Fatalf("head of %d decoded / %d encoded bytes passed the %d cap", n, head.BlockBytes, maxHead)
			}
		}
	})
}
