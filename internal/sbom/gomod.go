package sbom

import (
	"bufio"
	"bytes"
	"strings"
)

// ParseGoVersionM reads the output of `go version -m BINARY` and returns
// the modules of its "dep" lines, with a following "=>" line taking the
// dependency's place as ReplacedPath does in [Info]. It lets tests and
// scripts cross-check an SBOM against the go command itself.
func ParseGoVersionM(out []byte) []Module {
	var mods []Module
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 3 || (f[0] != "dep" && f[0] != "=>") {
			continue
		}
		m := Module{Path: f[1], Version: f[2]}
		if len(f) > 3 {
			m.Sum = f[3]
		}
		if f[0] == "=>" && len(mods) > 0 {
			m.ReplacedPath = mods[len(mods)-1].Path
			mods[len(mods)-1] = m
			continue
		}
		mods = append(mods, m)
	}
	return mods
}
