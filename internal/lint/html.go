package lint

import (
	"bytes"
	"io"
	"strings"

	"golang.org/x/net/html"
)

// htmlInfo is what the rules and the score read from an HTML body: meta
// policies and script elements.
type htmlInfo struct {
	isHTML       bool
	metaCSP      []string
	metaReferrer []string
	scripts      []scriptTag
}

type scriptTag struct {
	src       string // "" for inline scripts
	integrity bool
}

// maxHTMLTokens bounds the tokenizer on hostile bodies.
const maxHTMLTokens = 200000

// html parses the body once per Run, when the response is HTML.
func (c *checker) html() *htmlInfo {
	if c.htmlCache != nil {
		return c.htmlCache
	}
	c.htmlCache = &htmlInfo{}
	ct, _ := c.first("Content-Type")
	mt := ParseMediaType(ct.Value)
	if mt.Essence != "text/html" && mt.Essence != "application/xhtml+xml" {
		return c.htmlCache
	}
	c.htmlCache.isHTML = true
	body := c.decodedBody()
	if len(body) == 0 {
		return c.htmlCache
	}
	parseHTMLInfo(body, c.htmlCache)
	return c.htmlCache
}

func parseHTMLInfo(body []byte, info *htmlInfo) {
	z := html.NewTokenizer(bytes.NewReader(body))
	z.SetMaxBuf(4 << 20)
	for range maxHTMLTokens {
		tt := z.Next()
		if tt == html.ErrorToken {
			return
		}
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
			continue
		}
		name, hasAttr := z.TagName()
		attrs := map[string]string{}
		for hasAttr {
			var k, v []byte
			k, v, hasAttr = z.TagAttr()
			if _, dup := attrs[string(k)]; !dup {
				attrs[string(k)] = string(v)
			}
		}
		switch string(name) {
		case "meta":
			switch strings.ToLower(strings.TrimSpace(attrs["http-equiv"])) {
			case "content-security-policy":
				info.metaCSP = append(info.metaCSP, attrs["content"])
			}
			if strings.EqualFold(strings.TrimSpace(attrs["name"]), "referrer") {
				info.metaReferrer = append(info.metaReferrer, attrs["content"])
			}
		case "script":
			_, integ := attrs["integrity"]
			info.scripts = append(info.scripts, scriptTag{src: strings.TrimSpace(attrs["src"]), integrity: integ})
		}
	}
}

// decodedBody returns the body with its content-codings undone, or nil when
// a coding is unknown or broken.
func (c *checker) decodedBody() []byte {
	body, _ := c.ex.body()
	codings := listValues(c.fields, "Content-Encoding")
	for i := len(codings) - 1; i >= 0; i-- {
		out, err := decode(strings.ToLower(codings[i]), body, false)
		if err != nil && err != io.ErrUnexpectedEOF {
			return nil
		}
		body = out
	}
	return body
}
