package devproxy

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"
	"testing/iotest"
)

func inject(t testing.TB, src io.Reader, tag string) string {
	t.Helper()
	out, err := io.ReadAll(&injector{src: io.NopCloser(src), tag: []byte(tag)})
	if err != nil {
		t.Fatalf("injector: %v", err)
	}
	return string(out)
}

func TestInjectorPlacement(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"after head", "<!doctype html><html><head><title>x</title></head><body></body></html>",
			"<!doctype html><html><head>@<title>x</title></head><body></body></html>"},
		{"head with attributes", `<html><head lang="en" data-x='>'>x`, `<html><head lang="en" data-x='>@'>x`},
		{"upper case", "<HTML><HEAD><TITLE>x</TITLE>", "<HTML><HEAD>@<TITLE>x</TITLE>"},
		{"header is not head", "<header>h</header><body>b", "<header>h</header>@<body>b"},
		{"no head, body", "<!doctype html><title>x</title><body class=a>b</body>", "<!doctype html><title>x</title>@<body class=a>b</body>"},
		{"only end of head", "<title>x</title></head>y", "<title>x</title>@</head>y"},
		{"fragment", "<h1>hi</h1>", "<h1>hi</h1>@"},
		{"empty", "", "@"},
		{"truncated head tag", "<html><head", "<html><head@"},
		{"lt at end", "a <", "a <@"},
		{"bodyguard is not body", "<bodyguard>x", "<bodyguard>x@"},
		{"self-closing body", "<body/>", "@<body/>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := inject(t, strings.NewReader(tt.in), "@"); got != tt.want {
				t.Errorf("whole: got %q, want %q", got, tt.want)
			}
			if got := inject(t, iotest.OneByteReader(strings.NewReader(tt.in)), "@"); got != tt.want {
				t.Errorf("byte by byte: got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestInjectorPassesReadErrors(t *testing.T) {
	r := io.MultiReader(strings.NewReader("<html><he"), iotest.ErrReader(io.ErrUnexpectedEOF))
	_, err := io.ReadAll(&injector{src: io.NopCloser(r), tag: []byte("@")})
	if err != io.ErrUnexpectedEOF {
		t.Fatalf("err = %v, want the source's error", err)
	}
}

func FuzzInjector(f *testing.F) {
	for _, s := range []string{"<html><head><title>x</title></head>", "<HEAD >", "</head", "<body", "<<<head", "<head" + strings.Repeat("a", 5000)} {
		f.Add([]byte(s), uint8(3))
	}
	const tag = "\x00TAG\x00"
	f.Fuzz(func(t *testing.T, in []byte, chunk uint8) {
		if bytes.Contains(in, []byte(tag)) {
			return
		}
		whole := inject(t, bytes.NewReader(in), tag)
		if strings.Count(whole, tag) != 1 || strings.Replace(whole, tag, "", 1) != string(in) {
			t.Fatalf("inject(%q) = %q: want the input with the tag inserted once", in, whole)
		}
		size := int(chunk)%64 + 1
		chunked := inject(t, &chunkReader{b: in, size: size}, tag)
		if chunked != whole {
			t.Fatalf("in %d-byte chunks: %q, whole: %q", size, chunked, whole)
		}
	})
}

type chunkReader struct {
	b    []byte
	size int
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(c.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), c.size)], c.b)
	c.b = c.b[n:]
	return n, nil
}

func TestWantsDocument(t *testing.T) {
	tests := []struct {
		name   string
		method string
		hdr    map[string]string
		want   bool
	}{
		{"navigation", "GET", map[string]string{"Sec-Fetch-Mode": "navigate"}, true},
		{"iframe", "GET", map[string]string{"Sec-Fetch-Mode": "no-cors", "Sec-Fetch-Dest": "iframe"}, true},
		{"fetch", "GET", map[string]string{"Sec-Fetch-Mode": "cors", "Accept": "text/html"}, false},
		{"htmx", "GET", map[string]string{"Sec-Fetch-Mode": "navigate", "HX-Request": "true"}, false},
		{"old client html", "GET", map[string]string{"Accept": "text/html,*/*"}, true},
		{"curl", "GET", map[string]string{"Accept": "*/*"}, false},
		{"form post", "POST", map[string]string{"Sec-Fetch-Mode": "navigate"}, true},
		{"post without metadata", "POST", map[string]string{"Accept": "text/html"}, false},
		{"head", "HEAD", map[string]string{"Sec-Fetch-Mode": "navigate"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, _ := http.NewRequest(tt.method, "http://example.test/", nil)
			for k, v := range tt.hdr {
				r.Header.Set(k, v)
			}
			if got := wantsDocument(r); got != tt.want {
				t.Errorf("wantsDocument = %v, want %v", got, tt.want)
			}
		})
	}
}
