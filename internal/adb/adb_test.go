package adb

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/golocal/golocal/internal/devtest"
)

func TestParseDevices(t *testing.T) {
	cases := []struct {
		name, in string
		want     []Device
		wantErr  string
	}{
		{"none", "List of devices attached\n\n", nil, ""},
		{"daemon start", "* daemon not running; starting now at tcp:5037\n* daemon started successfully\nList of devices attached\nR58M123\tdevice\n", []Device{{Serial: "R58M123", State: "device"}}, ""},
		{"several with details", "List of devices attached\nemulator-5554\tdevice product:sdk model:x\nABC\tunauthorized usb:1-1\nXYZ offline\n", []Device{{Serial: "emulator-5554", State: "device"}, {Serial: "ABC", State: "unauthorized"}, {Serial: "XYZ", State: "offline"}}, ""},
		{"CRLF", "List of devices attached\r\nA\tdevice\r\n", []Device{{Serial: "A", State: "device"}}, ""},
		{"not adb", "usage: something else\n", nil, "is this adb?"},
		{"empty", "", nil, "is this adb?"},
		{"one field", "List of devices attached\nlonely\n", nil, "unexpected line"},
		{"control bytes", "List of devices attached\nA\x1b[31m\tdevice\n", nil, "unexpected line"},
		{"huge", strings.Repeat("x", maxOutput+1), nil, "more than expected"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseDevices(tc.in)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || len(got) != len(tc.want) {
				t.Fatalf("got %+v, %v; want %+v", got, err, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Errorf("device %d: %+v, want %+v", i, got[i], tc.want[i])
				}
			}
		})
	}
}

func TestParseReverseList(t *testing.T) {
	got := ParseReverseList("UsbFfs tcp:8080 tcp:8080\nhost-19 tcp:3000 tcp:4000\ngarbage\n\n(reverse) localabstract:x tcp:1\n")
	if len(got) != 2 || got["tcp:8080"] != "tcp:8080" || got["tcp:3000"] != "tcp:4000" {
		t.Errorf("got %v", got)
	}
}

func FuzzParseDevices(f *testing.F) {
	f.Add("List of devices attached\nA\tdevice\n")
	f.Add("* daemon started\nList of devices attached\n")
	f.Add("List of devices attached\n\x00\t\x00\n")
	f.Fuzz(func(t *testing.T, out string) {
		devices, err := ParseDevices(out)
		if err != nil {
			return
		}
		for _, d := range devices {
			if !printable(d.Serial) || !printable(d.State) {
				t.Fatalf("unprintable device %+v", d)
			}
		}
		_ = ParseReverseList(out)
	})
}

func fakeADB(t *testing.T, devices, reverses string) (adb, log string) {
	t.Helper()
	dir, log := devtest.FakeADB(t, devices, reverses)
	return filepath.Join(dir, "adb"), log
}

func calls(t *testing.T, log string) []string {
	t.Helper()
	data, _ := os.ReadFile(log)
	return strings.Split(strings.TrimSpace(string(data)), "\n")
}

func TestReverseWithFakeADB(t *testing.T) {
	adb, log := fakeADB(t,
		"PHONE\tdevice\nTAKEN\tdevice\nMINE\tdevice\nLOCKED\tunauthorized\nBUSY\tdevice\n",
		"TAKEN tcp:8080 tcp:9999\nMINE tcp:8080 tcp:8080\n")
	rev, err := Reverse(context.Background(), Options{Port: 8080, ADB: adb})
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]Device{}
	for _, d := range rev.Devices {
		byID[d.Serial] = d
	}
	checks := []struct {
		serial   string
		reversed bool
		note     string
	}{
		{"PHONE", true, ""},
		{"TAKEN", false, "already reversed to tcp:9999 by another process"},
		{"MINE", false, "already reversed to this machine's tcp:8080"},
		{"LOCKED", false, "allow USB debugging"},
		{"BUSY", false, "Address already in use"},
	}
	for _, c := range checks {
		d := byID[c.serial]
		if d.Reversed != c.reversed || !strings.Contains(d.Note, c.note) {
			t.Errorf("%s: %+v; want reversed=%v note %q", c.serial, d, c.reversed, c.note)
		}
	}
	if err := rev.Remove(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := calls(t, log)
	want := []string{
		"devices",
		"-s PHONE reverse --list", "-s PHONE reverse tcp:8080 tcp:8080",
		"-s TAKEN reverse --list",
		"-s MINE reverse --list",
		"-s BUSY reverse --list", "-s BUSY reverse tcp:8080 tcp:8080",
		"-s PHONE reverse --remove tcp:8080",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("adb calls:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestReverseErrors(t *testing.T) {
	adb, _ := fakeADB(t, "", "")
	if _, err := Reverse(context.Background(), Options{Port: 8080, ADB: adb}); !errors.Is(err, ErrNoDevice) {
		t.Errorf("no device: %v", err)
	}
	t.Setenv("PATH", t.TempDir())
	if _, err := Reverse(context.Background(), Options{Port: 8080}); !errors.Is(err, ErrNoADB) {
		t.Errorf("no adb: %v", err)
	}
	if _, err := Reverse(context.Background(), Options{Port: 0, ADB: adb}); err == nil {
		t.Error("port 0 accepted")
	}
}
