package listen_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"

	"github.com/golocal/golocal/listen"
)

func ExampleListen() {
	res, err := listen.Listen(context.Background(), listen.Options{
		Addr: ":0", // no host: loopback, not all interfaces
		// Tests pass their own environment; services leave this nil.
		Getenv:   func(string) string { return "" },
		Unsetenv: func(string) error { return nil },
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer res.Listener.Close()
	host, _, _ := net.SplitHostPort(res.Addr)
	fmt.Println(host, res.Source)
	// Output: 127.0.0.1 option
}

func ExampleListen_badPort() {
	_, err := listen.Listen(context.Background(), listen.Options{
		Getenv:   func(k string) string { return map[string]string{"PORT": "70000"}[k] },
		Unsetenv: func(string) error { return nil },
	})
	fmt.Println(err)
	// Output: PORT="70000" from the environment: 70000 is out of range; port must be 1-65535; set PORT to a port such as 8080 or unset it
}

func ExampleParsePorts() {
	ports, err := listen.ParsePorts("8080, 8085-8087")
	fmt.Println(ports, err)
	_, err = listen.ParsePorts("8089-8080")
	fmt.Println(err)
	// Output:
	// [8080 8085 8086 8087] <nil>
	// range "8089-8080" is reversed; write 8080-8089
}

func ExamplePassSockets() {
	// The parent owns the socket; the child (any program using
	// listen.Listen, or any systemd-aware server) serves on it as fd 3.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer ln.Close()
	f, err := ln.(*net.TCPListener).File()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer f.Close()

	cmd := exec.Command("/bin/sh", "-c", `echo "LISTEN_FDS=$LISTEN_FDS LISTEN_FDNAMES=$LISTEN_FDNAMES pid-matches=$([ "$LISTEN_PID" = "$$" ] && echo yes)"`)
	cmd.Env = os.Environ()
	if err := listen.PassSockets(cmd, []string{"http"}, f); err != nil {
		fmt.Println(err)
		return
	}
	var out strings.Builder
	cmd.Stdout = &out
	cmd.Stderr = io.Discard
	if err := cmd.Run(); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(out.String())
	// Output: LISTEN_FDS=1 LISTEN_FDNAMES=http pid-matches=yes
}
