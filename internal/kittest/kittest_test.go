package kittest_test

import (
	"context"
	"errors"
	"flag"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/golocal/golocal/internal/kittest"
	"github.com/golocal/golocal/listen"
	"github.com/golocal/golocal/serve"
)

// echo is a Main that answers the request's method, path and X-Test header.
func echo(ctx context.Context, args []string, log *slog.Logger, ready func(serve.Ready)) error {
	fs := flag.NewFlagSet("echo", flag.ContinueOnError)
	addr := fs.String("addr", "", "address to listen on")
	greeting := fs.String("greeting", "", "word added to every answer")
	if err := fs.Parse(args); err != nil {
		return err
	}
	res, err := listen.Listen(ctx, listen.Options{Addr: *addr})
	if err != nil {
		return err
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		io.WriteString(w, r.Host[:len("127.0.0.1")]+" "+r.Method+" "+r.URL.Path+" "+r.Header.Get("X-Test")+" "+*greeting+" "+string(b))
	})
	return serve.Run(ctx, res.Listener, h, serve.Options{Logger: log, IgnoreSignals: true, OnReady: ready})
}

func TestStartServeStop(t *testing.T) {
	s, err := kittest.Start(echo, "-greeting", "hi")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(s.URL, "http://127.0.0.1:") {
		t.Errorf("URL %q, want a loopback address", s.URL)
	}
	for _, tt := range []struct {
		method, path, body string
		header             []string
		want               string
	}{
		{"GET", "/a", "", []string{"X-Test: one"}, "127.0.0.1 GET /a one hi "},
		{"POST", "/b", "payload", nil, "127.0.0.1 POST /b  hi payload"},
		{"GET", "/c", "", []string{"Host: localhost.example"}, "localhost GET /c  hi "},
		{"GET", s.URL + "/whole-url", "", nil, "127.0.0.1 GET /whole-url  hi "},
	} {
		resp, body, err := s.Do(tt.method, tt.path, tt.body, tt.header...)
		if err != nil || resp.StatusCode != 200 || body != tt.want {
			t.Errorf("%s %s: %v %q, want 200 %q", tt.method, tt.path, err, body, tt.want)
		}
	}
	if err := s.Stop(); err != nil {
		t.Errorf("Stop: %v", err)
	}
	if _, _, err := s.Get("/"); err == nil {
		t.Error("the service still answers after Stop")
	}
}

func TestStartErrors(t *testing.T) {
	failing := func(ctx context.Context, args []string, log *slog.Logger, ready func(serve.Ready)) error {
		return errors.New("port taken")
	}
	early := func(ctx context.Context, args []string, log *slog.Logger, ready func(serve.Ready)) error {
		return nil
	}
	for _, tt := range []struct {
		name string
		main kittest.Main
		env  []string
		want string
	}{
		{"main fails", failing, nil, "port taken"},
		{"main returns nil before ready", early, nil, "returned before it was ready"},
		{"unknown flag", echo, []string{"-nope"}, "flag provided but not defined: -nope"},
		{"bad address", echo, []string{"-addr", "127.0.0.1:99999"}, "99999 is out of range"},
	} {
		_, err := kittest.Start(tt.main, tt.env...)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want an error containing %q", tt.name, err, tt.want)
		}
	}
}

func TestBadHeader(t *testing.T) {
	s, err := kittest.Start(echo)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Stop()
	if _, _, err := s.Get("/", "no colon"); err == nil || !strings.Contains(err.Error(), "Name: value") {
		t.Errorf("header without a colon: %v", err)
	}
}
