// Package kittest runs a service's main inside a test or an Example, the
// way the process would run it, on a free loopback port: the kit packages'
// Examples write their main as a function of the [Main] shape (listen.Listen,
// middleware.Stack, serve.Run, as in examples/hello), [Start] runs it with
// -addr 127.0.0.1:0 on its command line and returns once it accepts
// connections, [Service.Get] and [Service.Do] send real requests over the
// socket, and [Service.Stop] cancels the context and returns what main
// returned.
//
// It imports only the standard library, so kit packages' tests can use it
// without linking anything heavy.
package kittest
