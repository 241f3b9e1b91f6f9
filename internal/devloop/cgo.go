package devloop

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"
)

// Development builds leave cgo out when the program does not need it.
//
// With cgo on (the go command's default wherever a C compiler is found),
// the standard library's net and os/user packages link their cgo variants:
// the binary is dynamically linked against the C library, its link loads
// host objects, and every start pays the dynamic loader and the cgo
// runtime's set-up. For a net/http hello app on Linux that is about 50 ms
// more link (385 vs 335 ms) and 5 ms more start (17 vs 12 ms) per reload.
// golocal release builds with CGO_ENABLED=0, so a development build without
// cgo is also closer to what ships.
//
// The choice is cgo off only when nobody asked for cgo and nothing needs
// it: CGO_ENABLED is not set (in the environment or go env's file), the
// go command would enable it, no build flag needs it (-race, -msan, -asan,
// -buildmode, -linkshared, -ldflags choosing or configuring the external
// linker), and no package outside the standard library in the program's
// import graph has cgo or SWIG files. The Builder checks
// that graph again after every go build (a new dependency may use cgo) and
// turns cgo back on, with a rebuild, when one does.

// CgoOffEnv is what a development build adds to the go command's
// environment when cgo is left out.
const CgoOffEnv = "CGO_ENABLED=0"

// cgoChoice is the Builder's decision about cgo.
type cgoChoice struct {
	off bool
	why string // why cgo is on or off, for BuildResult.How and events
}

// decideCgo decides whether the program's development builds may leave
// cgo out. It never fails: when a question cannot be answered, cgo stays
// as the go command would have it.
func decideCgo(ctx context.Context, o BuildOptions) cgoChoice {
	if v, ok := envValue(o.Env, "CGO_ENABLED"); ok {
		return cgoChoice{why: "CGO_ENABLED=" + v + " is set"}
	}
	if f := cgoFlag(o.Flags); f != "" {
		return cgoChoice{why: "build flag " + f + " needs cgo"}
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	out, err := goOutput(ctx, o.GoCmd, o.Dir, o.Env, "env", "-json", "CGO_ENABLED", "GOENV", "GOFLAGS")
	if err != nil {
		return cgoChoice{why: "go env failed"}
	}
	var ge struct{ CGO_ENABLED, GOENV, GOFLAGS string }
	if json.Unmarshal(out, &ge) != nil {
		return cgoChoice{why: "go env failed"}
	}
	switch {
	case ge.CGO_ENABLED != "1":
		return cgoChoice{why: "cgo is off already"}
	case goenvFileSets(ge.GOENV, "CGO_ENABLED"):
		return cgoChoice{why: "CGO_ENABLED is set in " + ge.GOENV}
	}
	if f := cgoFlag(strings.Fields(ge.GOFLAGS)); f != "" {
		return cgoChoice{why: "GOFLAGS " + f + " needs cgo"}
	}
	users, err := cgoUsers(ctx, o)
	switch {
	case err != nil:
		return cgoChoice{why: "the package graph could not be listed"}
	case len(users) > 0:
		return cgoChoice{why: users[0] + " uses cgo"}
	}
	why := CgoOffEnv + ": nothing outside the standard library uses cgo"
	if data, err := os.ReadFile(nsswitchPath); err == nil && hostsUseMDNS(data) {
		why += "; names under .local resolve (mDNS, " + nsswitchPath + ") only with cgo: set CGO_ENABLED=1 if the app looks them up"
	}
	return cgoChoice{off: true, why: why}
}

// nsswitchPath is the C library's name service configuration.
const nsswitchPath = "/etc/nsswitch.conf"

// hostsUseMDNS reports whether an nsswitch.conf's hosts line lists an
// mDNS source (mdns, mdns4_minimal, …). A binary with cgo resolves names
// under .local through it (the net package hands those to the C library);
// one without cgo cannot.
func hostsUseMDNS(nsswitch []byte) bool {
	for line := range strings.Lines(string(nsswitch)) {
		line, _, _ = strings.Cut(line, "#")
		db, sources, ok := strings.Cut(line, ":")
		if !ok || strings.TrimSpace(db) != "hosts" {
			continue
		}
		for _, src := range strings.Fields(sources) {
			if strings.HasPrefix(src, "mdns") {
				return true
			}
		}
	}
	return false
}

// cgoUsers lists the packages outside the standard library in the
// program's import graph that have cgo or SWIG files, as the go command
// sees them with cgo on (o.Env must not turn it off).
func cgoUsers(ctx context.Context, o BuildOptions) ([]string, error) {
	args := []string{"list", "-e", "-deps", "-f", "{{if not .Standard}}{{if or .CgoFiles .SwigFiles .SwigCXXFiles}}{{.ImportPath}}\n{{end}}{{end}}"}
	if len(o.Tags) > 0 {
		args = append(args, "-tags="+strings.Join(o.Tags, ","))
	}
	args = append(append(args, listFlags(o.Flags)...), o.Package)
	out, err := goOutput(ctx, o.GoCmd, o.Dir, o.Env, args...)
	if err != nil {
		return nil, err
	}
	return strings.Fields(string(out)), nil
}

// cgoFlag returns the first build flag that needs cgo (or a C toolchain),
// or "": the sanitizers, build modes, and linker flags that choose the
// external linker or pass it flags.
func cgoFlag(flags []string) string {
	for i, f := range flags {
		name, value, hasValue := strings.Cut(strings.TrimLeft(f, "-"), "=")
		switch name {
		case "race", "msan", "asan", "buildmode", "linkshared":
			return f
		case "ldflags":
			if !hasValue && i+1 < len(flags) {
				value = flags[i+1]
			}
			if strings.Contains(value, "linkmode") || strings.Contains(value, "extld") {
				return f
			}
		}
	}
	return ""
}

// envValue returns the value of key in env (the last one wins, as in
// os/exec).
func envValue(env []string, key string) (string, bool) {
	v, ok := "", false
	for _, kv := range env {
		if val, found := strings.CutPrefix(kv, key+"="); found {
			v, ok = val, true
		}
	}
	return v, ok
}

// goenvFileSets reports whether the go env file (go env -w) sets key.
func goenvFileSets(path, key string) bool {
	if path == "" || path == "off" {
		return false
	}
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, _, ok := strings.Cut(strings.TrimSpace(sc.Text()), "="); ok && strings.TrimSpace(k) == key {
			return true
		}
	}
	return false
}

// cgoNeededMessage is the warning when a package that needs cgo appeared
// in a program built without it.
func cgoNeededMessage(why string) string {
	return fmt.Sprintf("%s: building with cgo from now on (the version just started was built with %s and may lack it)", why, CgoOffEnv)
}
