package cli

import (
	"context"
	"testing"
	"time"

	"github.com/golocal/golocal/internal/term/ptytest"
)

func TestDevKeysRebuildAndQuit(t *testing.T) {
	master, slave := ptytest.Open(t)
	dir := writeDevModule(t, map[string]string{"main.go": devApp("keys")})
	addr := freeAddr(t)
	out := &lockedBuffer{}
	env := hostEnv(nil)
	code := make(chan int, 1)
	go func() {
		code <- Run(context.Background(), []string{"dev", "-C", dir, "--addr", addr}, func(k string) string { return env[k] }, slave, out, out)
	}()
	s := &devSession{t: t, addr: addr, out: out, errOut: &lockedBuffer{}}
	s.waitBody("keys", 90*time.Second)
	s.waitOutput("started", 10*time.Second)
	mode, err := ptytest.ModeOf(slave)
	if err != nil || mode.LineBuffered || !mode.Signals {
		t.Errorf("line buffering still on, or Ctrl-C off, while golocal dev runs: %+v (err %v)", mode, err)
	}
	if _, err := master.Write([]byte("r")); err != nil {
		t.Fatal(err)
	}
	s.waitOutput("swapped", 90*time.Second)
	if _, err := master.Write([]byte("q")); err != nil {
		t.Fatal(err)
	}
	select {
	case c := <-code:
		if c != ExitOK {
			t.Errorf("exit code %d after q", c)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("q did not stop golocal dev")
	}
	mode, err = ptytest.ModeOf(slave)
	if err != nil || !mode.LineBuffered || !mode.Echo {
		t.Errorf("terminal not restored after quit (err %v)", err)
	}
}
