package static

import (
	"errors"
	"fmt"
	"path"
	"strings"
	"unicode/utf8"
)

// MaxPathLength bounds the URL path (after the prefix) the server looks up.
// Longer paths are refused with 400 before touching the file system.
const MaxPathLength = 1024

// errBadPath is wrapped by every error of [CleanPath].
var errBadPath = errors.New("invalid static file path")

// CleanPath turns the decoded URL path below the server's prefix (such as
// "/css/app.css" or "css/") into a name for an fs.FS ("css/app.css", or "."
// for the root), or refuses it. It refuses rather than repairs: a path that
// would need cleaning was built by hand, and guessing what it meant is how
// servers end up outside their root. Refused:
//
//   - ".." and "." segments and empty segments ("a//b"): the URL spelling
//     of "%2e%2e" is decoded by net/http before this, so it is refused too;
//   - backslashes (a separator on Windows) and ':' (drive letters such as
//     "C:", Windows alternate data streams);
//   - NUL and other control bytes, and invalid UTF-8;
//   - paths longer than [MaxPathLength].
//
// A leading "/" is the root of the served tree, never the machine's: the
// result is always relative. A trailing "/" is kept out of the name; dir
// reports it. Dot files are not refused here; the server decides (see
// Options.AllowDotFiles).
func CleanPath(p string) (name string, dir bool, err error) {
	if len(p) > MaxPathLength {
		return "", false, errorsf("the path is %d bytes long, over the limit of %d", len(p), MaxPathLength)
	}
	if !utf8.ValidString(p) {
		return "", false, errorsf("the path is not valid UTF-8")
	}
	for i := 0; i < len(p); i++ {
		switch c := p[i]; {
		case c < 0x20 || c == 0x7f:
			return "", false, errorsf("the path contains the control byte 0x%02x", c)
		case c == '\\':
			return "", false, errorsf(`the path contains a backslash; separate directories with "/"`)
		case c == ':':
			return "", false, errorsf("the path contains ':' (drive letters and stream names are not served)")
		}
	}
	p = strings.TrimPrefix(p, "/")
	if p == "" {
		return ".", true, nil
	}
	if strings.HasSuffix(p, "/") {
		dir = true
		p = p[:len(p)-1]
	}
	for seg := range strings.SplitSeq(p, "/") {
		switch seg {
		case "":
			return "", false, errorsf(`the path has an empty segment ("//")`)
		case ".", "..":
			return "", false, errorsf("the path has a %q segment; ask for the file by its plain path", seg)
		}
	}
	// Belt and braces: everything path.Clean would change was refused above.
	if path.Clean(p) != p {
		return "", false, errorsf("the path is not in clean form")
	}
	return p, dir, nil
}

func errorsf(format string, args ...any) error {
	return &pathError{msg: fmt.Sprintf(format, args...)}
}

type pathError struct{ msg string }

func (e *pathError) Error() string { return e.msg }
func (e *pathError) Unwrap() error { return errBadPath }

// hasDotSegment reports whether a segment of name starts with '.', such as
// ".git/config" or ".env".
func hasDotSegment(name string) bool {
	if name == "." {
		return false
	}
	for seg := range strings.SplitSeq(name, "/") {
		if strings.HasPrefix(seg, ".") {
			return true
		}
	}
	return false
}

// IsFingerprinted reports whether a file name carries a content hash and so
// may be cached forever (Cache-Control: immutable). The rule, applied to the
// base name:
//
//   - if the extension (after the last '.') itself qualifies as a hash as
//     described next, the name is fingerprinted ("LICENSE.3f2a9c1e", the
//     form [Server.URL] gives names without an extension);
//   - otherwise drop the extension, then take the segment after the last '.' or '-' of what
//     remains, such as "3f2a9c1e" in "app.3f2a9c1e.css" or "JDEK2ZQ3" in
//     esbuild's "app-JDEK2ZQ3.js";
//   - that segment must be preceded by a non-empty name, be 8 to 64
//     characters long, contain at least one digit, and be all lowercase hex
//     ([0-9a-f], webpack, Parcel, golocal's own [Server.URL]) or all
//     uppercase base32 ([A-Z2-7], esbuild).
//
// The digit requirement keeps words out ("app.bootstrap.css",
// "site-overrides.css" are not fingerprinted): a wrong "yes" here would pin
// a stale file in browsers for a year, a wrong "no" only costs a
// revalidation. Mixed-case hashes (Vite's base64url) are not recognised;
// serve those with [Server.URL]'s aliases or name them in hex.
func IsFingerprinted(name string) bool {
	base := path.Base(name)
	if i := strings.LastIndexByte(base, '.'); i > 0 {
		if looksLikeHash(base[i+1:]) {
			return true // "LICENSE.3f2a9c1e": the hash is the extension
		}
		base = base[:i]
	}
	i := strings.LastIndexAny(base, ".-")
	if i <= 0 {
		return false
	}
	return looksLikeHash(base[i+1:])
}

func looksLikeHash(s string) bool {
	if len(s) < 8 || len(s) > 64 {
		return false
	}
	digit, hex, base32 := false, true, true
	for i := 0; i < len(s); i++ {
		c := s[i]
		isDigit := '0' <= c && c <= '9'
		digit = digit || isDigit
		hex = hex && (isDigit || 'a' <= c && c <= 'f')
		base32 = base32 && ('2' <= c && c <= '7' || 'A' <= c && c <= 'Z')
	}
	return digit && (hex || base32)
}

// fingerprintLen is the length of the hash segment in the aliases
// [Server.URL] makes: 8 hex digits, 32 bits of SHA-256, plenty to tell the
// versions of one file apart.
const fingerprintLen = 8

// aliasName inserts hash before the extension of name's base:
// "css/app.css" → "css/app.<hash>.css", "LICENSE" → "LICENSE.<hash>".
func aliasName(name, hash string) string {
	dir, base := path.Split(name)
	if i := strings.LastIndexByte(base, '.'); i > 0 {
		return dir + base[:i] + "." + hash + base[i:]
	}
	return dir + base + "." + hash
}

// aliasTarget undoes aliasName: for "css/app.3f2a9c1e.css" it returns
// "css/app.css" and "3f2a9c1e".
func aliasTarget(name string) (orig, hash string, ok bool) {
	dir, base := path.Split(name)
	parts := strings.Split(base, ".")
	switch {
	case len(parts) >= 3 && isAliasHash(parts[len(parts)-2]) && parts[0] != "":
		hash = parts[len(parts)-2]
		orig = strings.Join(parts[:len(parts)-2], ".") + "." + parts[len(parts)-1]
	case len(parts) == 2 && isAliasHash(parts[1]) && parts[0] != "":
		hash, orig = parts[1], parts[0]
	default:
		return "", "", false
	}
	return dir + orig, hash, true
}

func isAliasHash(s string) bool {
	if len(s) != fingerprintLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}
