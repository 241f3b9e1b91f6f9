package devproxy

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"net/http"
	"strings"
)

// Limits of a --throttle-file: a preset file is a handful of lines.
const (
	maxPresetFile  = 64 << 10
	maxPresets     = 100
	maxPresetName  = 64
	throttleFileIn = "--throttle-file"
)

// ParsePresets reads a throttle preset file: one preset a line,
//
//	# name = settings
//	hotel-wifi = latency=300ms,down=2Mbps,up=1Mbps
//	tunnel     = offline
//	edge       = slow-3g
//
// where settings are anything --throttle takes (ParseThrottle): custom
// settings, "offline" or a built-in preset. Blank lines and lines starting
// with '#' are skipped. Names are letters, digits, '-' and '_' (case does
// not matter), may not repeat and may not redefine a built-in preset.
// file names the file in errors.
func ParsePresets(data []byte, file string) (map[string]Throttle, error) {
	if len(data) > maxPresetFile {
		return nil, fmt.Errorf("%s %s: %d bytes; a preset file is at most %d", throttleFileIn, file, len(data), maxPresetFile)
	}
	presets := map[string]Throttle{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 4096), maxPresetFile)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if n == 1 {
			line = strings.TrimPrefix(line, "\uFEFF") // a byte order mark some editors write
		}
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		name, t, err := parsePresetLine(line)
		if err == nil && presets[name] != (Throttle{}) {
			err = fmt.Errorf("preset %q is defined twice", name)
		}
		if err == nil && len(presets) == maxPresets {
			err = fmt.Errorf("more than %d presets", maxPresets)
		}
		if err != nil {
			return nil, fmt.Errorf("%s %s:%d: %w", throttleFileIn, file, n, err)
		}
		presets[name] = t
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s %s: %w", throttleFileIn, file, err)
	}
	return presets, nil
}

// parsePresetLine reads "name = settings".
func parsePresetLine(line string) (string, Throttle, error) {
	rawName, settings, ok := strings.Cut(line, "=")
	if !ok {
		return "", Throttle{}, fmt.Errorf("%q is not name = settings (such as: hotel-wifi = latency=300ms,down=2Mbps)", line)
	}
	rawName, settings = strings.TrimSpace(rawName), strings.TrimSpace(settings)
	name := presetKey(rawName)
	if rawName == "" || len(rawName) > maxPresetName || strings.Trim(strings.ToLower(rawName), "abcdefghijklmnopqrstuvwxyz0123456789-_") != "" {
		return "", Throttle{}, fmt.Errorf("preset name %q: use 1 to %d letters, digits, '-' or '_'", rawName, maxPresetName)
	}
	if _, builtin := lookupPreset(name); builtin || name == "off" || name == "none" {
		return "", Throttle{}, fmt.Errorf("preset %q would redefine a built-in name; pick another", rawName)
	}
	t, err := ParseThrottle(settings)
	if err != nil {
		return "", Throttle{}, fmt.Errorf("preset %q: %w", rawName, err)
	}
	if !t.Enabled() {
		return "", Throttle{}, fmt.Errorf("preset %q changes nothing; give latency, down, up or offline", rawName)
	}
	t.Name = rawName
	return name, t, nil
}

// ParseThrottleWith is ParseThrottle that also knows the presets of a
// preset file (ParsePresets) by name.
func ParseThrottleWith(s string, custom map[string]Throttle) (Throttle, error) {
	if t, ok := custom[presetKey(s)]; ok && !strings.Contains(s, "=") {
		return t, nil
	}
	t, err := ParseThrottle(s)
	if err != nil && len(custom) > 0 && !strings.Contains(s, "=") {
		var names []string
		for _, p := range custom {
			names = append(names, p.Name)
		}
		return Throttle{}, fmt.Errorf("%w (the preset file defines: %s)", err, strings.Join(sortedStrings(names), ", "))
	}
	return t, err
}

// abortOffline fails the request the way a browser sees a network that is
// gone: no response at all. An HTTP/1.x connection is reset (the browser
// reports net::ERR_CONNECTION_RESET or ERR_EMPTY_RESPONSE, fetch rejects
// with a TypeError, a navigation shows the browser's own error page); on
// HTTP/2 the stream is reset. A status page would look like a server
// error instead, which is not what an offline phone sees.
func abortOffline(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		// HTTP/2: net/http resets the stream for this panic, and the
		// server logs nothing.
		panic(http.ErrAbortHandler)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0) // RST, not FIN: a connection torn away
	}
	_ = conn.Close()
}
