// Package devproxy is the dev front of "golocal dev": the reverse proxy a
// developer's browser talks to while the app is rebuilt and restarted
// behind it.
//
// Create one with New, serve it on the user-facing address, and drive it
// from the dev loop:
//
//	front := devproxy.New(devproxy.Options{Root: moduleRoot})
//	go http.Serve(ln, front)
//	front.SetUpstream(appURL) // an app serves: held requests go through
//	front.BuildStarted()      // a change is being built
//	front.BuildFailed(diags)  // open pages show an overlay with the errors
//	front.Reload()            // the new app serves: open pages reload
//	front.StylesChanged([]string{"static/site.css"}) // swap stylesheets in place
//
// What the front does to traffic:
//
//   - Requests wait (up to Options.HoldTimeout) while no app serves, then
//     get a 503 page, or RFC 9457 problem+json for clients asking for JSON.
//   - A request that fails because the app went away is sent once more when
//     that cannot repeat a side effect (see the comment on retryable).
//   - Streaming responses, Server-Sent Events and WebSocket upgrades pass
//     through unbuffered (net/http/httputil.ReverseProxy, FlushInterval -1).
//   - HTML navigations get a small client script inserted right after
//     <head> (served from /__golocal/client.js), and the page's
//     Content-Security-Policy is amended just enough for that script and
//     its event stream (/__golocal/events) — see csp.go for the rules.
//     Validators are dropped from such pages so no 304 can revive a page
//     without the script.
//   - While the build is broken, navigations get an error page listing the
//     compiler messages with code excerpts; open pages show the same as an
//     overlay and reload once the build is fixed.
//   - Options.Throttle emulates Chrome DevTools' network presets
//     (ParseThrottle), Options.NoCache makes every response no-store.
//
// The front serves plain HTTP on loopback by default; it is a development
// tool and trusts the app behind it.
package devproxy
