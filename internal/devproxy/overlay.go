package devproxy

import (
	"bufio"
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"mime"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unicode/utf8"
)

//go:embed client.js
var clientScript []byte

// diagnosticView is a Diagnostic as pages see it, with its code excerpt.
type diagnosticView struct {
	File    string        `json:"file"`
	Line    int           `json:"line"`
	Column  int           `json:"column"`
	Message string        `json:"message"`
	Excerpt []excerptLine `json:"excerpt,omitempty"`
}

type excerptLine struct {
	Number int    `json:"n"`
	Text   string `json:"text"`
	Mark   bool   `json:"mark,omitempty"`
}

// Excerpt bounds: context lines each side, characters per line, and how
// many diagnostics get an excerpt (the compiler stops at 10 per package).
const (
	excerptContext   = 3
	excerptLineChars = 240
	excerptMaxDiags  = 10
)

func withExcerpts(root string, diags []Diagnostic) []diagnosticView {
	views := make([]diagnosticView, len(diags))
	for i, d := range diags {
		views[i] = diagnosticView{File: d.File, Line: d.Line, Column: d.Column, Message: d.Message}
		if i < excerptMaxDiags {
			views[i].Excerpt = readExcerpt(root, d.File, d.Line)
		}
	}
	return views
}

// readExcerpt returns the lines around line of file, or nil when the file
// is outside root, unreadable, or line is unknown. Files outside root are
// refused because the overlay may be served to other devices (--lan) and a
// diagnostic's path is not something the front chose.
func readExcerpt(root, file string, line int) []excerptLine {
	if root == "" || file == "" || line <= 0 {
		return nil
	}
	path := file
	if !filepath.IsAbs(path) {
		path = filepath.Join(root, path)
	}
	rel, err := filepath.Rel(root, path)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return nil
	}
	fh, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer fh.Close()
	if st, err := fh.Stat(); err != nil || !st.Mode().IsRegular() {
		return nil
	}
	sc := bufio.NewScanner(fh)
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	first, last := max(1, line-excerptContext), line+excerptContext
	var out []excerptLine
	for n := 1; n <= last && sc.Scan(); n++ {
		if n < first {
			continue
		}
		text := strings.ReplaceAll(sc.Text(), "\t", "    ")
		if utf8.RuneCountInString(text) > excerptLineChars {
			text = string([]rune(text)[:excerptLineChars]) + "…"
		}
		out = append(out, excerptLine{Number: n, Text: strings.ToValidUTF8(text, "\uFFFD"), Mark: n == line})
	}
	return out
}

// serveClientScript serves the embedded client. It may be cached only
// briefly: a new golocal version ships a new client.
func serveClientScript(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "text/javascript; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Length", strconv.Itoa(len(clientScript)))
	if r.Method == http.MethodHead {
		return
	}
	_, _ = w.Write(clientScript)
}

var overlayPage = template.Must(template.New("overlay").Parse(`<!doctype html>
<html lang="en" data-golocal-overlay="1"><head>
<meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>{{.Title}} · golocal</title>
<style nonce="{{.Nonce}}">
body{margin:0;font:15px/1.5 system-ui,sans-serif;background:#1b1b1f;color:#eee}
main{max-width:60rem;margin:0 auto;padding:2rem 1.5rem}
h1{color:#ff6b6b;font-size:1.4rem;margin:0 0 1rem}
.diag{margin:0 0 1.5rem}.loc{font:600 14px ui-monospace,monospace;color:#7cc4ff}
.msg{white-space:pre-wrap;font:14px ui-monospace,monospace;margin:.3rem 0}
pre{background:#111;padding:.6rem .8rem;overflow:auto;border-radius:6px;font:13px/1.45 ui-monospace,monospace;margin:.3rem 0}
.mark{background:#5a1d1d;display:inline-block;width:100%}.n{color:#777;user-select:none}
p.hint{color:#aaa}
</style>
<script src="{{.Script}}" nonce="{{.Nonce}}"></script>
</head><body><main>
<h1>{{.Title}}</h1>
{{range .Diagnostics}}<section class="diag">
<div class="loc">{{.File}}{{if .Line}}:{{.Line}}{{if .Column}}:{{.Column}}{{end}}{{end}}</div>
<div class="msg">{{.Message}}</div>
{{if .Excerpt}}<pre>{{range .Excerpt}}<span{{if .Mark}} class="mark"{{end}}><span class="n">{{printf "%5d" .Number}}  </span>{{.Text}}</span>
{{end}}</pre>{{end}}
</section>{{end}}
<p class="hint">{{.Hint}}</p>
</main></body></html>
`))

// serveOverlayPage answers a navigation while the build is broken with the
// compiler's messages; its client reloads the page once the build is fixed.
func (f *Front) serveOverlayPage(w http.ResponseWriter, r *http.Request) {
	nonce := newNonce()
	fl := f.events.currentFailure()
	var b bytes.Buffer
	err := overlayPage.Execute(&b, map[string]any{
		"Nonce":       nonce,
		"Script":      ClientScriptPath + "?v=" + url.QueryEscape(f.events.currentVersion()),
		"Title":       fl.Title,
		"Hint":        fl.Hint,
		"Diagnostics": fl.Diagnostics,
	})
	if err != nil {
		http.Error(w, "cannot render the build error page: "+err.Error(), http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'nonce-"+nonce+"'; style-src 'nonce-"+nonce+"'; connect-src 'self'; base-uri 'none'; form-action 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set(FailedHeader, "failed")
	h.Set("Content-Length", strconv.Itoa(b.Len()))
	w.WriteHeader(http.StatusInternalServerError)
	if r.Method != http.MethodHead {
		_, _ = w.Write(b.Bytes())
	}
}

// wantsJSON reports whether the client prefers JSON to HTML: API clients
// get application/problem+json (RFC 9457), browsers a page.
func wantsJSON(r *http.Request) bool {
	if r.Header.Get("Sec-Fetch-Mode") == "navigate" {
		return false
	}
	accept := r.Header.Get("Accept")
	for part := range strings.SplitSeq(accept, ",") {
		mt, _, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		switch {
		case mt == "text/html":
			return false
		case mt == "application/json", mt == "application/problem+json", strings.HasSuffix(mt, "+json"):
			return true
		}
	}
	return false
}

// problemDetails is RFC 9457 problem details for the front's own errors.
type problemDetails struct {
	Type     string `json:"type"`
	Title    string `json:"title"`
	Status   int    `json:"status"`
	Detail   string `json:"detail"`
	Upstream string `json:"upstream,omitempty"`
}

var errorPage = template.Must(template.New("error").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Title}} · golocal</title>
<style nonce="{{.Nonce}}">body{margin:0;font:15px/1.5 system-ui,sans-serif;background:#1b1b1f;color:#eee}main{max-width:50rem;margin:0 auto;padding:2rem 1.5rem}h1{color:#ffb86b;font-size:1.3rem}code{color:#7cc4ff}</style>
{{if .Script}}<script src="{{.Script}}" nonce="{{.Nonce}}"></script>{{end}}
</head><body><main><h1>{{.Title}}</h1><p>{{.Detail}}</p></main></body></html>
`))

func (f *Front) writeError(w http.ResponseWriter, r *http.Request, status int, title, detail string, up *url.URL) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	if status == http.StatusServiceUnavailable {
		h.Set("Retry-After", "1")
	}
	if wantsJSON(r) {
		p := problemDetails{Type: "about:blank", Title: title, Status: status, Detail: detail}
		if up != nil {
			p.Upstream = up.String()
		}
		body, _ := json.Marshal(p)
		body = append(body, '\n')
		h.Set("Content-Type", "application/problem+json")
		h.Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(status)
		if r.Method != http.MethodHead {
			_, _ = w.Write(body)
		}
		return
	}
	nonce := newNonce()
	data := map[string]any{"Title": title, "Detail": detail, "Nonce": nonce}
	if wantsDocument(r) {
		// The client reloads this page once an app serves again.
		data["Script"] = ClientScriptPath + "?v=" + url.QueryEscape(f.events.currentVersion()) + "&error=1"
	}
	var b bytes.Buffer
	_ = errorPage.Execute(&b, data) // only strings: cannot fail
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'nonce-"+nonce+"'; style-src 'nonce-"+nonce+"'; connect-src 'self'; base-uri 'none'; form-action 'none'")
	h.Set("Content-Length", strconv.Itoa(b.Len()))
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(b.Bytes())
	}
}

func (f *Front) serveUnavailable(w http.ResponseWriter, r *http.Request, err error) {
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return // the client went away while held: nobody to answer
	case errors.Is(err, errClosed):
		f.writeError(w, r, http.StatusServiceUnavailable, "golocal dev is stopping", "The dev front is shutting down.", nil)
	default:
		f.writeError(w, r, http.StatusServiceUnavailable, "The app is not serving yet",
			fmt.Sprintf("No app became ready within %s. Check the golocal dev terminal: the build or the app's start may have failed.", f.opts.HoldTimeout), nil)
	}
}

func (f *Front) serveBadGateway(w http.ResponseWriter, r *http.Request, up *url.URL, err error) {
	if r.Context().Err() != nil {
		return
	}
	where := "the app"
	if up != nil {
		where = "the app at " + up.Host
	}
	f.logger.Warn("devproxy: app did not answer", "url", r.URL.String(), "upstream", where, "error", err)
	f.writeError(w, r, http.StatusBadGateway, "The app did not answer",
		fmt.Sprintf("golocal dev forwarded %s %s to %s and got: %v. Check the golocal dev terminal for the app's output.", r.Method, r.URL.Path, where, err), up)
}
