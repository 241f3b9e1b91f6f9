package devtest

import (
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// FakeADB writes an executable "adb" into a new directory (put it first
// on PATH) that answers like adb and appends each call's arguments to
// log. devices are the lines after "List of devices attached"
// ("SERIAL\tdevice\n"); reverses are "SERIAL tcp:P tcp:Q" lines already
// in place on the devices. A device named BUSY fails every reverse as a
// port taken on the phone does.
func FakeADB(t testing.TB, devices, reverses string) (dir, log string) {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("the fake adb is a shell script")
	}
	dir = t.TempDir()
	log = filepath.Join(dir, "calls")
	os.WriteFile(filepath.Join(dir, "devices"), []byte("List of devices attached\n"+devices), 0o644)
	os.WriteFile(filepath.Join(dir, "reverses"), []byte(reverses), 0o644)
	script := `#!/bin/sh
echo "$*" >> ` + log + `
d=` + dir + `
case "$1" in
devices) cat "$d/devices"; exit 0;;
-s) serial=$2; shift 2;;
esac
case "$1 $2" in
"reverse --list") grep "^$serial " "$d/reverses" | sed "s/^$serial /UsbFfs /"; exit 0;;
"reverse --remove") exit 0;;
esac
if [ "$1" = reverse ] && [ "$serial" = BUSY ]; then echo "error: cannot bind listener: Address already in use" >&2; exit 1; fi
[ "$1" = reverse ] && exit 0
echo "unknown call: $*" >&2; exit 1
`
	if err := os.WriteFile(filepath.Join(dir, "adb"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir, log
}
