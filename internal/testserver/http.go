package testserver

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/paved-go/paved/clock"
)

// maxBody bounds how much of each request body is read and recorded, so a
// runaway client cannot exhaust the test's memory.
const maxBody = 1 << 20

// Request is what the HTTP server recorded of one request.
type Request struct {
	N          int    // arrival number, from 0
	Method     string // e.g. "POST"
	URI        string // the request target, e.g. "/v1/charges?x=1"
	Header     http.Header
	Body       []byte // at most 1 MiB
	RemoteAddr string // the client's address; one per connection
}

// HTTP is a scriptable HTTP/1.1 server on 127.0.0.1:0. See the package doc.
type HTTP struct {
	srv     *httptest.Server
	ledger  *ledger
	clock   clock.Clock
	handler func(n int, w http.ResponseWriter, r *http.Request)

	// closing ends the context of every in-flight request when Close starts,
	// because httptest.Server.Close waits for handlers to return.
	closing   context.Context
	close     context.CancelFunc
	closeOnce sync.Once

	mu       sync.Mutex
	requests []Request
}

// NewHTTP starts an HTTP server and registers its Close with t.Cleanup.
func NewHTTP(t testing.TB, opts ...Option) *HTTP {
	t.Helper()
	cfg := newConfig(opts)
	if cfg.choose != nil && (cfg.handler != nil || len(cfg.script) > 0) {
		t.Fatal("testserver: WithChooser cannot be combined with WithHandler or WithScript")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("testserver: listen: %v", err)
	}
	h := &HTTP{ledger: newLedger(cfg), clock: cfg.clock, handler: cfg.handler}
	h.closing, h.close = context.WithCancel(context.Background())
	h.srv = &httptest.Server{
		Listener: l,
		Config: &http.Server{
			Handler: http.HandlerFunc(h.serve),
			ConnState: func(_ net.Conn, s http.ConnState) {
				if s == http.StateNew {
					h.ledger.connOpened()
				}
			},
		},
	}
	h.srv.Start()
	t.Cleanup(h.Close)
	return h
}

// URL returns the server's base URL, "http://127.0.0.1:port".
func (h *HTTP) URL() string { return h.srv.URL }

// Client returns an *http.Client for the server whose idle connections are
// closed with it, so that tests leak no goroutines.
func (h *HTTP) Client() *http.Client { return h.srv.Client() }

// Close ends in-flight requests (Hang and Delay return at once) and shuts the
// server down. It is idempotent and is called by t.Cleanup.
func (h *HTTP) Close() {
	h.closeOnce.Do(func() {
		h.close()
		h.srv.Close()
	})
}

// Enqueue appends behaviours to the script.
func (h *HTTP) Enqueue(bs ...Behaviour) { h.ledger.enqueue(bs) }

// Requests returns how many requests have arrived.
func (h *HTTP) Requests() int { return h.ledger.total() }

// Count returns how many requests with the method (e.g. "GET") have arrived.
func (h *HTTP) Count(method string) int { return h.ledger.count(method) }

// Connections returns how many TCP connections clients have opened.
func (h *HTTP) Connections() int { return h.ledger.connections() }

// InFlight returns how many requests are being handled now.
func (h *HTTP) InFlight() int { return h.ledger.inflight() }

// WaitRequests blocks until at least n requests have arrived, or ctx is done.
func (h *HTTP) WaitRequests(ctx context.Context, n int) error {
	return h.ledger.waitArrivals(ctx, n)
}

// WaitIdle blocks until no request is being handled, or ctx is done; after a
// client cancels, it proves the server let go of the request.
func (h *HTTP) WaitIdle(ctx context.Context) error { return h.ledger.waitIdle(ctx) }

// Received returns a copy of the recorded requests, in arrival order.
func (h *HTTP) Received() []Request {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make([]Request, len(h.requests))
	for i, r := range h.requests {
		r.Header = r.Header.Clone()
		r.Body = bytes.Clone(r.Body)
		out[i] = r
	}
	return out
}

func (h *HTTP) serve(w http.ResponseWriter, r *http.Request) {
	// Read the body before anything else: it is recorded, and a server that
	// replies before reading it makes HTTP/1 clients see spurious errors.
	body, _ := io.ReadAll(io.LimitReader(r.Body, maxBody))
	r.Body = io.NopCloser(bytes.NewReader(body))
	rec := Request{Method: r.Method, URI: r.RequestURI, Header: r.Header.Clone(), Body: body, RemoteAddr: r.RemoteAddr}
	n, b := h.ledger.arrive(r.Method, func(n int) {
		rec.N = n
		h.mu.Lock()
		h.requests = append(h.requests, rec)
		h.mu.Unlock()
	})
	defer h.ledger.leave()

	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	stop := context.AfterFunc(h.closing, cancel)
	defer stop()

	if h.handler != nil {
		h.handler(n, w, r.WithContext(ctx))
		return
	}
	if err := clock.Sleep(ctx, h.clock, b.delay); err != nil {
		noReply()
	}
	switch b.action {
	case hang:
		<-ctx.Done()
		noReply()
	case reset:
		resetHTTP(w)
	default:
		writeReply(w, b)
	}
}

// noReply ends the handler without a response. Returning normally would
// make net/http send an empty 200, which a client whose request was cut off by
// Close must not mistake for success.
func noReply() { panic(http.ErrAbortHandler) }

func writeReply(w http.ResponseWriter, b Behaviour) {
	hdr := w.Header()
	for _, p := range b.header {
		hdr.Add(p.key, p.value)
	}
	// Declared up front, because trailers need a chunked response and a
	// short body would otherwise go out with a Content-Length.
	for _, p := range b.trailer {
		hdr.Add("Trailer", p.key)
	}
	w.WriteHeader(b.httpStatus())
	_, _ = io.WriteString(w, b.body)
	for _, p := range b.trailer {
		hdr.Add(p.key, p.value)
	}
}

// resetHTTP takes the connection from the server and closes it with an RST.
func resetHTTP(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return
	}
	abort(conn)
}

// abort closes conn so that the peer gets an RST rather than a FIN.
func abort(conn net.Conn) {
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
}
