package lint_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/golocal/golocal/internal/lint"
)

func TestParseRaw(t *testing.T) {
	cases := []struct {
		name  string
		in    string
		check func(t *testing.T, r *lint.RawResponse)
	}{
		{"clean", "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nhi", func(t *testing.T, r *lint.RawResponse) {
			if r.StatusCode != 200 || r.Reason != "OK" || len(r.Fields) != 2 || string(r.Body) != "hi" || !r.Complete || r.BodyFraming != "content-length" {
				t.Errorf("%+v", r)
			}
			if r.BareLFLines != 0 || r.Fields[0].Flags != 0 {
				t.Errorf("unexpected flags %+v", r.Fields[0])
			}
		}},
		{"bare LF everywhere", "HTTP/1.1 200 OK\nA: 1\n\nbody", func(t *testing.T, r *lint.RawResponse) {
			if r.BareLFLines != 3 || !r.Fields[0].Has(lint.FlagBareLF) || string(r.Body) != "body" || r.BodyFraming != "close" || r.Complete {
				t.Errorf("%+v", r)
			}
		}},
		{"bare CR inside a value", "HTTP/1.1 200 OK\r\nA: 1\rB: 2\r\n\r\n", func(t *testing.T, r *lint.RawResponse) {
			if len(r.Fields) != 1 || !r.Fields[0].Has(lint.FlagBareCR) || r.BareCRs != 1 {
				t.Errorf("%+v", r.Fields)
			}
		}},
		{"folded", "HTTP/1.1 200 OK\r\nA: one\r\n\ttwo\r\n  three\r\nB: x\r\n\r\n", func(t *testing.T, r *lint.RawResponse) {
			if len(r.Fields) != 2 || r.Fields[0].Value != "one two three" || !r.Fields[0].Has(lint.FlagFolded) || r.Fields[1].LineNo != 5 {
				t.Errorf("%+v", r.Fields)
			}
		}},
		{"continuation before any field", "HTTP/1.1 200 OK\r\n leading\r\n\r\n", func(t *testing.T, r *lint.RawResponse) {
			if len(r.Fields) != 1 || !r.Fields[0].Has(lint.FlagBadName) || len(r.Errors) == 0 {
				t.Errorf("%+v", r)
			}
		}},
		{"space before colon", "HTTP/1.1 200 OK\r\nContent-Type : text/html\r\n\r\n", func(t *testing.T, r *lint.RawResponse) {
			if f := r.Fields[0]; f.Name != "Content-Type" || !f.Has(lint.FlagWSBeforeColon) || f.Has(lint.FlagBadName) {
				t.Errorf("%+v", f)
			}
		}},
		{"no colon", "HTTP/1.1 200 OK\r\ngarbage line\r\n\r\n", func(t *testing.T, r *lint.RawResponse) {
			if f := r.Fields[0]; !f.Has(lint.FlagNoColon) || !f.Has(lint.FlagBadName) {
				t.Errorf("%+v", f)
			}
		}},
		{"NUL in value", "HTTP/1.1 200 OK\r\nA: x\x00y\r\n\r\n", func(t *testing.T, r *lint.RawResponse) {
			if !r.Fields[0].Has(lint.FlagCtlValue) {
				t.Errorf("%+v", r.Fields[0])
			}
		}},
		{"chunked with extensions and trailers", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n3;ext=1\r\nabc\r\n2\r\nde\r\n0\r\nX-Trailer: 1\r\n\r\n", func(t *testing.T, r *lint.RawResponse) {
			if string(r.Body) != "abcde" || !r.Chunked || !r.Complete || r.ClosedEarly || len(r.TransferEncodings) != 2 {
				t.Errorf("%+v", r)
			}
		}},
		{"chunked cut short", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nabc", func(t *testing.T, r *lint.RawResponse) {
			if !r.ClosedEarly || r.Complete || string(r.Body) != "abc" {
				t.Errorf("%+v", r)
			}
		}},
		{"chunk size garbage", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n", func(t *testing.T, r *lint.RawResponse) {
			if len(r.Errors) == 0 || r.Complete {
				t.Errorf("%+v", r)
			}
		}},
		{"huge chunk size", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFFF\r\nabc", func(t *testing.T, r *lint.RawResponse) {
			if len(r.Errors) == 0 {
				t.Errorf("%+v", r)
			}
		}},
		{"content-length comma list", "HTTP/1.1 200 OK\r\nContent-Length: 2, 2\r\n\r\nhi", func(t *testing.T, r *lint.RawResponse) {
			if len(r.ContentLengths) != 2 || r.ExpectedLength != 2 || string(r.Body) != "hi" {
				t.Errorf("%+v", r)
			}
		}},
		{"negative content-length", "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\nhi", func(t *testing.T, r *lint.RawResponse) {
			if r.ExpectedLength != -1 || r.BodyFraming != "close" || len(r.Errors) == 0 {
				t.Errorf("%+v", r)
			}
		}},
		{"extra bytes after content-length", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhiEXTRA", func(t *testing.T, r *lint.RawResponse) {
			if r.ExtraBytes != 5 || string(r.Body) != "hi" {
				t.Errorf("%+v", r)
			}
		}},
		{"interim 103 then 200", "HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", func(t *testing.T, r *lint.RawResponse) {
			if r.StatusCode != 200 || len(r.Interim) != 1 || r.Interim[0].StatusCode != 103 {
				t.Errorf("%+v", r)
			}
		}},
		{"304 has no body", "HTTP/1.1 304 Not Modified\r\nContent-Length: 100\r\n\r\n", func(t *testing.T, r *lint.RawResponse) {
			if !r.Complete || r.ClosedEarly || r.BodyFraming != "none" {
				t.Errorf("%+v", r)
			}
		}},
		{"head cut in the middle", "HTTP/1.1 200 OK\r\nA: 1\r\nB: ", func(t *testing.T, r *lint.RawResponse) {
			if r.HeadComplete || len(r.Errors) == 0 || len(r.Fields) != 2 {
				t.Errorf("%+v", r)
			}
		}},
		{"bad status code", "HTTP/1.1 2x0 OK\r\n\r\n", func(t *testing.T, r *lint.RawResponse) {
			if r.StatusCode != 0 || len(r.Errors) == 0 {
				t.Errorf("%+v", r)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, err := lint.ParseRaw([]byte(tc.in))
			if err != nil {
				t.Fatalf("ParseRaw: %v", err)
			}
			tc.check(t, r)
		})
	}
}

func TestParseRawNotHTTP(t *testing.T) {
	for _, in := range []string{"", "\x16\x03\x01\x02\x00", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "garbage"} {
		r, err := lint.ParseRaw([]byte(in))
		if !errors.Is(err, lint.ErrNotHTTP) || r == nil {
			t.Errorf("ParseRaw(%q) = %v, %v; want ErrNotHTTP and a non-nil response", in, r, err)
		}
	}
}

func TestParseRawHEAD(t *testing.T) {
	r, _ := lint.ParseRawFor("HEAD", []byte("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n"))
	if !r.Complete || r.ClosedEarly || r.BodyFraming != "none" {
		t.Errorf("%+v", r)
	}
}

// TestHostileInput feeds huge and invalid input through the parser and
// every rule: the process must neither crash nor keep unbounded memory,
// and every printed string must be valid, escaped text.
func TestHostileInput(t *testing.T) {
	tenMB := 10 << 20
	cases := map[string][]byte{
		"10 MB header line":      []byte("HTTP/1.1 200 OK\r\nX-Big: " + strings.Repeat("a", tenMB) + "\r\n\r\n"),
		"10 MB of folded lines":  []byte("HTTP/1.1 200 OK\r\nX-Fold: a\r\n" + strings.Repeat(" b\r\n", tenMB/4) + "\r\n"),
		"200k tiny fields":       []byte("HTTP/1.1 200 OK\r\n" + strings.Repeat("A:\n", 200000) + "\r\n"),
		"10 MB set-cookie":       []byte("HTTP/1.1 200 OK\r\nSet-Cookie: s=" + strings.Repeat("\xff;", tenMB/2) + "\r\n\r\n"),
		"10 MB CSP":              []byte("HTTP/1.1 200 OK\r\nContent-Security-Policy: " + strings.Repeat("script-src 'unsafe-inline';,", tenMB/28) + "\r\n\r\n"),
		"invalid UTF-8 anywhere": []byte("HTTP/1.1 200 \xff\xfe\r\nX-\xc3\x28: \xe2\x82\r\nSet-Cookie: \xf0\x28\x8c\x28=\xff; SameSite=\xfe\r\nLocation: \xff\r\nLocation: \xfe\r\nContent-Type: text/\xffhtml; charset =\xfe\r\nServer: \xe2\x80\xae1\r\n\r\n\xff\xfe"),
		"bidi and escapes":       []byte("HTTP/1.1 200 OK\r\nX-A: \x1b[31mred\u202e\r\nX-A: other\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"),
	}
	for name, in := range cases {
		t.Run(name, func(t *testing.T) {
			r, _ := lint.ParseRaw(in)
			for _, f := range r.Fields {
				if len(f.Line) > lint.MaxLineBytes || len(f.Value) > lint.MaxValueBytes {
					t.Fatalf("field kept %d line bytes, %d value bytes", len(f.Line), len(f.Value))
				}
			}
			if len(r.Fields) > lint.MaxFields {
				t.Fatalf("kept %d fields", len(r.Fields))
			}
			ex := &lint.Exchange{URL: mustURL(t, "https://example.test/"), Proto: "HTTP/1.1", Raw: r, Received: time.Now()}
			rep := lint.Run(ex, lint.Options{})
			for _, f := range rep.Findings {
				for _, s := range []string{f.Message, f.Evidence, f.Fix} {
					if !utf8.ValidString(s) || strings.ContainsAny(s, "\x1b\r\n\x00\u202e") {
						t.Fatalf("unsafe output in %s: %q", f.Rule, s)
					}
					if len(s) > 2000 {
						t.Fatalf("%s: output of %d bytes", f.Rule, len(s))
					}
				}
			}
		})
	}
}

func TestEscape(t *testing.T) {
	cases := map[string]string{
		"plain":                  "plain",
		"a\r\nb":                 `a\r\nb`,
		"\x00\x7f\x1b":           `\x00\x7f\x1b`,
		"\xff":                   `\xff`,
		"é✓":                     "é✓",
		"\u202eevil":             `\u202eevil`,
		`back\slash`:             `back\\slash`,
		strings.Repeat("a", 400): strings.Repeat("a", 300) + "… (400 bytes)",
	}
	for in, want := range cases {
		if got := lint.Escape(in); got != want {
			t.Errorf("Escape(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzParseRaw(f *testing.F) {
	for _, s := range []string{
		"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi",
		"HTTP/1.1 200 OK\nA: 1\n b\n\n",
		"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
		"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n",
		"HTTP/1.0 200\r\nSet-Cookie: a=b; SameSite=None\r\nContent-Security-Policy: script-src *\r\n\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := lint.ParseRaw(b)
		if r == nil {
			t.Fatal("nil response")
		}
		if err == nil && !bytes.HasPrefix(b, []byte("HTTP/")) {
			t.Fatalf("no error for input without status line")
		}
		if int64(len(r.Body)) > int64(len(b)) {
			t.Fatalf("body longer than input")
		}
		rep := lint.Run(&lint.Exchange{URL: mustURL(t, "https://example.test/a.js"), Raw: r}, lint.Options{})
		for _, f := range rep.Findings {
			if !utf8.ValidString(f.Evidence) || !utf8.ValidString(f.Message) {
				t.Fatalf("invalid UTF-8 in finding %+v", f)
			}
		}
	})
}
