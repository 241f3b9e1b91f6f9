package negotiate

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/golocal/golocal/problem"
)

// VersionSource says where a request's API version came from.
type VersionSource string

// The places a version is read from.
const (
	// VersionFromPath: the URL path, /api/v2/...
	VersionFromPath VersionSource = "path"
	// VersionFromAccept: a vendor media type (application/vnd.orders.v2+json)
	// or a version parameter (application/json; version=2) in Accept.
	VersionFromAccept VersionSource = "accept"
	// VersionDefault: the request named no version.
	VersionDefault VersionSource = "default"
)

// Version is the API version chosen for a request.
type Version struct {
	// Number is the version, e.g. 2.
	Number int
	// Source says how it was chosen.
	Source VersionSource
	// ContentType is the JSON media type to answer with, naming the version
	// the way the client asked: application/vnd.NAME.v2+json when it sent
	// the vendor type, otherwise application/json; version=2.
	ContentType string
}

// Versions describes the API versions a service supports and picks one per
// request from the path (/api/v2/...) or the Accept header
// (application/vnd.orders.v2+json or application/json; version=2).
//
//	versions := negotiate.Versions{Name: "orders", Supported: []int{1, 2}}
//	mux.Handle("/api/", versions.Handler(apiMux))
//
// Handlers read the choice with [VersionFromContext], and [Render] puts it in
// the response Content-Type.
type Versions struct {
	// Name is the vendor name in application/vnd.NAME.vN+json (lower-case
	// letters, digits, '-', '.'); empty disables vendor media types.
	Name string
	// Supported lists the versions served, e.g. []int{1, 2}.
	Supported []int
	// Default is the version for requests that name none; 0 means the
	// lowest supported version, because a client written before versioning
	// existed expects the behaviour it was written against.
	Default int
	// PathPrefix is where a path version starts; "" means "/api/", so
	// /api/v2/orders is version 2.
	PathPrefix string
}

type versionKey struct{}

// WithVersion returns a copy of ctx carrying v; [Versions.Handler] does this.
func WithVersion(ctx context.Context, v Version) context.Context {
	return context.WithValue(ctx, versionKey{}, v)
}

// VersionFromContext returns the version chosen by [Versions.Handler].
func VersionFromContext(ctx context.Context) (Version, bool) {
	v, ok := ctx.Value(versionKey{}).(Version)
	return v, ok
}

func (vs Versions) defaultVersion() int {
	if vs.Default != 0 || len(vs.Supported) == 0 {
		return vs.Default
	}
	return slices.Min(vs.Supported)
}

func (vs Versions) prefix() string {
	if vs.PathPrefix == "" {
		return "/api/"
	}
	return vs.PathPrefix
}

func (vs Versions) supported() []string {
	out := make([]string, len(vs.Supported))
	for i, n := range vs.Supported {
		out[i] = strconv.Itoa(n)
	}
	return out
}

// offers lists the versioned JSON media types for numbers, each as
// "application/json; version=N" and, with a Name, the vendor type.
func (vs Versions) offers(numbers []int) (offers []string, number []int) {
	for _, n := range numbers {
		offers = append(offers, "application/json; version="+strconv.Itoa(n))
		number = append(number, n)
		if vs.Name != "" {
			offers = append(offers, "application/vnd."+strings.ToLower(vs.Name)+".v"+strconv.Itoa(n)+"+json")
			number = append(number, n)
		}
	}
	return offers, number
}

// pathVersion reads /api/vN/ from path. found says the path has a version
// segment; n is 0 when that segment is not a version we could parse.
func (vs Versions) pathVersion(path string) (n int, found bool) {
	rest, ok := strings.CutPrefix(path, vs.prefix()+"v")
	if !ok {
		return 0, false
	}
	seg, _, _ := strings.Cut(rest, "/")
	if seg == "" || strings.Trim(seg, "0123456789") != "" {
		return 0, false // /api/vendors/...: not a version segment
	}
	if len(seg) > 6 || seg[0] == '0' {
		return 0, true // v007, v99999999: a version, just not one of ours
	}
	n, _ = strconv.Atoi(seg)
	return n, true
}

// isVersioned reports whether r asks for a specific version of this API.
func (vs Versions) isVersioned(r MediaRange) bool {
	if r.Type != "application" {
		return false
	}
	if _, ok := r.Param("version"); ok && (r.Subtype == "json" || r.Subtype == "*") {
		return true
	}
	return vs.Name != "" && strings.HasPrefix(r.Subtype, "vnd."+strings.ToLower(vs.Name)+".")
}

// Select picks the version for r. A version in the path wins, and the Accept
// header may then only ask for that version. Otherwise Accept is negotiated
// over the supported versions (RFC 9110 §12.5.1 weights apply: "vnd.orders.v1
// +json;q=0.5, vnd.orders.v2+json" picks 2), with the default version first
// so "application/json" and "*/*" get the default.
//
// Errors are *problem.Err, ready for problem.Error: an unknown API version
// is a 406 Not Acceptable wherever it was named — in the path (/api/v9/...)
// or in Accept — so a client has one status to handle for "this API version
// is not served". Both list the supported versions in the
// "supported_versions" member; the Accept case also lists the media types
// to send in "available". (RFC 9110 §15.5.7 ties 406 to proactive
// negotiation; a path version is the same negotiation spelt in the URL, and
// a 404 there would read as "no such resource", sending clients to look for
// a typo in the resource name rather than the version.) An Accept that also admits non-JSON types
// (text/html) gets the default version, leaving the format to [Render].
func (vs Versions) Select(r *http.Request) (Version, error) {
	if len(vs.Supported) == 0 || !slices.Contains(vs.Supported, vs.defaultVersion()) {
		return Version{}, problem.Errorf(problem.Internal,
			"negotiate.Versions is misconfigured: Supported %v must be non-empty and contain Default %d",
			vs.Supported, vs.Default)
	}
	var candidates []int
	source := VersionDefault
	if n, found := vs.pathVersion(r.URL.Path); found {
		if !slices.Contains(vs.Supported, n) {
			return Version{}, &problem.Err{
				Code: problem.NotAcceptable,
				Message: fmt.Sprintf("API version %q in the path is not served; supported versions: %s; use a path such as %sv%d/",
					pathSegment(r.URL.Path, vs.prefix()), strings.Join(vs.supported(), ", "), vs.prefix(), vs.defaultVersion()),
				Extensions: map[string]any{"supported_versions": slices.Clone(vs.Supported)},
			}
		}
		candidates, source = []int{n}, VersionFromPath
	} else {
		def := vs.defaultVersion()
		candidates = append([]int{def}, slices.DeleteFunc(slices.Clone(vs.Supported), func(n int) bool { return n == def })...)
	}
	offers, numbers := vs.offers(candidates)
	fallback := Version{Number: candidates[0], Source: source, ContentType: offers[0]}

	ranges := ParseAccept(r.Header.Values("Accept"))
	if len(ranges) == 0 {
		return fallback, nil
	}
	chosen, ok := chooseFrom(ranges, offers)
	if ok {
		i := slices.Index(offers, chosen)
		o, _ := parseMediaRange(chosen, false)
		if vs.isVersioned(ranges[mostSpecific(ranges, o)]) {
			return Version{Number: numbers[i], Source: VersionFromAccept, ContentType: chosen}, nil
		}
		return Version{Number: numbers[i], Source: source, ContentType: chosen}, nil
	}
	for _, m := range ranges {
		if m.Q > 0 && !vs.isVersioned(m) {
			return fallback, nil
		}
	}
	msg := "the Accept header asks only for API versions this service does not serve; supported: " +
		strings.Join(vs.supported(), ", ")
	if source == VersionFromPath {
		msg = fmt.Sprintf("this URL serves API version %d but the Accept header does not accept it", candidates[0])
	}
	return Version{}, &problem.Err{
		Code:       problem.NotAcceptable,
		Message:    msg + "; send Accept with one of: " + strings.Join(offers, ", "),
		Extensions: map[string]any{"available": offers, "supported_versions": vs.Supported},
	}
}

// pathSegment returns the version segment after prefix, for error messages,
// cut to a sane length.
func pathSegment(path, prefix string) string {
	seg, _, _ := strings.Cut(strings.TrimPrefix(path, prefix), "/")
	if len(seg) > 32 {
		seg = seg[:32] + "…"
	}
	return seg
}

// Handler selects the version for each request (see [Select]), stores it in
// the request context for [VersionFromContext] and [Render], and answers
// unsupported versions with a 406 problem. It adds Vary: Accept,
// because the version, and so the response, depends on it.
func (vs Versions) Handler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		AddVary(w.Header(), "Accept")
		v, err := vs.Select(r)
		if err != nil {
			problem.Error(w, r, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(WithVersion(r.Context(), v)))
	})
}
