package problem

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"

	"github.com/golocal/golocal/trace"
)

// ContentType is the media type of a problem details document (RFC 9457 §3).
const ContentType = "application/problem+json"

// TraceIDMember is the extension member carrying the request's trace id, so a
// user can quote it and an operator can find the matching log lines.
const TraceIDMember = "trace_id"

// Details is an RFC 9457 problem details object
// (https://www.rfc-editor.org/rfc/rfc9457#section-3).
//
// Extensions are marshalled as top-level members (RFC 9457 §3.2), never
// nested. An extension whose name collides with a standard member ("type",
// "title", "status", "detail", "instance") is dropped when marshalling, so an
// extension can never change the status a client reads.
type Details struct {
	// Type is a URI reference identifying the problem type; empty means
	// "about:blank" (RFC 9457 §4.2.1), whose title is the status text.
	Type string
	// Title is a short, human-readable summary of the problem type. It
	// should not change from occurrence to occurrence.
	Title string
	// Status is the HTTP status code; 0 is written as 500.
	Status int
	// Detail explains this occurrence, for the client to read.
	Detail string
	// Instance is a URI reference identifying this occurrence.
	Instance string
	// Extensions holds additional members, e.g. "errors" for field errors
	// or "trace_id".
	Extensions map[string]any
}

var standardMembers = []string{"type", "title", "status", "detail", "instance"}

// MarshalJSON writes the standard members in a fixed order followed by the
// extension members sorted by name, all at the top level.
func (d Details) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	writeMember := func(name string, v any) error {
		val, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("problem: extension member %q: %w", name, err)
		}
		if b.Len() > 1 {
			b.WriteByte(',')
		}
		key, _ := json.Marshal(name)
		b.Write(key)
		b.WriteByte(':')
		b.Write(val)
		return nil
	}
	typ := d.Type
	if typ == "" {
		typ = "about:blank"
	}
	_ = writeMember("type", typ)
	if d.Title != "" {
		_ = writeMember("title", d.Title)
	}
	if d.Status != 0 {
		_ = writeMember("status", d.Status)
	}
	if d.Detail != "" {
		_ = writeMember("detail", d.Detail)
	}
	if d.Instance != "" {
		_ = writeMember("instance", d.Instance)
	}
	names := make([]string, 0, len(d.Extensions))
	for name := range d.Extensions {
		if !slices.Contains(standardMembers, name) {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	for _, name := range names {
		if err := writeMember(name, d.Extensions[name]); err != nil {
			return nil, err
		}
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// UnmarshalJSON reads a problem details document. Per RFC 9457 §3.1, a
// standard member whose value has the wrong JSON type is ignored rather than
// failing the whole document; unknown members land in Extensions.
func (d *Details) UnmarshalJSON(data []byte) error {
	var members map[string]json.RawMessage
	if err := json.Unmarshal(data, &members); err != nil {
		return fmt.Errorf("problem: not a problem details object: %w", err)
	}
	*d = Details{}
	for name, raw := range members {
		switch name {
		case "type":
			_ = json.Unmarshal(raw, &d.Type)
		case "title":
			_ = json.Unmarshal(raw, &d.Title)
		case "status":
			_ = json.Unmarshal(raw, &d.Status)
		case "detail":
			_ = json.Unmarshal(raw, &d.Detail)
		case "instance":
			_ = json.Unmarshal(raw, &d.Instance)
		default:
			var v any
			if err := json.Unmarshal(raw, &v); err != nil {
				return fmt.Errorf("problem: member %q: %w", name, err)
			}
			if d.Extensions == nil {
				d.Extensions = make(map[string]any)
			}
			d.Extensions[name] = v
		}
	}
	return nil
}

// normalized returns a copy with defaults filled in: status 500 when unset,
// the status text as title for about:blank, and the trace id of ctx (if any)
// as an extension member unless one is already present.
func (d Details) normalized(r *http.Request) Details {
	if d.Status < 100 || d.Status > 999 {
		d.Status = http.StatusInternalServerError
	}
	if d.Type == "" {
		d.Type = "about:blank"
	}
	if d.Title == "" && d.Type == "about:blank" {
		d.Title = statusTitle(d.Status)
	}
	if r != nil {
		if id := trace.IDFromContext(r.Context()); id != "" {
			if _, ok := d.Extensions[TraceIDMember]; !ok {
				ext := make(map[string]any, len(d.Extensions)+1)
				for k, v := range d.Extensions {
					ext[k] = v
				}
				ext[TraceIDMember] = id
				d.Extensions = ext
			}
		}
	}
	return d
}

// Write sends p as application/problem+json with p.Status (500 if unset).
// r may be nil; when given, its trace id is added as the "trace_id" member.
// The response carries Cache-Control: no-store because an error is about one
// moment, and a cache replaying it would outlive the cause.
//
// If an extension member cannot be marshalled (a channel, a cycle), the
// problem is written without extensions rather than not at all.
func Write(w http.ResponseWriter, r *http.Request, p *Details) {
	Responder{}.Write(w, r, p)
}

// Write is the package-level [Write] with the responder's logger used for the
// (rare) failure to marshal extension members.
func (rs Responder) Write(w http.ResponseWriter, r *http.Request, p *Details) {
	if p == nil {
		p = &Details{Status: http.StatusInternalServerError}
	}
	d := p.normalized(r)
	body, err := json.Marshal(d)
	if err != nil {
		rs.logger().Error("problem: dropping extension members that cannot be marshalled",
			"error", err, TraceIDMember, traceID(r))
		d.Extensions = nil
		d = d.normalized(r)
		body, _ = json.Marshal(d) // only strings and ints left: cannot fail
	}
	body = append(body, '\n')
	h := w.Header()
	h.Set("Content-Type", ContentType)
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	// A stale Content-Encoding or ETag set by the handler before it failed
	// would describe the representation we are no longer sending.
	h.Del("Content-Encoding")
	h.Del("ETag")
	h.Del("Last-Modified")
	w.WriteHeader(d.Status)
	if r != nil && r.Method == http.MethodHead {
		return
	}
	_, _ = w.Write(body)
}

func traceID(r *http.Request) string {
	if r == nil {
		return ""
	}
	return trace.IDFromContext(r.Context())
}
