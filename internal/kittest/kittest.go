package kittest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/golocal/golocal/serve"
)

// Main is a service's main without the process: it parses args (the
// command line after the program name; [Start] passes -addr 127.0.0.1:0
// first), logs to log, passes ready to serve.Options.OnReady, and serves
// until ctx is done, returning nil after a clean stop. A real main calls
// it with os.Args[1:], its logger and a ready that prints the URL.
type Main func(ctx context.Context, args []string, log *slog.Logger, ready func(serve.Ready)) error

// StartTimeout bounds how long [Start] waits for main to call ready.
const StartTimeout = 10 * time.Second

// Service is a running Main.
type Service struct {
	// URL is "http://" and the address of the main server, without a
	// trailing slash.
	URL string
	// AdminURL is the same for the admin server (serve.Options.Admin), or
	// "" without one.
	AdminURL string
	client   *http.Client
	cancel   context.CancelFunc
	done     chan error
}

// Start runs main in a goroutine with the arguments -addr 127.0.0.1:0
// followed by args (a later -addr wins, as with package flag), and a logger
// that discards. It returns once main called ready, or main's error if it
// returned first.
func Start(main Main, args ...string) (*Service, error) {
	args = append([]string{"-addr", "127.0.0.1:0"}, args...)
	ctx, cancel := context.WithCancel(context.Background())
	s := &Service{cancel: cancel, done: make(chan error, 1), client: &http.Client{Timeout: StartTimeout}}
	readies := make(chan serve.Ready, 1)
	ready := func(r serve.Ready) {
		select {
		case readies <- r:
		default:
		}
	}
	go func() { s.done <- main(ctx, args, slog.New(slog.DiscardHandler), ready) }()
	select {
	case r := <-readies:
		s.URL = "http://" + r.Addr.String()
		if r.AdminAddr != nil {
			s.AdminURL = "http://" + r.AdminAddr.String()
		}
		return s, nil
	case err := <-s.done:
		cancel()
		if err == nil {
			err = errors.New("main returned before it was ready")
		}
		return nil, fmt.Errorf("kittest: %w", err)
	case <-time.After(StartTimeout):
		cancel()
		return nil, fmt.Errorf("kittest: main did not call ready within %v", StartTimeout)
	}
}

// Get sends GET URL+path (or path, a whole URL such as AdminURL+"/metrics") with the given header lines ("Name: value") and
// returns the response with its body read.
func (s *Service) Get(path string, header ...string) (*http.Response, string, error) {
	return s.Do(http.MethodGet, path, "", header...)
}

// Do sends a request to URL+path (or to path when it is a whole http://
// URL) with body (none when "") and header lines ("Name: value"; "Host:
// name" sets the Host the server sees), and returns the response with its
// body read and closed.
func (s *Service) Do(method, path, body string, header ...string) (*http.Response, string, error) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	target := path
	if !strings.HasPrefix(path, "http://") {
		target = s.URL + path
	}
	req, err := http.NewRequest(method, target, rd)
	if err != nil {
		return nil, "", err
	}
	for _, h := range header {
		k, v, ok := strings.Cut(h, ":")
		if !ok {
			return nil, "", fmt.Errorf("kittest: header %q is not \"Name: value\"", h)
		}
		if k, v = strings.TrimSpace(k), strings.TrimSpace(v); strings.EqualFold(k, "Host") {
			req.Host = v // net/http sends req.Host, not a Host header field
			continue
		}
		req.Header.Add(k, v)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp, string(b), err
}

// Stop cancels main's context and returns what main returned.
func (s *Service) Stop() error {
	s.cancel()
	select {
	case err := <-s.done:
		return err
	case <-time.After(StartTimeout):
		return fmt.Errorf("kittest: main did not return within %v of its context being cancelled", StartTimeout)
	}
}
