package devcert

import (
	"context"
	"crypto/x509"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestPhoneServer downloads the page and the certificate over a real
// socket, then checks that the server stops by itself after its limit.
func TestPhoneServer(t *testing.T) {
	ca := newTestCA(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	downloaded := make(chan struct{}, 1)
	p := &PhoneServer{CA: ca, Limit: 2 * time.Second, OnDownload: func(*http.Request) { downloaded <- struct{}{} }}
	done := make(chan error, 1)
	go func() { done <- p.Serve(context.Background(), ln) }()
	base := "http://" + ln.Addr().String()

	page := get(t, base+"/", "text/html; charset=utf-8")
	for _, want := range []string{ca.Fingerprint(), PhoneCertPath, "Certificate Trust Settings", "enable full trust", "Install a certificate"} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	der := get(t, base+PhoneCertPath, "application/x-x509-ca-cert")
	cert, err := x509.ParseCertificate([]byte(der))
	if err != nil || !cert.Equal(ca.Certificate()) {
		t.Fatalf("downloaded certificate: %v", err)
	}
	<-downloaded
	if p.Downloads() != 1 {
		t.Errorf("downloads %d, want 1", p.Downloads())
	}
	if resp, err := http.Get(base + "/ca-key.pem"); err == nil {
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET /ca-key.pem: %s", resp.Status)
		}
		resp.Body.Close()
	}

	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Serve: %v", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("the phone server did not stop after its limit")
	}
	if c, err := net.Dial("tcp", ln.Addr().String()); err == nil {
		c.Close()
		t.Error("still accepting connections after the limit")
	}
}

func get(t *testing.T, url, wantType string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != wantType {
		t.Fatalf("GET %s: %s %s", url, resp.Status, resp.Header.Get("Content-Type"))
	}
	return string(body)
}

func TestPhoneServerStopsWithContext(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- (&PhoneServer{CA: newTestCA(t)}).Serve(ctx, ln) }()
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
