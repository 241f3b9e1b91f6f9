package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/golocal/golocal/problem"
)

// maxBody caps every request body this package reads, whether or not the
// middleware stack's own cap is in front: 1 MiB holds the largest valid
// order many times over, and a 100 MB upload is refused with a 413 without
// being read.
const maxBody = 1 << 20

// isJSON reports whether a request body is JSON: application/json or any
// application/*+json type.
func isJSON(r *http.Request) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil {
		return false
	}
	return mt == "application/json" || (strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json"))
}

// decodeJSON reads exactly one JSON value from the request body into dst,
// refusing unknown fields, invalid UTF-8, unpaired surrogate escapes and
// repeated keys (see checkJSON), and returns a *problem.Err (or the
// *http.MaxBytesError that problem maps to 413) that says what was wrong.
func decodeJSON(w http.ResponseWriter, r *http.Request, dst any) error {
	if !isJSON(r) {
		return problem.Errorf(problem.UnsupportedMediaType,
			"the request body must be JSON: send Content-Type: application/json (got %q)", truncate(r.Header.Get("Content-Type"), 64))
	}
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		return jsonError(err)
	}
	if err := checkJSON(data); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return jsonError(err)
	}
	if err := dec.Decode(&struct{}{}); !errors.Is(err, io.EOF) {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return err
		}
		return problem.Errorf(problem.BadRequest, "the request body must hold exactly one JSON value; found more after the first")
	}
	return nil
}

// jsonError turns a decoding error into a problem the client can act on.
func jsonError(err error) error {
	var (
		syntax *json.SyntaxError
		typ    *json.UnmarshalTypeError
		mbe    *http.MaxBytesError
	)
	switch {
	case errors.As(err, &mbe):
		return err // problem.Error: 413
	case errors.Is(err, io.EOF):
		return problem.Errorf(problem.BadRequest, "the request body is empty; send a JSON object")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return problem.Errorf(problem.BadRequest, "the JSON in the request body ends too early; it is truncated")
	case errors.As(err, &syntax):
		return problem.Errorf(problem.BadRequest, "malformed JSON at byte %d: %s", syntax.Offset, strings.TrimPrefix(syntax.Error(), "json: "))
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "(body)"
		}
		return problem.InvalidFields(problem.FieldError{Field: field, Message: fmt.Sprintf("must be a JSON %s, not %s", jsonKind(typ.Type.Kind().String()), typ.Value)})
	}
	if name, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return problem.InvalidFields(problem.FieldError{Field: strings.Trim(name, `"`), Message: "is not a field of this request; check the spelling and the API version"})
	}
	return problem.Wrap(err, problem.BadRequest, "the request body is not valid JSON for this request")
}

// jsonKind names Go kinds the way a JSON client thinks of them.
func jsonKind(k string) string {
	switch {
	case strings.HasPrefix(k, "int"), strings.HasPrefix(k, "uint"), strings.HasPrefix(k, "float"):
		return "number"
	case k == "slice" || k == "array":
		return "array"
	case k == "struct" || k == "map":
		return "object"
	case k == "bool":
		return "boolean"
	}
	return k
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
