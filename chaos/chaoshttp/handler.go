package chaoshttp

import (
	"net"
	"net/http"
	"strconv"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/chaos"
)

// Handler is an http.Handler that disturbs a share of the requests to next
// with a Chaos's fault: the server side of a rehearsal, so the clients
// under test meet real responses, real resets and real slowness over the
// network. Make one with NewHandler. It is safe for concurrent use.
//
// The faults, on a picked request:
//
//   - chaos.Latency and the like: wait, then serve with next;
//   - chaos.Hang: answer nothing until the client gives up (its request's
//     context ends), then drop the connection;
//   - chaos.Error, chaos.ErrorOutcome: answer with the status the error's
//     outcome calls for (StatusForOutcome), without running next;
//   - Status: answer with that status, without running next;
//   - Reset: close the client's connection with an RST, without running next.
type Handler struct {
	c    *chaos.Chaos
	next http.Handler
}

var _ http.Handler = (*Handler)(nil)

// NewHandler returns a Handler that disturbs the requests to next with c.
// It panics if c or next is nil, or if c's fault is one only another
// transport applies (chaosgrpc.Code): a programmer error.
func NewHandler(c *chaos.Chaos, next http.Handler) *Handler {
	mustHTTPFault(c)
	if next == nil {
		panic("chaoshttp: NewHandler needs a next Handler, got nil")
	}
	return &Handler{c: c, next: next}
}

// ServeHTTP serves r with next, or disturbs it.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	in, ok := h.c.Pick(ctx)
	if !ok {
		h.next.ServeHTTP(w, r)
		return
	}
	if err := in.Wait(ctx); err != nil {
		// The client is gone (or, for a hang, gave up): answering now would
		// send an empty 200 it must not mistake for success.
		panic(http.ErrAbortHandler)
	}
	if err := in.Err(); err != nil {
		writeStatus(w, StatusFault{Code: StatusForOutcome(paved.DefaultClassifier.Classify(err))})
		return
	}
	switch f := in.Fault.(type) {
	case StatusFault:
		writeStatus(w, f)
		return
	case resetFault:
		reset(w)
		return
	}
	h.next.ServeHTTP(w, r)
}

// StatusForOutcome is the status Handler answers an injected error with:
// 503 for Transient, 429 for Overload, 400 for Permanent, 500 for the rest.
func StatusForOutcome(o paved.Outcome) int {
	switch o {
	case paved.OutcomeTransient:
		return http.StatusServiceUnavailable
	case paved.OutcomeOverload:
		return http.StatusTooManyRequests
	case paved.OutcomePermanent:
		return http.StatusBadRequest
	}
	return http.StatusInternalServerError
}

func writeStatus(w http.ResponseWriter, f StatusFault) {
	h := w.Header()
	h.Set("Content-Type", "text/plain; charset=utf-8")
	if after := retryAfterSeconds(f); after != "" {
		h.Set("Retry-After", after)
	}
	w.WriteHeader(f.Code)
	_, _ = w.Write([]byte("chaos: injected " + strconv.Itoa(f.Code) + "\n"))
}

// reset takes the connection from the server and closes it with an RST; where
// it cannot be taken (HTTP/2), it aborts the handler, which resets the stream.
func reset(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	raw := conn
	if tlsConn, ok := conn.(interface{ NetConn() net.Conn }); ok {
		raw = tlsConn.NetConn()
	}
	if tc, ok := raw.(*net.TCPConn); ok {
		_ = tc.SetLinger(0) // an RST rather than a FIN
	}
	_ = raw.Close()
}
