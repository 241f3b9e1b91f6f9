package devcert_test

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"

	"github.com/golocal/golocal/internal/devcert"
)

// A dev server on HTTPS with HTTP/2: the CA is created on first use, the
// leaf covers localhost, *.localhost, 127.0.0.1 and ::1, and a client that
// trusts the CA (as a browser does after "golocal trust --install")
// connects without warnings.
func ExampleCA_ServerConfig() {
	tmp, _ := os.MkdirTemp("", "devcert-example")
	defer os.RemoveAll(tmp)
	dir, _ := devcert.Dir(func(k string) string {
		if k == devcert.EnvDir {
			return filepath.Join(tmp, "ca")
		}
		return ""
	})
	ca, created, err := devcert.Open(dir)
	if err != nil {
		log.Fatal(err)
	}
	cfg, err := ca.ServerConfig(devcert.LeafNames())
	if err != nil {
		log.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	srv := &http.Server{TLSConfig: cfg, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%s over TLS", r.Proto)
	})}
	go srv.ServeTLS(ln, "", "")
	defer srv.Close()

	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(ca.CertPEM())
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}, ForceAttemptHTTP2: true}}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	resp, err := client.Get("https://localhost:" + port + "/")
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	var body [64]byte
	n, _ := resp.Body.Read(body[:])
	fmt.Println("created:", created)
	fmt.Println(string(body[:n]))
	// Output:
	// created: true
	// HTTP/2.0 over TLS
}
