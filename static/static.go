package static

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/golocal/golocal/problem"
)

// Cache-Control values. Immutable files (fingerprinted names) are cached for
// a year without revalidation (RFC 8246); everything else is revalidated on
// every use, which with a strong ETag costs a 304 and no body.
const (
	CacheImmutable   = "public, max-age=31536000, immutable"
	CacheRevalidate  = "no-cache"
	defaultIndexName = "index.html"
)

// Options configures [New] and [Dir]. The zero value serves the tree at "/"
// with index.html for directories and no dot files.
type Options struct {
	// Prefix is the URL path the server is mounted at, starting and ending
	// with "/", such as "/static/"; "" means "/". The server strips it
	// itself, so mount it as mux.Handle("/static/", s) without
	// http.StripPrefix, and [Server.URL] puts it in front of the names it
	// returns.
	Prefix string
	// Index is the file served for a directory URL (one ending in "/");
	// "" means "index.html". A directory without one is a 404: listings
	// are never served, since they show files nobody linked to.
	Index string
	// AllowDotFiles serves names with a segment starting with '.'
	// (".well-known/", ".htaccess"). Off by default, because a served
	// directory that contains .git or .env gives away its history and
	// secrets.
	AllowDotFiles bool
}

// Server serves the files of an fs.FS over HTTP with caching and content
// types right for browsers. Create it with [New] or [Dir]; it is safe for
// concurrent use.
//
// For each file:
//
//   - a strong ETag from the SHA-256 of the content, computed on first use
//     and cached (recomputed when a file's size or modification time
//     changes, so os.DirFS trees can be edited while served); If-None-Match
//     gets 304 and Range requests work (http.ServeContent);
//   - Cache-Control [CacheImmutable] for fingerprinted names (see
//     [IsFingerprinted]) and for the aliases [Server.URL] hands out,
//     [CacheRevalidate] for everything else;
//   - the Content-Type of [ContentType] (never sniffed) and
//     X-Content-Type-Options: nosniff.
//
// Only GET and HEAD are answered (405 with Allow otherwise). Paths that
// try to leave the root (see [CleanPath]) are refused with 400, and
// symbolic links that lead out of it are treated as missing (404). Errors
// are application/problem+json (RFC 9457).
type Server struct {
	fsys     fs.FS
	links    fs.ReadLinkFS // non-nil when fsys has symbolic links to check
	root     *os.Root      // set by Dir, released by Close
	prefix   string
	index    string
	allowDot bool

	mu   sync.Mutex
	sums map[string]fileSum // by resolved name
}

// fileSum is the cached hash of one file's content, valid while the file
// keeps its size and modification time.
type fileSum struct {
	size    int64
	modTime time.Time
	etag    string // quoted, strong
	hash    string // fingerprintLen hex digits, for aliases
}

// New returns a Server for fsys, typically an embed.FS narrowed with
// fs.Sub:
//
//	//go:embed assets
//	var assets embed.FS
//
//	sub, err := fs.Sub(assets, "assets")
//	s, err := static.New(sub, static.Options{Prefix: "/static/"})
//
// When fsys has symbolic links (it implements fs.ReadLinkFS, as os.DirFS
// does), each request's links are resolved and any that leads outside the
// root makes the file missing. Prefer [Dir] for directories on disk.
//
// New fails when the options are invalid or the root of fsys cannot be
// read (an fs.Sub of a directory the embed pattern did not include, say).
func New(fsys fs.FS, opts Options) (*Server, error) {
	if fsys == nil {
		return nil, errors.New("static.New: the file system is nil; pass an embed.FS (via fs.Sub) or use static.Dir")
	}
	prefix := opts.Prefix
	if prefix == "" {
		prefix = "/"
	}
	if !strings.HasPrefix(prefix, "/") || !strings.HasSuffix(prefix, "/") || strings.Contains(prefix, "//") {
		return nil, fmt.Errorf("static.New: Prefix %q must start and end with a single '/', such as \"/static/\"", opts.Prefix)
	}
	if _, _, err := CleanPath(prefix); err != nil {
		return nil, fmt.Errorf("static.New: Prefix %q: %w", opts.Prefix, err)
	}
	index := opts.Index
	if index == "" {
		index = defaultIndexName
	}
	if strings.Contains(index, "/") || !fs.ValidPath(index) || index == "." {
		return nil, fmt.Errorf("static.New: Index %q must be a plain file name such as index.html", opts.Index)
	}
	info, err := fs.Stat(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("static.New: the root of the file system cannot be read (%w); if it comes from fs.Sub, check the directory name against the //go:embed pattern", err)
	}
	if !info.IsDir() {
		return nil, errors.New("static.New: the root of the file system is not a directory")
	}
	s := &Server{
		fsys:     fsys,
		prefix:   prefix,
		index:    index,
		allowDot: opts.AllowDotFiles,
		sums:     make(map[string]fileSum),
	}
	if l, ok := fsys.(fs.ReadLinkFS); ok {
		s.links = l
	}
	return s, nil
}

// Dir returns a Server for the directory dir on disk, opened with
// os.OpenRoot: the kernel calls themselves refuse to leave it, so no path
// and no symbolic link (including one swapped in while a request is being
// served) reaches a file outside. Links that stay inside are followed.
// Call Close when done to release the directory.
func Dir(dir string, opts Options) (*Server, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("static.Dir: %w; pass the path of an existing directory", err)
	}
	s, err := New(root.FS(), opts)
	if err != nil {
		_ = root.Close()
		return nil, err
	}
	s.root = root
	return s, nil
}

// Close releases the directory opened by [Dir]; for [New] it does nothing.
// Requests served after Close fail with 404.
func (s *Server) Close() error {
	if s.root == nil {
		return nil
	}
	return s.root.Close()
}

// ServeHTTP serves the file named by r.URL.Path below the prefix.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		problem.Error(w, r, problem.Errorf(problem.MethodNotAllowed,
			"static files are read with GET or HEAD, not %s", shorten(r.Method)))
		return
	}
	rest, ok := strings.CutPrefix(r.URL.Path, s.prefix)
	if !ok {
		notFound(w, r, "this path is outside the static file tree")
		return
	}
	name, wantDir, err := CleanPath("/" + rest)
	if err != nil {
		problem.Error(w, r, problem.Errorf(problem.BadRequest, "%s", err.Error()))
		return
	}
	if !s.allowDot && hasDotSegment(name) {
		notFound(w, r, "no such file")
		return
	}

	f, err := s.lookup(name, wantDir)
	if err != nil {
		var redirect *dirRedirect
		if errors.As(err, &redirect) {
			target := url.PathEscape(path.Base(name)) + "/"
			if r.URL.RawQuery != "" {
				target += "?" + r.URL.RawQuery
			}
			w.Header().Set("Location", target)
			w.WriteHeader(http.StatusMovedPermanently)
			return
		}
		notFound(w, r, notFoundDetail(err))
		return
	}
	defer f.close()

	h := w.Header()
	h.Set("Content-Type", ContentType(f.name))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("ETag", f.sum.etag)
	if f.immutable {
		h.Set("Cache-Control", CacheImmutable)
	} else {
		h.Set("Cache-Control", CacheRevalidate)
	}
	http.ServeContent(w, r, f.name, f.sum.modTime, f.content)
}

// URL returns the URL path to link name (a path below the root such as
// "css/app.css") with, so browsers can cache it forever, a fingerprint of
// its current content: "/static/css/app.3f2a9c1e.css" with Prefix
// "/static/". The server answers that alias with the file and
// [CacheImmutable]; once the content changes, the alias of the old content
// is a 404 and URL returns a new one. A name that is already fingerprinted
// (see [IsFingerprinted]) is returned as it is.
//
// Use it as a template function, so a misspelt asset fails the page render
// instead of shipping a broken link:
//
//	template.FuncMap{"asset": s.URL} // <link rel="stylesheet" href="{{ asset "css/app.css" }}">
func (s *Server) URL(name string) (string, error) {
	clean, dir, err := CleanPath("/" + strings.TrimPrefix(name, "/"))
	if err != nil {
		return "", fmt.Errorf("static: URL(%q): %w", name, err)
	}
	if dir || clean == "." {
		return "", fmt.Errorf("static: URL(%q) names a directory; name a file, such as %q", name, path.Join(clean, s.index))
	}
	if !s.allowDot && hasDotSegment(clean) {
		return "", fmt.Errorf("static: URL(%q): dot files are not served; set Options.AllowDotFiles to serve them", name)
	}
	f, err := s.open(clean)
	if err != nil {
		return "", fmt.Errorf("static: URL(%q): %s", name, notFoundDetail(err))
	}
	f.close()
	served := clean
	if !IsFingerprinted(clean) {
		served = aliasName(clean, f.sum.hash)
	}
	return (&url.URL{Path: s.prefix + served}).EscapedPath(), nil
}

// file is an opened file ready to serve.
type file struct {
	name      string // the name whose extension sets the Content-Type
	sum       fileSum
	content   io.ReadSeeker
	closer    io.Closer
	immutable bool
}

func (f *file) close() {
	if f.closer != nil {
		_ = f.closer.Close()
	}
}

// dirRedirect asks for the directory URL with its trailing slash, so that
// relative links in its index page resolve below it.
type dirRedirect struct{}

func (*dirRedirect) Error() string { return "directory URL without a trailing slash" }

var (
	errIsDir       = errors.New("directory listings are not served")
	errNotRegular  = errors.New("not a regular file")
	errStaleAlias  = errors.New("stale fingerprint")
	errNotDirSlash = errors.New("a file was asked for as a directory")
)

// notFoundDetail is what a client reads for err: enough to fix a link,
// never a file system path or a link target.
func notFoundDetail(err error) string {
	switch {
	case errors.Is(err, errIsDir):
		return "this directory has no index file, and directory listings are not served"
	case errors.Is(err, errStaleAlias):
		return "this fingerprinted URL names an older version of the file, which is no longer served; reload the page that linked it"
	case errors.Is(err, errNotDirSlash):
		return "no such directory; drop the trailing '/' to get the file"
	}
	return "no such file; names are case-sensitive"
}

// lookup finds what the request names: the file itself, a directory's
// index, or a fingerprinted alias.
func (s *Server) lookup(name string, wantDir bool) (*file, error) {
	resolved, info, err := s.stat(name)
	if err != nil {
		if !wantDir && errors.Is(err, fs.ErrNotExist) {
			if orig, hash, ok := aliasTarget(name); ok {
				return s.openAlias(orig, hash)
			}
		}
		return nil, err
	}
	if info.IsDir() {
		if !wantDir {
			return nil, &dirRedirect{}
		}
		index := path.Join(name, s.index)
		f, err := s.open(index)
		if errors.Is(err, fs.ErrNotExist) {
			return nil, errIsDir
		}
		return f, err
	}
	if wantDir {
		return nil, errNotDirSlash
	}
	f, err := s.openResolved(name, resolved, info)
	if err != nil {
		return nil, err
	}
	f.immutable = IsFingerprinted(name)
	return f, nil
}

func (s *Server) openAlias(orig, hash string) (*file, error) {
	if !s.allowDot && hasDotSegment(orig) {
		return nil, fs.ErrNotExist
	}
	f, err := s.open(orig)
	if err != nil {
		return nil, err
	}
	if f.sum.hash != hash {
		f.close()
		return nil, errStaleAlias
	}
	f.immutable = true
	return f, nil
}

// stat resolves name's symbolic links inside the root and stats the result.
func (s *Server) stat(name string) (string, fs.FileInfo, error) {
	resolved := name
	if s.links != nil {
		var err error
		if resolved, err = resolveInside(s.links, name); err != nil {
			return "", nil, err
		}
		// A link must not make a hidden file public under another name.
		if !s.allowDot && hasDotSegment(resolved) {
			return "", nil, fs.ErrNotExist
		}
	}
	info, err := fs.Stat(s.fsys, resolved)
	if err != nil {
		return "", nil, err
	}
	return resolved, info, nil
}

// open opens the regular file name (no directory, no alias).
func (s *Server) open(name string) (*file, error) {
	resolved, info, err := s.stat(name)
	if err != nil {
		return nil, err
	}
	if info.IsDir() {
		return nil, errIsDir
	}
	return s.openResolved(name, resolved, info)
}

func (s *Server) openResolved(name, resolved string, info fs.FileInfo) (*file, error) {
	// Checked before opening: opening a FIFO or a device in an os.DirFS
	// tree would block or read forever.
	if !info.Mode().IsRegular() {
		return nil, errNotRegular
	}
	f, err := s.fsys.Open(resolved)
	if err != nil {
		return nil, err
	}
	info, err = f.Stat()
	if err != nil || !info.Mode().IsRegular() {
		_ = f.Close()
		if err == nil {
			err = errNotRegular
		}
		return nil, err
	}
	out := &file{name: name, closer: f}
	rs, seekable := f.(io.ReadSeeker)
	sum, cached := s.cachedSum(resolved, info)
	switch {
	case cached && seekable:
		out.content = rs
	case seekable:
		if sum, err = hashFile(rs, info); err == nil {
			_, err = rs.Seek(0, io.SeekStart)
		}
	default:
		// A file system without Seek (rare; fstest and embed have it):
		// hold the content in memory for ServeContent.
		var data []byte
		if data, err = io.ReadAll(f); err == nil {
			out.content = bytes.NewReader(data)
			if !cached {
				sum, err = hashFile(bytes.NewReader(data), info)
			}
		}
	}
	if err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("reading %s: %w", name, err)
	}
	if out.content == nil {
		out.content = rs
	}
	if !cached {
		s.mu.Lock()
		s.sums[resolved] = sum
		s.mu.Unlock()
	}
	out.sum = sum
	return out, nil
}

func (s *Server) cachedSum(resolved string, info fs.FileInfo) (fileSum, bool) {
	s.mu.Lock()
	sum, ok := s.sums[resolved]
	s.mu.Unlock()
	if ok && sum.size == info.Size() && sum.modTime.Equal(info.ModTime()) {
		return sum, true
	}
	return fileSum{}, false
}

func hashFile(r io.Reader, info fs.FileInfo) (fileSum, error) {
	h := sha256.New()
	if _, err := io.Copy(h, r); err != nil {
		return fileSum{}, err
	}
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	full := hex.EncodeToString(sum[:16])
	return fileSum{
		size:    info.Size(),
		modTime: info.ModTime(),
		etag:    `"` + full + `"`,
		hash:    full[:fingerprintLen],
	}, nil
}

func notFound(w http.ResponseWriter, r *http.Request, detail string) {
	problem.Error(w, r, problem.Errorf(problem.NotFound, "%s", detail))
}

// shorten bounds hostile input quoted in an error.
func shorten(s string) string {
	if len(s) > 32 {
		return s[:32] + "…"
	}
	return s
}
