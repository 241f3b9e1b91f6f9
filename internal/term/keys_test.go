package term_test

import (
	"os"
	"testing"
	"time"

	"github.com/golocal/golocal/internal/term"
	"github.com/golocal/golocal/internal/term/ptytest"
)

func TestSingleKeysKeepsSignalsAndOutputAndRestores(t *testing.T) {
	master, slave := ptytest.Open(t)
	before, err := ptytest.ModeOf(slave)
	if err != nil {
		t.Fatal(err)
	}
	if !before.LineBuffered || !before.Echo {
		t.Fatalf("a fresh pseudo-terminal should be line-buffered with echo: %+v", before)
	}
	restore, err := term.SingleKeys(slave)
	if err != nil {
		t.Fatal(err)
	}
	during, err := ptytest.ModeOf(slave)
	if err != nil {
		t.Fatal(err)
	}
	want := before
	want.LineBuffered, want.Echo = false, false
	if during != want {
		t.Errorf("mode in single keys = %+v, want %+v (signals and output processing untouched)", during, want)
	}
	// One key, no Enter: readable at once, and not echoed back.
	if _, err := master.Write([]byte("r")); err != nil {
		t.Fatal(err)
	}
	got := make(chan string, 1)
	go func() {
		b := make([]byte, 8)
		n, _ := slave.Read(b)
		got <- string(b[:n])
	}()
	select {
	case s := <-got:
		if s != "r" {
			t.Errorf("read %q, want %q", s, "r")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a single key was not readable without Enter")
	}
	restore()
	after, err := ptytest.ModeOf(slave)
	if err != nil {
		t.Fatal(err)
	}
	if after != before {
		t.Errorf("mode after restore = %+v, want %+v", after, before)
	}
}

func TestSingleKeysRefusesNonTerminals(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	f, err := os.CreateTemp(t.TempDir(), "notatty")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, file := range []*os.File{r, f} {
		restore, err := term.SingleKeys(file)
		if err == nil || restore != nil {
			t.Errorf("SingleKeys(%s) = %v, %v; want an error", file.Name(), restore != nil, err)
		}
	}
}
