package verify

import (
	"bytes"
	"debug/buildinfo"
	"io"
	"net"
	"net/http"
	"runtime/debug"
	"time"
)

// maxBodyRead bounds what verify reads of one response body.
const maxBodyRead = 4 << 20

// response is what verify keeps of an answer.
type response struct {
	status int
	header http.Header
	body   []byte
	took   time.Duration
}

// newClient makes verify's client: no redirects followed, short timeouts,
// a few keep-alive connections.
func newClient() *http.Client {
	tr := &http.Transport{
		DialContext:           (&net.Dialer{Timeout: 3 * time.Second}).DialContext,
		MaxIdleConnsPerHost:   16,
		ResponseHeaderTimeout: 10 * time.Second,
		DisableCompression:    true,
	}
	return &http.Client{
		Transport:     tr,
		Timeout:       15 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// do sends a request to the public listener.
func (a *Audit) do(method, path string, header http.Header, body []byte) (*response, error) {
	return a.doURL(method, a.base.String()+path, header, body)
}

// adminDo sends a request to the admin listener.
func (a *Audit) adminDo(method, path string, header http.Header) (*response, error) {
	return a.doURL(method, a.admin.String()+path, header, nil)
}

func (a *Audit) doURL(method, u string, header http.Header, body []byte) (*response, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(a.ctx, method, u, rd)
	if err != nil {
		return nil, err
	}
	for k, vs := range header {
		for _, v := range vs {
			if k == "Host" {
				req.Host = v
				continue
			}
			req.Header.Add(k, v)
		}
	}
	start := time.Now()
	resp, err := a.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxBodyRead))
	if err != nil {
		return nil, err
	}
	return &response{status: resp.StatusCode, header: resp.Header, body: b, took: time.Since(start)}, nil
}

func readBuildInfo(binary string) (*debug.BuildInfo, error) {
	return buildinfo.ReadFile(binary)
}

// hdr builds a header from name, value pairs.
func hdr(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Add(kv[i], kv[i+1])
	}
	return h
}
