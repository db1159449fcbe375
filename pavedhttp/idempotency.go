package pavedhttp

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/idempotency"
)

// Header fields of the IETF Idempotency-Key draft and Stripe's replay marker.
const (
	IdempotencyKeyHeader     = "Idempotency-Key"
	IdempotentReplayedHeader = "Idempotent-Replayed"
)

// DefaultMaxRequestBody is the largest request body NewIdempotencyHandler
// reads to fingerprint a request (1 MiB).
const DefaultMaxRequestBody = 1 << 20

// defaultReplayedHeaders are the response fields a replay carries: what
// describes the body and the resource, never cookies or per-connection
// fields. They are looked up in canonical form (ETag is "Etag" in an
// http.Header), as WithReplayedHeaders's names are.
var defaultReplayedHeaders = canonical(
	"Content-Type", "Content-Encoding", "Content-Language", "Content-Location",
	"Location", "ETag", "Last-Modified", "Cache-Control", "Expires", "Vary", "Link",
)

// canonical returns names in canonical form, in a slice of its own.
func canonical(names ...string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = http.CanonicalHeaderKey(n)
	}
	return out
}

// IdempotencyHandler is the server side of idempotency keys: an
// http.Handler that runs each keyed POST or PATCH at most once per caller and
// key through an idempotency.Guard, and answers every repeat with the first
// response. Make one with NewIdempotencyHandler. It is safe for concurrent
// use.
type IdempotencyHandler struct {
	g    *idempotency.Guard
	next http.Handler
	cfg  idemConfig
}

var _ http.Handler = (*IdempotencyHandler)(nil)

// NewIdempotencyHandler returns a Handler that guards next with g
// (STANDARDS.md RS-11). For a request whose method is POST or PATCH (see
// WithIdempotentMethods) and that carries an Idempotency-Key header:
//
//   - the header is a structured-field String (`"8e03978e-..."`) or the bare
//     key; 1 to 255 printable ASCII characters (idempotency.ParseHeader). A
//     malformed key, or two Idempotency-Key fields, is answered 400;
//   - the first request with the key runs next; its status, the response
//     fields that describe the body and resource (Content-Type, Location,
//     ETag, ...; WithReplayedHeaders adds more) and its body are stored for
//     the Guard's retention (24 hours by default), then sent;
//   - a repeat after it completed gets the stored response, with
//     Idempotent-Replayed: true, and next does not run;
//   - a repeat while the first still runs gets 409 Conflict (the client's
//     retry comes back later); the key with another request (method, path
//     and query, body digest; WithFingerprintFunc) gets 422 Unprocessable
//     Content;
//   - when the Guard's store fails or does not answer within its timeout,
//     503 and next does not run (unless the Guard fails open).
//
// A request without the header runs unguarded, or gets 400 with
// WithKeyRequired(true). Errors are application/problem+json (RFC 9457)
// and never contain the key. Other methods pass straight to next.
//
// Keys are scoped by caller: the caller key NewHandler's WithKeyFunc puts on
// the request (paved.CallInfo.Key), when this Handler runs inside one, or
// WithScopeFunc's. Without either every caller shares one scope, and any
// caller who knows a key could read its stored response: set one.
//
// The response is buffered until next returns, then stored, then sent. A
// body larger than the Guard's storable limit (1 MiB by default) is sent
// as it is written once it passes the limit, and only its status and
// headers are stored: a repeat gets that status, Idempotent-Replayed: true,
// and a problem+json body saying the body was not kept — next never runs
// twice because of a body's size. A handler that flushes is streamed from
// then on; its body is still stored if it fits.
//
// The request body is read (at most WithMaxRequestBody bytes, default
// 1 MiB; larger is 413) to fingerprint it, and next reads it from memory.
// A handler that panics releases the key, so a retry runs it again.
//
// NewIdempotencyHandler panics if g or next is nil: that is a programmer
// error.
func NewIdempotencyHandler(g *idempotency.Guard, next http.Handler, opts ...IdempotencyOption) http.Handler {
	if g == nil || next == nil {
		panic("pavedhttp: NewIdempotencyHandler needs a Guard and a next Handler")
	}
	return &IdempotencyHandler{g: g, next: next, cfg: newIdemConfig(opts)}
}

// IdempotencyOption configures an IdempotencyHandler.
type IdempotencyOption func(*idemConfig)

type idemConfig struct {
	required    bool
	methods     map[string]bool
	scope       func(*http.Request) string
	fingerprint func(r *http.Request, body []byte) string
	maxBody     int64
	headers     []string
}

func newIdemConfig(opts []IdempotencyOption) idemConfig {
	c := idemConfig{
		methods: map[string]bool{http.MethodPost: true, http.MethodPatch: true},
		maxBody: DefaultMaxRequestBody,
		headers: defaultReplayedHeaders,
	}
	for _, o := range opts {
		if o != nil {
			o(&c)
		}
	}
	return c
}

// WithKeyRequired(true) answers a guarded method's request without an
// Idempotency-Key with 400 Bad Request, and does not run it. Default false:
// it runs unguarded.
func WithKeyRequired(required bool) IdempotencyOption {
	return func(c *idemConfig) { c.required = required }
}

// WithIdempotentMethods sets the methods guarded. Default POST and PATCH,
// the methods the draft means the header for (the others are idempotent
// already, RFC 9110 §9.2.2). It panics when given none.
func WithIdempotentMethods(methods ...string) IdempotencyOption {
	if len(methods) == 0 {
		panic("pavedhttp: WithIdempotentMethods needs at least one method")
	}
	return func(c *idemConfig) {
		c.methods = make(map[string]bool, len(methods))
		for _, m := range methods {
			c.methods[m] = true
		}
	}
}

// WithScopeFunc sets who is asking, the scope keys live in: a tenant or
// principal from the authenticated request. Default: the caller key of the
// NewHandler this Handler runs in (its WithKeyFunc), else none. A nil f
// keeps the default.
func WithScopeFunc(f func(*http.Request) string) IdempotencyOption {
	return func(c *idemConfig) {
		if f != nil {
			c.scope = f
		}
	}
}

// WithFingerprintFunc sets what makes two requests with one key the same
// request: f gets the request and its body. Default: a SHA-256 digest of the
// method, the path and query, and the body. A nil f keeps the default.
func WithFingerprintFunc(f func(r *http.Request, body []byte) string) IdempotencyOption {
	return func(c *idemConfig) {
		if f != nil {
			c.fingerprint = f
		}
	}
}

// WithMaxRequestBody bounds the request body read to fingerprint it; a
// larger one is answered 413 Content Too Large. Must be 1..1073741824 (1
// GiB); it panics otherwise. Default 1 MiB.
func WithMaxRequestBody(n int64) IdempotencyOption {
	if n < 1 || n > 1<<30 {
		panic(fmt.Sprintf("pavedhttp: WithMaxRequestBody must be 1..1073741824, got %d", n))
	}
	return func(c *idemConfig) { c.maxBody = n }
}

// WithReplayedHeaders adds response fields that replays carry, beyond the
// default Content-Type, Content-Encoding, Content-Language,
// Content-Location, Location, ETag, Last-Modified, Cache-Control, Expires,
// Vary and Link. Never name Set-Cookie or other secrets: they would be
// stored, and replayed to whoever sends the key within the caller's scope.
func WithReplayedHeaders(names ...string) IdempotencyOption {
	return func(c *idemConfig) {
		c.headers = append(slices.Clip(c.headers), canonical(names...)...)
	}
}

// ServeHTTP guards r (see NewIdempotencyHandler).
func (h *IdempotencyHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !h.cfg.methods[r.Method] {
		h.next.ServeHTTP(w, r)
		return
	}
	vals := r.Header.Values(IdempotencyKeyHeader)
	switch {
	case len(vals) == 0 && !h.cfg.required:
		h.next.ServeHTTP(w, r)
		return
	case len(vals) == 0:
		writeProblem(w, http.StatusBadRequest, "this request needs an Idempotency-Key header")
		return
	case len(vals) > 1:
		writeProblem(w, http.StatusBadRequest, "more than one Idempotency-Key field")
		return
	}
	key, err := idempotency.ParseHeader(vals[0])
	if err != nil {
		writeProblem(w, http.StatusBadRequest, "Idempotency-Key: "+keyRule(err))
		return
	}
	body, ok := h.readBody(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	req := idempotency.Request{Key: key}
	if h.cfg.scope != nil {
		req.Scope = h.cfg.scope(r)
	} else {
		req.Scope = paved.CallInfoFrom(ctx).Key
	}
	if h.cfg.fingerprint != nil {
		req.Fingerprint = h.cfg.fingerprint(r, body)
	} else {
		req.Fingerprint = idempotency.Fingerprint([]byte(r.Method), []byte(r.URL.EscapedPath()), []byte(r.URL.RawQuery), body)
	}
	var rec *idemRecorder
	res, err := h.g.Do(ctx, req, func(ctx context.Context) (*idempotency.Response, error) {
		rec = &idemRecorder{w: w, limit: h.g.MaxStoredBytes()}
		r := r.WithContext(ctx)
		r.Body = io.NopCloser(bytes.NewReader(body))
		h.next.ServeHTTP(rec, r)
		return rec.response(h.cfg.headers), nil
	})
	switch {
	case err != nil:
		writeIdempotencyError(w, ctx, err)
	case res.Replayed:
		writeReplay(w, res.Response)
	default:
		rec.finish()
	}
}

// readBody reads r's body into memory for the fingerprint, answering 413
// when it is too large and nothing when it cannot be read (the client went
// away, or sent a malformed body: net/http's own error stands).
func (h *IdempotencyHandler) readBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, true
	}
	if r.ContentLength > h.cfg.maxBody {
		writeProblem(w, http.StatusRequestEntityTooLarge, "request body larger than "+strconv.FormatInt(h.cfg.maxBody, 10)+" bytes")
		return nil, false
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, h.cfg.maxBody+1))
	if err != nil {
		writeProblem(w, http.StatusBadRequest, "request body could not be read")
		return nil, false
	}
	if int64(len(body)) > h.cfg.maxBody {
		writeProblem(w, http.StatusRequestEntityTooLarge, "request body larger than "+strconv.FormatInt(h.cfg.maxBody, 10)+" bytes")
		return nil, false
	}
	return body, true
}

// keyRule is the rule an invalid key broke, as the key error says it.
func keyRule(err error) string {
	const p = "idempotency: invalid key: "
	if s := err.Error(); len(s) > len(p) {
		return "invalid key: " + s[len(p):]
	}
	return "invalid key"
}

// writeIdempotencyError answers a request the Guard refused.
func writeIdempotencyError(w http.ResponseWriter, ctx context.Context, err error) {
	switch {
	case errors.Is(err, idempotency.ErrConflict):
		writeProblem(w, http.StatusConflict, "a request with this Idempotency-Key is still being processed; retry later")
	case errors.Is(err, idempotency.ErrMismatch):
		writeProblem(w, http.StatusUnprocessableEntity, "this Idempotency-Key was used with a different request")
	case errors.Is(err, idempotency.ErrUnavailable):
		// The store's own error may name hosts: it stays out of the answer.
		writeProblem(w, http.StatusServiceUnavailable, idempotency.ErrUnavailable.Error())
	case ctx.Err() != nil:
		// The client went away: nobody reads an answer.
	default:
		writeProblem(w, http.StatusInternalServerError, "")
	}
}

// writeReplay sends a stored response.
func writeReplay(w http.ResponseWriter, resp *idempotency.Response) {
	h := w.Header()
	for k, vs := range resp.Header {
		h[k] = vs
	}
	h.Set(IdempotentReplayedHeader, "true")
	if resp.BodyOmitted {
		size := "its"
		if resp.BodySize >= 0 {
			size = "its " + strconv.FormatInt(resp.BodySize, 10) + "-byte"
		}
		h.Del("Content-Encoding")
		p := problem{Type: "about:blank", Title: "Response body not stored", Status: resp.Code,
			Detail: "the first request with this Idempotency-Key ran and was answered with " + size + " body, larger than the store keeps; it is not run again"}
		body, _ := json.Marshal(p)
		h.Set("Content-Type", "application/problem+json")
		h.Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(resp.Code)
		_, _ = w.Write(body)
		return
	}
	h.Set("Content-Length", strconv.Itoa(len(resp.Body)))
	w.WriteHeader(resp.Code)
	_, _ = w.Write(resp.Body)
}

// writeProblem writes an RFC 9457 problem with status and detail.
func writeProblem(w http.ResponseWriter, status int, detail string) {
	h := w.Header()
	h.Set("Content-Type", "application/problem+json")
	h.Set("X-Content-Type-Options", "nosniff")
	body, _ := json.Marshal(problem{Type: "about:blank", Title: http.StatusText(status), Status: status, Detail: detail})
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// idemRecorder buffers a guarded handler's response so it can be stored
// before it is sent. Headers go to the real ResponseWriter's map (nothing is
// sent before WriteHeader); the status and body are held until finish, or
// until the body passes the storable limit or the handler flushes, after
// which the response streams through (and is stored only if it fits).
type idemRecorder struct {
	w       http.ResponseWriter
	limit   int
	code    int
	buf     []byte
	size    int64
	through bool // the status and what was buffered went to w: write straight through
	over    bool // the body passed the limit: not stored
}

func (r *idemRecorder) Header() http.Header { return r.w.Header() }

func (r *idemRecorder) WriteHeader(code int) {
	if code >= 100 && code < 200 && code != http.StatusSwitchingProtocols {
		r.w.WriteHeader(code) // informational: sent now, not part of the stored response
		return
	}
	if r.code == 0 {
		r.code = code
	}
}

func (r *idemRecorder) Write(p []byte) (int, error) {
	if r.code == 0 {
		r.code = http.StatusOK
	}
	r.size += int64(len(p))
	if !r.over {
		if len(r.buf)+len(p) <= r.limit {
			r.buf = append(r.buf, p...)
		} else {
			sofar := r.buf
			r.over, r.buf = true, nil
			if !r.through {
				// Too large to store: send what came so far, and the rest as it comes.
				r.startThrough(sofar)
				return r.w.Write(p)
			}
		}
	}
	if r.through {
		return r.w.Write(p)
	}
	return len(p), nil
}

// startThrough sends the status and the body so far.
func (r *idemRecorder) startThrough(pending []byte) {
	r.through = true
	r.w.WriteHeader(r.code)
	if len(pending) > 0 {
		_, _ = r.w.Write(pending)
	}
}

// Flush streams the response from now on: a handler that flushes wants its
// client to see the bytes.
func (r *idemRecorder) Flush() {
	if r.code == 0 {
		r.code = http.StatusOK
	}
	if !r.through {
		r.startThrough(r.buf)
	}
	_ = http.NewResponseController(r.w).Flush()
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (r *idemRecorder) Unwrap() http.ResponseWriter { return r.w }

// response is what the Guard stores.
func (r *idemRecorder) response(names []string) *idempotency.Response {
	code := r.code
	if code == 0 {
		code = http.StatusOK
	}
	resp := &idempotency.Response{Code: code, Body: r.buf}
	if r.over {
		resp.Body, resp.BodyOmitted, resp.BodySize = nil, true, r.size
	}
	h := r.w.Header()
	for _, n := range names {
		if vs, ok := h[n]; ok {
			if resp.Header == nil {
				resp.Header = make(map[string][]string, 4)
			}
			resp.Header[n] = append([]string(nil), vs...)
		}
	}
	return resp
}

// finish sends a response that was buffered whole.
func (r *idemRecorder) finish() {
	if r.through {
		return
	}
	if r.code == 0 {
		r.code = http.StatusOK
	}
	r.w.WriteHeader(r.code)
	if len(r.buf) > 0 {
		_, _ = r.w.Write(r.buf)
	}
}
