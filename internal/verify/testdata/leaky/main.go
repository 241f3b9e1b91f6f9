// Command leaky is a test service for golocal verify (see package svc).
package main

import "github.com/golocal/golocal/internal/verify/testdata/svc"

func main() { svc.Main("logs.no-secret-in-logs") }
