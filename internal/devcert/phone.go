package devcert

import (
	"context"
	"errors"
	"html/template"
	"net"
	"net/http"
	"sync/atomic"
	"time"
)

// PhoneCertPath is where ServePhone serves the CA certificate (DER, the
// form Android's installer and iOS's profile download both take).
const PhoneCertPath = "/golocal-ca.crt"

// DefaultPhoneLimit is how long "golocal trust --phone" serves by default.
const DefaultPhoneLimit = 10 * time.Minute

// PhoneServer serves the CA certificate and the steps to trust it to
// phones on the LAN, and stops itself after Limit. The page goes over
// plain HTTP (the phone does not trust anything of ours yet), so it shows
// the CA's fingerprint to compare with the terminal and with what the phone
// shows before trusting it.
type PhoneServer struct {
	CA *CA
	// Limit bounds how long the server runs; 0 means DefaultPhoneLimit.
	Limit time.Duration
	// OnDownload, when set, is called after each certificate download.
	OnDownload func(r *http.Request)

	downloads atomic.Int64
}

// Downloads returns how many times the certificate was downloaded.
func (p *PhoneServer) Downloads() int64 { return p.downloads.Load() }

// Serve serves on ln until the time limit passes or ctx ends, then closes
// ln and returns nil; it returns an error only when serving failed.
func (p *PhoneServer) Serve(ctx context.Context, ln net.Listener) error {
	limit := p.Limit
	if limit <= 0 {
		limit = DefaultPhoneLimit
	}
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	srv := &http.Server{Handler: p.Handler(), ReadHeaderTimeout: 10 * time.Second}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, stop := context.WithTimeout(context.Background(), 2*time.Second)
	defer stop()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		srv.Close()
	}
	if err := <-done; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Handler serves the instructions page at / and the certificate at
// PhoneCertPath; everything else is 404.
func (p *PhoneServer) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
		_ = phonePage.Execute(w, map[string]string{"Fingerprint": p.CA.Fingerprint(), "Path": PhoneCertPath, "Name": p.CA.cert.Subject.CommonName})
	})
	mux.HandleFunc("GET "+PhoneCertPath, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-x509-ca-cert")
		w.Header().Set("Content-Disposition", `attachment; filename="golocal-ca.crt"`)
		w.Header().Set("Cache-Control", "no-store")
		_, _ = w.Write(p.CA.cert.Raw)
		p.downloads.Add(1)
		if p.OnDownload != nil {
			p.OnDownload(r)
		}
	})
	return mux
}

var phonePage = template.Must(template.New("phone").Parse(`<!doctype html>
<html lang="en"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Trust the golocal development CA</title>
<style>body{font:16px/1.5 system-ui,sans-serif;margin:1.5em;max-width:40em}code{word-break:break-all}a.button{display:inline-block;padding:.6em 1em;background:#0b57d0;color:#fff;border-radius:.4em;text-decoration:none}</style>
<h1>Trust the golocal development CA</h1>
<p>This lets this phone open <code>https://</code> pages of your development machine without warnings.
The CA may only sign local names (localhost, *.local, *.test) and private addresses.</p>
<p><a class="button" href="{{.Path}}">Download the CA certificate</a></p>
<p>Before trusting it, compare its SHA-256 fingerprint with the one golocal printed in your terminal:<br><code>{{.Fingerprint}}</code></p>
<h2>Android</h2>
<ol>
<li>Tap the button above; the file is saved to Downloads (Android does not install it from the browser).</li>
<li>Open Settings → Security &amp; privacy → More security settings → Encryption &amp; credentials → Install a certificate → CA certificate (on older versions: Settings → Security → Install from storage).</li>
<li>Confirm "Install anyway" and pick <code>golocal-ca.crt</code> from Downloads.</li>
<li>Chrome trusts user CAs; many other apps do not, by design.</li>
</ol>
<h2>iPhone and iPad</h2>
<ol>
<li>Open this page in Safari and tap the button; allow the configuration profile to download.</li>
<li>Settings → General → VPN &amp; Device Management → "{{.Name}}" → Install (enter your passcode).</li>
<li>Then <strong>enable full trust</strong>: Settings → General → About → Certificate Trust Settings → switch on "{{.Name}}". Without this step Safari still rejects the certificate.</li>
</ol>
<p>To remove it later: Android: Encryption &amp; credentials → Trusted credentials → User; iOS: VPN &amp; Device Management → the profile → Remove Profile.</p>
</html>
`))
