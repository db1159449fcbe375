package pavedhttp

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"sync/atomic"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/telemetry"
)

// Transport is an http.RoundTripper that sends every request through a
// paved Pipeline. Make one with NewTransport. It is safe for concurrent use.
//
// Each RoundTrip is one logical call (one span of the pipeline's); each
// attempt the pipeline makes is one RoundTrip of the base transport, with its
// own otelhttp client span. The call's CallInfo says:
//
//   - Operation: "METHOD host" unless WithOperationFunc says otherwise;
//   - Unrepeatable: true unless the method is safe to repeat (GET, HEAD,
//     OPTIONS, TRACE, PUT, DELETE; POST and PATCH only with an
//     Idempotency-Key header, RFC 9110 §9.2.2) and the body, if any, can be
//     replayed (Request.GetBody is set, as http.NewRequest does for
//     *bytes.Buffer, *bytes.Reader and *strings.Reader bodies);
//   - Classifier: Classify, the HTTP outcome table (docs/reference.md).
//
// The response lifecycle is the Transport's: a response that a retry or hedge
// discards is drained (at most 64 KiB, so the connection is reused) and
// closed; the final response is returned as a response, even a 503 after the
// last attempt, exactly as http.Client users expect; and the winning
// attempt's context (and whatever a policy holds with paved.Attempt.Hold)
// stays alive until the caller closes that response's body.
type Transport struct {
	p      *paved.Pipeline
	rec    *telemetry.Recorder
	cfg    transportConfig
	base   http.RoundTripper
	bare   http.RoundTripper // base, with trace propagation: used while telemetry is off
	traced atomic.Pointer[tracedRT]

	// lastOp caches the default operation name of the last request, so a
	// client that calls one host saves building the string each time.
	lastOp atomic.Pointer[opName]
}

type opName struct{ method, host, name string }

// operation names req's call.
func (t *Transport) operation(req *http.Request) string {
	if t.cfg.operation != nil {
		return t.cfg.operation(req)
	}
	m, h := method(req), req.URL.Host
	if o := t.lastOp.Load(); o != nil && o.method == m && o.host == h {
		return o.name
	}
	o := &opName{method: m, host: h, name: m + " " + h}
	t.lastOp.Store(o)
	return o.name
}

var _ http.RoundTripper = (*Transport)(nil)

// NewTransport returns a Transport that sends requests through p to base (nil
// base means http.DefaultTransport). Per-attempt client spans and HTTP client
// metrics come from otelhttp, reporting to p's telemetry providers, and each
// resend carries http.request.resend_count. While p's telemetry records
// nothing (no providers installed), otelhttp is skipped altogether and the
// Transport costs little more than the base.
//
// NewTransport panics if p is nil: that is a programmer error.
func NewTransport(p *paved.Pipeline, base http.RoundTripper, opts ...Option) http.RoundTripper {
	if p == nil {
		panic("pavedhttp: NewTransport needs a Pipeline, got nil")
	}
	if base == nil {
		base = http.DefaultTransport
	}
	tel := p.Telemetry()
	return &Transport{
		p:    p,
		rec:  tel.Recorder(p.Name()),
		cfg:  newTransportConfig(opts),
		base: base,
		bare: propagating{next: base},
	}
}

// tracedRT is otelhttp around the base transport, built for one set of
// providers.
type tracedRT struct {
	providers telemetry.Providers
	rt        http.RoundTripper
}

// tracedFor returns otelhttp reporting to the pipeline's providers as they
// are now, building it anew when they changed (a service that replaced its
// global TracerProvider), so that every attempt's span goes where the call's
// span goes: one trace, one exporter.
func (t *Transport) tracedFor(prov telemetry.Providers) http.RoundTripper {
	if c := t.traced.Load(); c != nil && c.providers == prov {
		return c.rt
	}
	c := &tracedRT{providers: prov, rt: otelhttp.NewTransport(attemptSpan{next: t.base, redactAll: t.cfg.redactQuery},
		otelhttp.WithTracerProvider(prov.TracerProvider()),
		otelhttp.WithMeterProvider(prov.MeterProvider()))}
	t.traced.Store(c)
	return c.rt
}

// errNoResponse is returned when the pipeline finished without an error and
// without a response: a middleware returned nil without calling the
// transport. A RoundTripper must not return (nil, nil).
var errNoResponse = errors.New("pavedhttp: the pipeline returned no response and no error")

// RoundTrip runs req through the pipeline. It never modifies req. It returns
// the final attempt's response when there is one, with a nil error, whatever
// its status; otherwise the error of the last attempt or of the policy that
// refused or gave up, which Classify classifies.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	req = t.withIdempotencyKey(req) // WithIdempotencyKeys
	enabled, _ := t.rec.Enabled()
	rt := &roundTrip{req: req, next: t.bare, deadlineHeader: t.cfg.deadlineHeader}
	if enabled {
		rt.next = t.tracedFor(t.p.Telemetry().Providers())
	}
	repeat, why := repeatability(req)
	rt.info = paved.CallInfo{
		Operation:    t.operation(req),
		Unrepeatable: repeat == never,
		Sequential:   repeat == sequential,
		UnsafeReason: why,
		Classifier:   Classifier,
		Data:         rt,
	}
	c, err := t.p.ExecuteWith(req.Context(), &rt.info, sendAttempt)
	if req.Body != nil && req.Body != http.NoBody && !rt.bodyTaken.Load() {
		// No attempt took the body; the RoundTripper contract says we close it.
		_ = req.Body.Close()
	}
	if a := c.Final(); a != nil {
		if v, ok := a.Result(); ok {
			if resp, ok := v.(*http.Response); ok {
				resp.Body = releaseOnClose(resp.Body, a)
				return resp, nil
			}
		}
		// No response to hand over: nothing will call Release but us.
		a.Release()
	}
	if err == nil {
		err = errNoResponse
	}
	return nil, err
}

// roundTrip is one RoundTrip's state, shared by its attempts, and reached by
// them through paved.Call.Data: one allocation carries the call's info and
// everything the attempts need.
type roundTrip struct {
	info           paved.CallInfo
	req            *http.Request
	next           http.RoundTripper
	deadlineHeader string      // "": none (WithDeadlineHeader)
	bodyTaken      atomic.Bool // the first attempt to run sends req.Body itself
	// lastResp is the latest response an attempt received, for
	// TakeServerQuota (a rate limiter listening to the server's RateLimit
	// fields); only its status and header are read.
	lastResp atomic.Pointer[http.Response]
}

// sendAttempt is the Op of every attempt: it sends the attempt's copy of the
// caller's request (the first attempt to run sends the body itself, later ones
// replay it), records the response on the attempt, and turns a failure status
// into a *StatusError so every policy sees its outcome. With
// WithDeadlineHeader, the copy carries the attempt's remaining time.
//
// An attempt that failed before the request left (the connection could not
// be made) is marked unsent (paved.Attempt.MarkUnsent), so a retry may
// repeat even a POST without an Idempotency-Key: no server saw it. A failure response of a call that may
// be repeated has its body read into memory (up to 64 KiB) and its
// connection freed at once, so the response can stay the call's answer while
// the next attempt runs, without holding a connection. A larger body is left
// unread: that response keeps its connection until a later attempt answers
// in its place.
func sendAttempt(ctx context.Context) error {
	a := paved.AttemptFrom(ctx)
	c := a.Call()
	rt := c.Data().(*roundTrip)
	r := rt.req.WithContext(ctx) // a shallow copy: the caller's request is never modified
	if r.Body != nil && r.Body != http.NoBody && !rt.bodyTaken.CompareAndSwap(false, true) {
		if r.GetBody == nil {
			return paved.Permanent(errors.New("pavedhttp: request body cannot be replayed (Request.GetBody is nil)"))
		}
		body, err := r.GetBody()
		if err != nil {
			return paved.Permanent(err)
		}
		r.Body = body
	}
	setAttemptHeader(r, a.Number()) // r is this attempt's copy
	setCriticalityHeader(r, c)
	if rt.deadlineHeader != "" {
		setDeadlineHeader(ctx, r, rt.deadlineHeader)
	}
	resp, err := rt.next.RoundTrip(r)
	if err != nil {
		if neverSent(err) && replayable(rt.req) {
			a.MarkUnsent()
		}
		return err
	}
	resp.Request = rt.req
	rt.lastResp.Store(resp)
	if resp.StatusCode < 400 {
		a.SetResult(resp, discardResponse)
		return nil
	}
	serr := newStatusError(resp)
	if c.SafeToRepeat() && bufferBody(resp) {
		a.SetResult(resp, nil) // in memory: nothing to free
	} else {
		a.SetResult(resp, discardResponse)
	}
	return serr
}

// neverSent reports whether a round trip's error says the request never left
// this process: the connection could not be made (refused, no route to the
// host, a failed DNS lookup, a dial timeout). net/http dials before it writes
// a byte of the request, and reports dial failures as *net.OpError with Op
// "dial"; DNS failures are a *net.DNSError inside one.
func neverSent(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	var dns *net.DNSError
	return errors.As(err, &dns)
}

// replayable reports whether req can be sent again: it has no body, or its
// body can be had anew through GetBody.
func replayable(req *http.Request) bool {
	return req.Body == nil || req.Body == http.NoBody || req.GetBody != nil
}

// bufferBody reads resp's body into memory and closes the original, so its
// connection goes back to the pool, when the body is at most discardLimit
// bytes; it reports whether it did. A larger body is left as it is: its
// first bytes are kept in front of the rest, unread, so the caller still gets
// all of it.
func bufferBody(resp *http.Response) bool {
	if resp.Body == nil || resp.Body == http.NoBody {
		return true
	}
	if resp.ContentLength > discardLimit {
		return false
	}
	buf, err := io.ReadAll(io.LimitReader(resp.Body, discardLimit+1))
	if err == nil && len(buf) > discardLimit {
		resp.Body = &prefixedBody{Reader: io.MultiReader(bytes.NewReader(buf), resp.Body), Closer: resp.Body}
		return false
	}
	_ = resp.Body.Close()
	body := io.Reader(bytes.NewReader(buf))
	if err != nil {
		// The connection broke mid-body: the caller reads what came, then
		// the error, as it would have from the original.
		body = io.MultiReader(body, errReader{err})
	}
	resp.Body = io.NopCloser(body)
	return true
}

// prefixedBody is a body whose first bytes were read ahead.
type prefixedBody struct {
	io.Reader
	io.Closer
}

type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }

// discardResponse frees the response of an attempt nobody takes.
func discardResponse(v any) { drainAndClose(v.(*http.Response)) }

// attemptSpan runs inside otelhttp's client span of an attempt (the span in
// the request's context, when tracing): it sets http.request.resend_count on
// every attempt after the first, and rewrites url.full with the values of
// sensitive query parameters redacted, which otelhttp records verbatim.
type attemptSpan struct {
	next      http.RoundTripper
	redactAll bool // WithRedactedQuery: every query value
}

// attrResendCount is OpenTelemetry's HTTP client attribute for the ordinal of
// a resend (semconv http.request.resend_count).
const attrResendCount = "http.request.resend_count"

// attrURLFull is OpenTelemetry's url.full.
const attrURLFull = "url.full"

func (m attemptSpan) RoundTrip(r *http.Request) (*http.Response, error) {
	ctx := r.Context()
	if span := trace.SpanFromContext(ctx); span.IsRecording() {
		if a := paved.AttemptFrom(ctx); a != nil {
			if n := a.Number(); n > 1 {
				span.SetAttributes(attribute.Int(attrResendCount, n-1))
			}
		}
		if u, ok := redactedURL(r.URL, m.redactAll); ok {
			span.SetAttributes(attribute.String(attrURLFull, u))
		}
	}
	return m.next.RoundTrip(r)
}

// SafeToRepeat reports whether req may be sent more than once: its method is
// idempotent (GET, HEAD, OPTIONS, TRACE, PUT, DELETE; RFC 9110 §9.2.2), or it
// is a POST or PATCH with an Idempotency-Key header; and its body, if any, can
// be replayed through GetBody. A keyed POST or PATCH is repeated only in
// sequence (paved.CallInfo.Sequential), never hedged: a server answers a repeat
// that arrives while the first still runs with 409 Conflict.
func SafeToRepeat(req *http.Request) bool {
	r, _ := repeatability(req)
	return r != never
}

type repeat uint8

const (
	never      repeat = iota // send once
	sequential               // repeat, one attempt at a time (Idempotency-Key)
	always                   // repeat, hedge
)

// The reasons retry and hedge report when they decline to repeat a request
// (paved.CallInfo.UnsafeReason): fixed phrases, so telemetry stays small.
const (
	reasonBody       = "request body cannot be replayed (Request.GetBody is nil)"
	reasonPost       = "POST without Idempotency-Key"
	reasonPatch      = "PATCH without Idempotency-Key"
	reasonMethod     = "method is not idempotent"
	reasonSequential = "keyed POST or PATCH: repeated one attempt at a time, never hedged"
)

// repeatability says whether and how req may be repeated, and if not freely,
// why.
func repeatability(req *http.Request) (repeat, string) {
	if !replayable(req) {
		return never, reasonBody
	}
	switch req.Method {
	case "", http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace,
		http.MethodPut, http.MethodDelete:
		return always, ""
	case http.MethodPost, http.MethodPatch:
		if hasIdempotencyKey(req.Header) {
			return sequential, reasonSequential
		}
		if req.Method == http.MethodPost {
			return never, reasonPost
		}
		return never, reasonPatch
	}
	return never, reasonMethod
}

// hasIdempotencyKey reports whether h carries a non-empty Idempotency-Key.
func hasIdempotencyKey(h http.Header) bool { return h.Get("Idempotency-Key") != "" }

// discardLimit bounds how much of a discarded response is read so its
// connection can be reused; past it, closing (and a new connection) is cheaper.
const discardLimit = 64 << 10

// drainAndClose frees a discarded response's body. A body known to be larger
// than discardLimit is closed at once.
func drainAndClose(resp *http.Response) {
	if resp.Body == nil {
		return
	}
	if resp.ContentLength <= discardLimit { // -1, unknown, included
		_, _ = io.CopyN(io.Discard, resp.Body, discardLimit)
	}
	_ = resp.Body.Close()
}

// propagating is the base transport while the pipeline's telemetry records
// nothing and otelhttp is skipped: it still propagates a trace context that
// the caller's context carries from elsewhere, as otelhttp would.
type propagating struct {
	next http.RoundTripper
}

func (p propagating) RoundTrip(r *http.Request) (*http.Response, error) {
	ctx := r.Context()
	if trace.SpanContextFromContext(ctx).IsValid() {
		r = r.Clone(ctx) // never modify the caller's headers
		otel.GetTextMapPropagator().Inject(ctx, propagation.HeaderCarrier(r.Header))
	}
	return p.next.RoundTrip(r)
}
