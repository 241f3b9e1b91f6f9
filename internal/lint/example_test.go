package lint_test

import (
	"fmt"
	"net/url"
	"time"

	"github.com/golocal/golocal/internal/lint"
)

func ExampleParseRaw() {
	raw, err := lint.ParseRaw([]byte("HTTP/1.1 200 OK\nContent-Type : text/html\nX-Note: one\r\n two\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nhi"))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(raw.StatusCode, raw.ContentLengths, raw.BareLFLines)
	for _, f := range raw.Fields {
		fmt.Printf("%q %q ws-before-colon=%v folded=%v\n", f.Name, f.Value, f.Has(lint.FlagWSBeforeColon), f.Has(lint.FlagFolded))
	}
	// Output:
	// 200 [2 3] 2
	// "Content-Type" "text/html" ws-before-colon=true folded=false
	// "X-Note" "one two" ws-before-colon=false folded=true
	// "Content-Length" "2" ws-before-colon=false folded=false
	// "Content-Length" "3" ws-before-colon=false folded=false
}

func ExampleRun() {
	raw, _ := lint.ParseRaw([]byte("HTTP/1.1 200 OK\r\n" +
		"Content-Type: text/html; charset =utf-8\r\n" +
		"Set-Cookie: session=abc; SameSite=None\r\n" +
		"Content-Length: 2\r\n\r\nhi"))
	u, _ := url.Parse("http://example.test/")
	rep := lint.Run(&lint.Exchange{URL: u, Proto: "HTTP/1.1", Raw: raw, Received: time.Now()}, lint.Options{})
	for _, f := range rep.Findings {
		if f.Severity == lint.Error {
			fmt.Printf("%s %s: %s\n", f.Severity, f.Rule, f.Evidence)
		}
	}
	fmt.Println(rep.Score, rep.Grade)
	// Output:
	// error ck-none-insecure: Set-Cookie: session=abc; SameSite=None
	// error ck-session-httponly: Set-Cookie: session=abc; SameSite=None
	// error ct-param-ws-eq: Content-Type: text/html; charset =utf-8
	// 0 F
}
