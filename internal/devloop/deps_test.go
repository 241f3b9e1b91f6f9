package devloop

import (
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const libApp = `package main

import (
	"fmt"
	"net/http"
	"os"

	"example.test/app/lib"
)

func main() {
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, lib.Body()) })
	http.ListenAndServe("127.0.0.1:"+os.Getenv("PORT"), nil)
}
`

// TestChangeOutsideTheProgramBuildsNothing: a Go file of the module that
// the program does not import is saved: no build, a "skipped" event. A
// package it imports still rebuilds, and once main imports the other
// package, saving it rebuilds too.
func TestChangeOutsideTheProgramBuildsNothing(t *testing.T) {
	lib := func(v string) string { return "package lib\n\nfunc Body() string { return \"" + v + "\" }\n" }
	other := func(v string) string { return "package other\n\nfunc Body() string { return \"" + v + "\" }\n" }
	dir := writeModule(t, map[string]string{"main.go": libApp, "lib/lib.go": lib("lib1"), "other/other.go": other("o1")})
	l := startLoop(t, Options{Dir: dir})
	l.waitFor(EventSwapped, buildTimeout)
	waitUntil(t, 30*time.Second, "the dependency set is known", func() bool { return l.r.builder.Outside([]string{"other/other.go"}) })

	before := l.r.Builds()
	writeFile(t, filepath.Join(dir, "other", "other.go"), other("o2"))
	e := l.waitFor(EventSkipped, 10*time.Second)
	if len(e.Paths) != 1 || e.Paths[0] != "other/other.go" {
		t.Errorf("skipped paths %q", e.Paths)
	}
	if n := l.r.Builds() - before; n != 0 {
		t.Errorf("%d builds for a package the program does not import", n)
	}

	writeFile(t, filepath.Join(dir, "lib", "lib.go"), lib("lib2"))
	if body, err := get(l.waitFor(EventSwapped, buildTimeout).Upstream); err != nil || body != "lib2" {
		t.Fatalf("after editing an imported package: %q %v", body, err)
	}

	writeFile(t, filepath.Join(dir, "main.go"), strings.Replace(strings.Replace(libApp, `"example.test/app/lib"`, "\"example.test/app/lib\"\n\t\"example.test/app/other\"", 1), "lib.Body()", "lib.Body()+other.Body()", 1))
	if body, err := get(l.waitFor(EventSwapped, buildTimeout).Upstream); err != nil || body != "lib2o2" {
		t.Fatalf("after importing other: %q %v", body, err)
	}
	writeFile(t, filepath.Join(dir, "other", "other.go"), other("o3"))
	if body, err := get(l.waitFor(EventSwapped, buildTimeout).Upstream); err != nil || body != "lib2o3" {
		t.Fatalf("after editing the newly imported package: %q %v", body, err)
	}
}

// adminPortApp opens a second listener (an admin port, as serve.Admin
// does) before it serves on its socket (fd 3) and says READY=1 a
// little later. The runner must not mistake the admin port for a
// hard-coded one.
const adminPortApp = `package main

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"time"
)

func main() {
	admin, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	go http.Serve(admin, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ADMIN") }))
	time.Sleep(150 * time.Millisecond) // longer than a /proc scan, shorter than the settle time
	ln, err := net.FileListener(os.NewFile(3, "shared"))
	if err != nil {
		panic(err)
	}
	if sock := os.Getenv("NOTIFY_SOCKET"); sock != "" {
		if c, err := net.Dial("unixgram", sock); err == nil {
			c.Write([]byte("READY=1"))
			c.Close()
		}
	}
	http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "APP") }))
}
`

func TestAdminPortIsNotTakenForTheApp(t *testing.T) {
	dir := writeModule(t, map[string]string{"main.go": adminPortApp})
	l := startLoop(t, Options{Dir: dir})
	e := l.waitFor(EventSwapped, buildTimeout)
	if e.Mode != modeNotify.String() && e.Mode != modeShared.String() {
		t.Errorf("mode %q, want %q (the admin port was taken for the app)", e.Mode, modeNotify)
	}
	if body, err := get(e.Upstream); err != nil || body != "APP" {
		t.Errorf("upstream %v answers %q %v, want APP", e.Upstream, body, err)
	}
}
