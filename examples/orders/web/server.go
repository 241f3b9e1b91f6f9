package web

import (
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"

	"github.com/golocal/golocal/examples/orders/order"
	"github.com/golocal/golocal/middleware"
	"github.com/golocal/golocal/negotiate"
	"github.com/golocal/golocal/problem"
	"github.com/golocal/golocal/session"
	"github.com/golocal/golocal/static"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed assets
var assetFS embed.FS

// Options are what the handlers depend on.
type Options struct {
	// Orders stores the orders. Required.
	Orders order.Repository
	// Sessions carries flash messages from a form post to the page it
	// redirects to. Nil disables flash messages; everything else works.
	Sessions *session.Manager
	// TrustedOrigins may send cross-origin form and API posts despite the
	// cross-origin protection: the same origins the CORS configuration
	// allows, each scheme://host[:port].
	TrustedOrigins []string
	// Logger receives failures behind 5xx answers; nil means slog.Default.
	Logger *slog.Logger
}

// server holds what the handlers depend on; its methods are the handlers
// (handlers.go, form.go) and their helpers. New builds it and returns its
// routes.
type server struct {
	orders   order.Repository
	sessions *session.Manager
	log      *slog.Logger
	problems problem.Responder
	pages    *template.Template
	versions negotiate.Versions
	csrf     *http.CrossOriginProtection
	assets   http.Handler
}

// apiVersions are the API versions served: /api/v1 (money in minor units)
// and /api/v2 (money as {amount, currency}); also chosen by Accept:
// application/vnd.orders.v2+json or application/json; version=2. Without
// either, a request gets version 1, which clients written before version 2
// expect.
func apiVersions() negotiate.Versions {
	return negotiate.Versions{Name: "orders", Supported: []int{1, 2}}
}

// New checks opts and returns the service's handler: the routes of
// routes.go with cross-origin protection on every unsafe request and
// sessions on the pages. Wrap it in golocal's middleware stack to serve it.
func New(opts Options) (http.Handler, error) {
	s, err := newServer(opts)
	if err != nil {
		return nil, err
	}
	return s.routes(), nil
}

func newServer(opts Options) (*server, error) {
	if opts.Orders == nil {
		return nil, errors.New("web: Options.Orders is nil; pass the order repository (sqlstore.OpenSQLite or OpenPostgres)")
	}
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	sub, err := fs.Sub(assetFS, "assets")
	if err != nil {
		return nil, fmt.Errorf("web: assets: %w", err)
	}
	files, err := static.New(sub, static.Options{Prefix: "/static/"})
	if err != nil {
		return nil, fmt.Errorf("web: assets: %w", err)
	}
	funcs := templateFuncs()
	funcs["asset"] = files.URL // fingerprinted name, cached as immutable
	pages, err := template.New("").Funcs(funcs).ParseFS(templateFS, "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("web: templates: %w", err)
	}
	csrf := http.NewCrossOriginProtection()
	for _, o := range opts.TrustedOrigins {
		if err := csrf.AddTrustedOrigin(o); err != nil {
			return nil, fmt.Errorf("web: trusted origin %q: %w", o, err)
		}
	}
	s := &server{
		orders:   opts.Orders,
		sessions: opts.Sessions,
		log:      log,
		problems: problem.Responder{Logger: log},
		pages:    pages,
		versions: apiVersions(),
		csrf:     csrf,
		assets:   files,
	}
	csrf.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, problem.Errorf(problem.Forbidden,
			"cross-origin request refused: this %s comes from another origin that is not trusted (CSRF protection)", r.Method))
	}))
	return s, nil
}

// page returns the rendering options for one template of templates/.
func (s *server) page(name string, status int) negotiate.Options {
	return negotiate.Options{
		Status:       status,
		Template:     s.pages,
		TemplateName: name,
		Nonce:        middleware.Nonce,
		Errors:       s.problems,
	}
}

// flashes returns and clears the flash messages of the request's session.
func (s *server) flashes(r *http.Request) []string {
	if sess := session.FromContext(r.Context()); sess != nil {
		return sess.Flashes()
	}
	return nil
}

// flash queues a message for the next page the client sees.
func (s *server) flash(r *http.Request, msg string) {
	if sess := session.FromContext(r.Context()); sess != nil {
		sess.AddFlash(msg)
	}
}

// version is the API version Versions.Handler chose for r.
func version(r *http.Request) int {
	if v, ok := negotiate.VersionFromContext(r.Context()); ok {
		return v.Number
	}
	return 1
}
