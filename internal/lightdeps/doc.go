// Package lightdeps holds the test that keeps the kit light: a service
// that imports only golocal's net/http packages (serve, middleware, listen,
// health, metrics, …) must not link the CLI's dependencies (chromedp, cobra,
// koanf providers, fsnotify, qrterminal, and later Kubernetes, sigstore,
// go-containerregistry, CycloneDX, x/vuln).
//
// The test writes a consumer module in a temporary directory, the way a
// user adopts the kit before a tagged release (a replace line pointing at
// this repository), imports every kit package from its main, and reads
// "go list -deps". It runs offline (GOPROXY=off, GOFLAGS=-mod=mod) from the
// module cache. When it fails, the message names the dependency and the
// chain of imports that brought it in: cut that import, or move the code
// that needs it under internal/ for the CLI only.
package lightdeps
