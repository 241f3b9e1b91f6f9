// Package session keeps small per-user state in a cookie that is encrypted and
// authenticated (AES-256-GCM from the standard library), with defaults that
// are right for production and need no thought:
//
//   - HttpOnly, SameSite=Lax, Path=/;
//   - Secure and the __Host- name prefix outside the local and dev profiles,
//     so the browser refuses the cookie over plain HTTP or from a subdomain;
//   - the expiry lives inside the authenticated payload, so a client cannot
//     extend a session by editing the cookie's Max-Age;
//   - the cookie name is bound into the authentication tag, so a value cannot
//     be moved from one cookie to another;
//   - key rotation: the first key encrypts, every key listed still decrypts;
//     a session read with an old key is re-sealed with the current one on the
//     next save;
//   - a cookie that would exceed the 4096-byte browser limit is an error when
//     it is written, not a silent drop by the browser;
//   - a tampered, expired or undecryptable cookie yields an empty session and
//     one log line, never a 500.
//
// Use [Manager.Middleware] to load the session for every request and save it
// automatically before the response header is written if it changed; read it
// in handlers with [FromContext]. Keys come from configuration as base64
// (see [ParseKeys]); generate one with `openssl rand -base64 32`.
package session
