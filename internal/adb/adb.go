package adb

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// ErrNoADB is returned by Reverse when adb is not on PATH.
var ErrNoADB = errors.New("adb not found on PATH: install Android platform-tools (https://developer.android.com/tools/releases/platform-tools) or drop --android")

// ErrNoDevice is returned by Reverse when no device is attached.
var ErrNoDevice = errors.New("no Android device attached: connect one by USB with USB debugging on (Settings → System → Developer options), then check with: adb devices")

// Options configures Reverse.
type Options struct {
	// Port is the TCP port on both sides.
	Port int
	// ADB is the adb command; "" looks it up on PATH.
	ADB string
	// Timeout bounds each adb call; 0 means 10 s.
	Timeout time.Duration
}

// Device is one attached device and what Reverse did on it.
type Device struct {
	Serial string
	State  string // device, unauthorized, offline, …
	// Reversed is true when Reverse made the reverse (Remove undoes it).
	Reversed bool
	// Note says what happened when the device is not reversed: not
	// authorised, already reversed by another process, adb's error.
	Note string
}

// Reversal is the outcome of Reverse.
type Reversal struct {
	opts    Options
	Devices []Device
}

// Reverse sets up "adb reverse tcp:PORT tcp:PORT" on every attached
// device. Its error is ErrNoADB, ErrNoDevice, or a failure of "adb
// devices"; problems with one device are in its Note.
func Reverse(ctx context.Context, opts Options) (*Reversal, error) {
	if opts.Port <= 0 || opts.Port > 65535 {
		return nil, fmt.Errorf("adb reverse: port %d out of range", opts.Port)
	}
	if opts.ADB == "" {
		p, err := exec.LookPath("adb")
		if err != nil {
			return nil, ErrNoADB
		}
		opts.ADB = p
	}
	out, err := run(ctx, opts, "devices")
	if err != nil {
		return nil, fmt.Errorf("adb devices: %w", err)
	}
	devices, err := ParseDevices(out)
	if err != nil {
		return nil, err
	}
	if len(devices) == 0 {
		return nil, ErrNoDevice
	}
	rev := &Reversal{opts: opts, Devices: devices}
	for i := range rev.Devices {
		rev.reverseOne(ctx, &rev.Devices[i])
	}
	return rev, nil
}

func (r *Reversal) reverseOne(ctx context.Context, d *Device) {
	port := "tcp:" + strconv.Itoa(r.opts.Port)
	switch d.State {
	case "device":
	case "unauthorized":
		d.Note = "not authorised: unlock the phone and allow USB debugging for this computer"
		return
	default:
		d.Note = "state " + d.State + ": reconnect the cable or run adb kill-server"
		return
	}
	list, err := run(ctx, r.opts, "-s", d.Serial, "reverse", "--list")
	if err != nil {
		d.Note = "adb reverse --list: " + err.Error()
		return
	}
	if local, ok := ParseReverseList(list)[port]; ok {
		if local == port {
			d.Note = port + " is already reversed to this machine's " + port + " (by another process; left in place)"
		} else {
			d.Note = fmt.Sprintf("%s is already reversed to %s by another process; left alone, so the phone's localhost:%d does not reach golocal dev (free it with: adb -s %s reverse --remove %s)", port, local, r.opts.Port, d.Serial, port)
		}
		return
	}
	if _, err := run(ctx, r.opts, "-s", d.Serial, "reverse", port, port); err != nil {
		d.Note = "adb reverse: " + err.Error()
		return
	}
	d.Reversed = true
}

// Remove undoes the reverses Reverse made; it returns the first error
// after trying every device.
func (r *Reversal) Remove(ctx context.Context) error {
	if r == nil {
		return nil
	}
	port := "tcp:" + strconv.Itoa(r.opts.Port)
	var first error
	for i := range r.Devices {
		d := &r.Devices[i]
		if !d.Reversed {
			continue
		}
		if _, err := run(ctx, r.opts, "-s", d.Serial, "reverse", "--remove", port); err != nil && first == nil {
			first = fmt.Errorf("device %s: adb reverse --remove %s: %w", d.Serial, port, err)
		}
		d.Reversed = false
	}
	return first
}

func run(ctx context.Context, opts Options, args ...string) (string, error) {
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, opts.ADB, args...).CombinedOutput()
	if err != nil {
		msg := strings.TrimSpace(string(out))
		if len(msg) > 300 {
			msg = msg[:300] + "…"
		}
		if msg == "" {
			return "", err
		}
		return "", fmt.Errorf("%v: %s", err, msg)
	}
	return string(out), nil
}

// maxOutput bounds what the parsers read of adb's output.
const maxOutput = 1 << 20

// ParseDevices reads the output of "adb devices": after the line "List
// of devices attached", one "SERIAL<tab>STATE" line per device. Daemon
// start-up lines ("* daemon started successfully") are skipped.
func ParseDevices(out string) ([]Device, error) {
	if len(out) > maxOutput {
		return nil, fmt.Errorf("adb devices: %d bytes of output, more than expected", len(out))
	}
	var devices []Device
	listed := false
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(nil, maxOutput)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "", strings.HasPrefix(line, "*"):
			continue
		case strings.HasPrefix(line, "List of devices"):
			listed = true
			continue
		case !listed:
			continue
		}
		fields := strings.Fields(line)
		if len(fields) < 2 || !printable(fields[0]) || !printable(fields[1]) {
			return nil, fmt.Errorf("adb devices: unexpected line %q; is this adb?", line)
		}
		devices = append(devices, Device{Serial: fields[0], State: fields[1]})
	}
	if !listed {
		return nil, fmt.Errorf("adb devices: no \"List of devices attached\" line in %q; is this adb?", truncate(out))
	}
	return devices, nil
}

// ParseReverseList reads "adb reverse --list": lines "TRANSPORT REMOTE
// LOCAL" (such as "UsbFfs tcp:8080 tcp:8080"); it returns local by remote.
// Lines of another shape are skipped.
func ParseReverseList(out string) map[string]string {
	m := map[string]string{}
	if len(out) > maxOutput {
		out = out[:maxOutput]
	}
	for line := range strings.Lines(out) {
		fields := strings.Fields(line)
		if len(fields) == 3 && strings.HasPrefix(fields[1], "tcp:") {
			m[fields[1]] = fields[2]
		}
	}
	return m
}

func printable(s string) bool {
	for _, r := range s {
		if r < 0x21 || r == 0x7f {
			return false
		}
	}
	return s != ""
}

func truncate(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}
