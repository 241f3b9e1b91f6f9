package linttest

import (
	"bytes"
	"crypto/tls"
	"io"
	"net"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// H2Field is one header field of an HTTP/2 message. ServeH2 HPACK-encodes
// the name exactly as given, capitals included: no well-behaved HTTP/2
// stack lets a test send that.
type H2Field struct{ Name, Value string }

// H2Response is what an HTTP/2 test server answers a request with.
type H2Response struct {
	// Fields are sent in order in one header block (split into HEADERS
	// and CONTINUATION frames of 16 KiB); they should start with ":status".
	Fields []H2Field
	// Body is sent in DATA frames after the header block. Keep it under
	// 64 KiB: the server does not wait for flow-control credit.
	Body []byte
	// Stall makes the server send nothing for this request and wait
	// until the client goes away (or 10 s pass).
	Stall bool
}

// ServeH2 starts a TLS server on loopback that speaks HTTP/2 from raw
// frames (ALPN offers only h2) and answers every request with resp. It is
// written with the x/net Framer and HPACK encoder, not net/http, so it can
// send what a conforming server never would: upper-case field names,
// connection-specific fields such as Connection or Transfer-Encoding. It
// stops when the test ends.
//
//	srv := linttest.ServeH2(t, linttest.H2Response{Fields: []linttest.H2Field{
//		{":status", "200"}, {"Content-Type", "text/plain"}, {"connection", "keep-alive"}}})
func ServeH2(t testing.TB, resp H2Response) *Server {
	return ServeH2Func(t, func(int, []H2Field) H2Response { return resp })
}

// ServeH2Func is [ServeH2] with an answer chosen per request: respond gets
// the connection's number (1 for the first connection accepted) and the
// request's header fields as decoded, and runs on the connection's
// goroutine. [Server.Requests] returns each request's fields rendered as
// "name: value\r\n" lines.
func ServeH2Func(t testing.TB, respond func(conn int, request []H2Field) H2Response) *Server {
	t.Helper()
	cert, roots, err := selfSigned()
	if err != nil {
		t.Fatalf("linttest: make a test certificate: %v", err)
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"h2"}, MinVersion: tls.VersionTLS12}
	return start(t, nil, respond, cfg, roots)
}

// h2FragmentSize is the size of the HEADERS, CONTINUATION and DATA frames
// the server writes: the smallest maximum every peer must accept.
const h2FragmentSize = 16384

// serveH2 runs one HTTP/2 connection: the client preface, SETTINGS both
// ways, then an answer to each request until the client goes away.
func (s *Server) serveH2(conn net.Conn, n int) {
	preface := make([]byte, len(http2.ClientPreface))
	if _, err := io.ReadFull(conn, preface); err != nil || string(preface) != http2.ClientPreface {
		return
	}
	fr := http2.NewFramer(conn, conn)
	fr.SetMaxReadFrameSize(1 << 20)
	if err := fr.WriteSettings(); err != nil {
		return
	}
	var fields []H2Field
	dec := hpack.NewDecoder(4096, func(f hpack.HeaderField) { fields = append(fields, H2Field{f.Name, f.Value}) })
	dec.SetMaxStringLength(maxRequestHead)
	var block int // bytes of the current request's header block
	for {
		f, err := fr.ReadFrame()
		if err != nil {
			return
		}
		var frag []byte
		var stream uint32
		var ended bool
		switch f := f.(type) {
		case *http2.SettingsFrame:
			if !f.IsAck() {
				if fr.WriteSettingsAck() != nil {
					return
				}
			}
			continue
		case *http2.PingFrame:
			if !f.IsAck() {
				if fr.WritePing(true, f.Data) != nil {
					return
				}
			}
			continue
		case *http2.GoAwayFrame:
			return
		case *http2.HeadersFrame:
			frag, stream, ended = f.HeaderBlockFragment(), f.StreamID, f.HeadersEnded()
		case *http2.ContinuationFrame:
			frag, stream, ended = f.HeaderBlockFragment(), f.StreamID, f.HeadersEnded()
		default:
			continue // DATA of a request body, WINDOW_UPDATE, RST_STREAM, PRIORITY
		}
		if block += len(frag); block > maxRequestHead {
			return
		}
		if _, err := dec.Write(frag); err != nil {
			return
		}
		if !ended {
			continue
		}
		req := fields
		fields, block = nil, 0
		var head bytes.Buffer
		for _, f := range req {
			head.WriteString(f.Name + ": " + f.Value + "\r\n")
		}
		s.mu.Lock()
		s.requests = append(s.requests, head.Bytes())
		s.mu.Unlock()
		resp := s.h2(n, req)
		if resp.Stall {
			_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
			_, _ = io.Copy(io.Discard, conn)
			return
		}
		if writeH2Response(fr, stream, resp) != nil {
			return
		}
	}
}

func writeH2Response(fr *http2.Framer, stream uint32, resp H2Response) error {
	var block bytes.Buffer
	enc := hpack.NewEncoder(&block)
	for _, f := range resp.Fields {
		if err := enc.WriteField(hpack.HeaderField{Name: f.Name, Value: f.Value}); err != nil {
			return err
		}
	}
	b := block.Bytes()
	first := b[:min(len(b), h2FragmentSize)]
	b = b[len(first):]
	err := fr.WriteHeaders(http2.HeadersFrameParam{StreamID: stream, BlockFragment: first, EndStream: len(resp.Body) == 0, EndHeaders: len(b) == 0})
	for err == nil && len(b) > 0 {
		frag := b[:min(len(b), h2FragmentSize)]
		b = b[len(frag):]
		err = fr.WriteContinuation(stream, len(b) == 0, frag)
	}
	body := resp.Body
	for err == nil && len(body) > 0 {
		chunk := body[:min(len(body), h2FragmentSize)]
		body = body[len(chunk):]
		err = fr.WriteData(stream, len(body) == 0, chunk)
	}
	return err
}
