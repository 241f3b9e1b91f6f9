package negotiate

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"strconv"

	"github.com/golocal/golocal/problem"
)

// Media types Render offers.
const (
	JSON = "application/json"
	HTML = "text/html; charset=utf-8"
)

// Options says how [Render] may represent a value. Build it once next to
// your templates and pass it to every call; the zero value renders JSON only.
type Options struct {
	// Status is the response status; 0 means 200.
	Status int
	// Template, when set, lets Render answer text/html by executing it with
	// a [View]. JSON stays the first offer, so "Accept: */*" and clients
	// without Accept (curl, scripts) get JSON while browsers, which ask for
	// text/html explicitly, get the page.
	Template *template.Template
	// TemplateName selects a named template inside Template; empty executes
	// Template itself.
	TemplateName string
	// Nonce returns the request's CSP nonce, made available to the template
	// as {{.Nonce}}. Pass middleware.Nonce so inline scripts allowed by the
	// Content-Security-Policy header can run:
	//
	//	opts := negotiate.Options{Template: page, Nonce: middleware.Nonce}
	Nonce func(context.Context) string
	// Errors writes the 406 and the 500 for a value or template that fails
	// to encode; its zero value logs to slog.Default.
	Errors problem.Responder
}

// View is what the HTML template receives: the value and the CSP nonce, so a
// template writes {{.Value.Name}} and <script nonce="{{.Nonce}}">.
type View struct {
	// Value is the value passed to Render.
	Value any
	// Nonce is the request's CSP nonce, or "" when Options.Nonce is nil.
	Nonce string
}

// Render writes value as JSON or, when opts.Template is set and the client
// prefers it, as HTML, choosing by the Accept header (see [Choose]) and
// adding Vary: Accept. Nothing acceptable is a 406 problem listing what is.
//
// When the request carries an API version (see [Versions]), the JSON offer is
// that version's media type, e.g. application/vnd.orders.v2+json, and the
// response says so in Content-Type.
//
// The body is produced in memory first, so a template error or an
// unencodable value becomes a clean 500 problem, never half a page.
func Render(w http.ResponseWriter, r *http.Request, value any, opts Options) {
	jsonType := JSON
	if v, ok := VersionFromContext(r.Context()); ok && v.ContentType != "" {
		jsonType = v.ContentType
	}
	offers := []string{jsonType}
	if opts.Template != nil {
		offers = append(offers, HTML)
	}
	AddVary(w.Header(), "Accept")
	chosen, ok := Choose(r.Header.Values("Accept"), offers)
	if !ok {
		opts.Errors.Error(w, r, problem.Unacceptable(offers...))
		return
	}
	var body bytes.Buffer
	if chosen == HTML {
		view := View{Value: value}
		if opts.Nonce != nil {
			view.Nonce = opts.Nonce(r.Context())
		}
		var err error
		if opts.TemplateName != "" {
			err = opts.Template.ExecuteTemplate(&body, opts.TemplateName, view)
		} else {
			err = opts.Template.Execute(&body, view)
		}
		if err != nil {
			opts.Errors.Error(w, r, fmt.Errorf("negotiate.Render: executing template %q: %w", opts.Template.Name(), err))
			return
		}
	} else if err := json.NewEncoder(&body).Encode(value); err != nil {
		opts.Errors.Error(w, r, fmt.Errorf("negotiate.Render: encoding %T as JSON: %w", value, err))
		return
	}
	status := opts.Status
	if status == 0 {
		status = http.StatusOK
	}
	h := w.Header()
	h.Set("Content-Type", chosen)
	h.Set("Content-Length", strconv.Itoa(body.Len()))
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body.Bytes())
	}
}
