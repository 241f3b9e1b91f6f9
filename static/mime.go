package static

import (
	"mime"
	"path"
	"strings"
)

// builtinTypes are the content types of the files a web front end is made
// of. They are looked up before mime.TypeByExtension so the answer does not
// depend on the machine's /etc/mime.types (which maps .js to
// application/x-javascript on some distributions and lacks .mjs, .wasm or
// .woff2 on others).
var builtinTypes = map[string]string{
	".css":         "text/css; charset=utf-8",
	".csv":         "text/csv; charset=utf-8",
	".js":          "text/javascript; charset=utf-8", // RFC 9239
	".mjs":         "text/javascript; charset=utf-8",
	".htm":         "text/html; charset=utf-8",
	".html":        "text/html; charset=utf-8",
	".md":          "text/markdown; charset=utf-8",
	".txt":         "text/plain; charset=utf-8",
	".xml":         "text/xml; charset=utf-8",
	".json":        "application/json", // RFC 8259 §11: no charset parameter; JSON is UTF-8
	".map":         "application/json", // source maps
	".webmanifest": "application/manifest+json",
	".wasm":        "application/wasm",
	".pdf":         "application/pdf",
	".svg":         "image/svg+xml",
	".png":         "image/png",
	".jpg":         "image/jpeg",
	".jpeg":        "image/jpeg",
	".gif":         "image/gif",
	".webp":        "image/webp",
	".avif":        "image/avif",
	".ico":         "image/vnd.microsoft.icon",
	".woff":        "font/woff",
	".woff2":       "font/woff2",
	".ttf":         "font/ttf",
	".otf":         "font/otf",
	".mp4":         "video/mp4",
	".webm":        "video/webm",
}

// ContentType returns the Content-Type for a file name, by extension
// (case-insensitive): the built-in table of web types first, then
// mime.TypeByExtension, then application/octet-stream. Text types (text/*,
// and XML and JavaScript types however spelt) get "; charset=utf-8" when
// they lack a charset. The content is never sniffed: with
// X-Content-Type-Options: nosniff the declared type is what browsers use,
// and guessing "text/html" from a file's first bytes is how uploads become
// scripts.
func ContentType(name string) string {
	ext := strings.ToLower(path.Ext(name))
	if ext == "" {
		return "application/octet-stream"
	}
	if t, ok := builtinTypes[ext]; ok {
		return t
	}
	t := mime.TypeByExtension(ext)
	if t == "" {
		return "application/octet-stream"
	}
	media, params, err := mime.ParseMediaType(t)
	if err != nil {
		return "application/octet-stream"
	}
	if _, ok := params["charset"]; !ok && needsCharset(media) {
		return t + "; charset=utf-8"
	}
	return t
}

func needsCharset(media string) bool {
	return strings.HasPrefix(media, "text/") ||
		media == "application/javascript" || media == "application/x-javascript" ||
		media == "application/xml"
}
