// Package problem writes errors as RFC 9457 problem details
// (https://www.rfc-editor.org/rfc/rfc9457), the application/problem+json
// format that API clients can parse without guessing.
//
// A handler returns or builds a *Err carrying a [Code]; the code maps to an
// HTTP status in one place ([Code.Status]), so a NotFound is a 404 everywhere.
// [Error] writes any error: a *Err becomes a problem with its message as
// "detail"; anything else (a database error, a nil map panic turned into an
// error) becomes a generic 500 whose real message is logged with the request's
// trace id and never sent to the client, which gets the trace id instead so a
// user can quote it.
//
// Getting started:
//
//	func getOrder(w http.ResponseWriter, r *http.Request) {
//		o, err := store.Order(r.Context(), r.PathValue("id"))
//		if errors.Is(err, store.ErrNotFound) {
//			problem.Error(w, r, problem.Errorf(problem.NotFound, "order %q does not exist", r.PathValue("id")))
//			return
//		}
//		if err != nil {
//			problem.Error(w, r, err) // 500, message logged, not sent
//			return
//		}
//		...
//	}
//
// Validation failures list every bad field with [InvalidFields]; a created
// resource is answered with [Created] (201 and Location). Logging goes to
// slog.Default unless a [Responder] with its own Logger is used.
package problem
