package devproxy

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// The event stream follows the HTML Standard's Server-Sent Events
// (https://html.spec.whatwg.org/multipage/server-sent-events.html). Events:
//
//	hello          {"version":"…","failed":bool}  first on every connection
//	build-started  {}
//	build-failed   {"title":"…","hint":"…","diagnostics":[{"file","line","column","message","excerpt":[{"n","text","mark"}]}]}
//	reload         {"version":"…"}
//	css            {"paths":["static/site.css"]}
//
// version names the app build a page was served from: the front's instance
// id (random per process) and a counter bumped by every Reload. A page
// whose script URL carries another version than hello reports missed a
// reload (or the front restarted) and reloads.

// retryMillis is the reconnect delay the stream suggests to EventSource.
const retryMillis = 1000

// clientQueue bounds events queued for one slow client; a client that
// falls this far behind is disconnected and resynchronises from hello.
const clientQueue = 32

type hub struct {
	heartbeat time.Duration
	instance  string
	broken    atomic.Bool // fast path for navigations

	mu      sync.Mutex
	clients map[*sseClient]struct{}
	reloads int
	failure []byte // build-failed event while the build is broken
	current failureView
	closed  bool
}

type sseClient struct {
	ch   chan []byte
	gone chan struct{} // closed when the hub drops the client
}

func newHub(heartbeat time.Duration) *hub {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return &hub{heartbeat: heartbeat, instance: hex.EncodeToString(b[:]), clients: make(map[*sseClient]struct{})}
}

func (h *hub) versionLocked() string { return h.instance + "." + strconv.Itoa(h.reloads) }

func (h *hub) currentVersion() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.versionLocked()
}

func (h *hub) failedNow() bool { return h.broken.Load() }

func (h *hub) currentFailure() failureView {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.current
}

// failureView is a Failure as pages see it.
type failureView struct {
	Title       string           `json:"title"`
	Hint        string           `json:"hint"`
	Diagnostics []diagnosticView `json:"diagnostics"`
}

func encodeEvent(name string, data any) []byte {
	payload, err := json.Marshal(data)
	if err != nil {
		payload = []byte("{}") // only our own plain structs are marshalled
	}
	var b bytes.Buffer
	b.WriteString("event: ")
	b.WriteString(name)
	b.WriteString("\ndata: ")
	b.Write(payload) // JSON has no raw newlines: one data line
	b.WriteString("\n\n")
	return b.Bytes()
}

// broadcastLocked queues msg for every client, dropping clients whose queue
// is full rather than blocking the caller (the dev loop).
func (h *hub) broadcastLocked(msg []byte) {
	for c := range h.clients {
		select {
		case c.ch <- msg:
		default:
			delete(h.clients, c)
			close(c.gone)
		}
	}
}

func (h *hub) buildStarted() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.broadcastLocked(encodeEvent("build-started", struct{}{}))
}

func (h *hub) failed(v failureView) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if v.Diagnostics == nil {
		v.Diagnostics = []diagnosticView{}
	}
	h.current = v
	h.failure = encodeEvent("build-failed", v)
	h.broken.Store(true)
	h.broadcastLocked(h.failure)
}

func (h *hub) reload() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.reloads++
	h.failure, h.current = nil, failureView{}
	h.broken.Store(false)
	h.broadcastLocked(encodeEvent("reload", map[string]string{"version": h.versionLocked()}))
}

func (h *hub) stylesChanged(paths []string) {
	if paths == nil {
		paths = []string{}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.broadcastLocked(encodeEvent("css", map[string][]string{"paths": paths}))
}

func (h *hub) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	for c := range h.clients {
		delete(h.clients, c)
		close(c.gone)
	}
}

// serve streams events to one EventSource until it goes away, the hub
// drops it, or the front closes.
func (h *hub) serve(w http.ResponseWriter, r *http.Request, closed <-chan struct{}) {
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", "GET")
		http.Error(w, "the event stream is read with GET (EventSource)", http.StatusMethodNotAllowed)
		return
	}
	c := &sseClient{ch: make(chan []byte, clientQueue), gone: make(chan struct{})}
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		http.Error(w, "the dev front is shutting down", http.StatusServiceUnavailable)
		return
	}
	// Register and snapshot under one lock so no event falls in between.
	h.clients[c] = struct{}{}
	first := [][]byte{
		[]byte("retry: " + strconv.Itoa(retryMillis) + "\n\n"),
		encodeEvent("hello", map[string]any{"version": h.versionLocked(), "failed": h.failure != nil}),
	}
	if h.failure != nil {
		first = append(first, h.failure)
	}
	h.mu.Unlock()
	defer func() {
		h.mu.Lock()
		if _, ok := h.clients[c]; ok {
			delete(h.clients, c)
			close(c.gone)
		}
		h.mu.Unlock()
	}()

	hdr := w.Header()
	hdr.Set("Content-Type", "text/event-stream")
	hdr.Set("Cache-Control", "no-store")
	hdr.Set("X-Accel-Buffering", "no") // nginx in front of a dev box: do not buffer
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	for _, msg := range first {
		if _, err := w.Write(msg); err != nil {
			return
		}
	}
	if rc.Flush() != nil {
		return
	}
	tick := time.NewTicker(h.heartbeat)
	defer tick.Stop()
	for {
		var msg []byte
		select {
		case msg = <-c.ch:
		case <-tick.C:
			msg = []byte(": ping\n\n")
		case <-c.gone:
			return
		case <-closed:
			return
		case <-r.Context().Done():
			return
		}
		if _, err := w.Write(msg); err != nil {
			return
		}
		if rc.Flush() != nil {
			return
		}
	}
}
