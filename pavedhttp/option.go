package pavedhttp

import (
	"net/http"
	"strings"
	"time"

	"github.com/paved-go/paved"
)

// Option configures a Transport (NewTransport).
type Option func(*transportConfig)

type transportConfig struct {
	operation      func(*http.Request) string
	deadlineHeader string // "": no deadline header is sent
	redactQuery    bool   // WithRedactedQuery
	addKeys        bool   // WithIdempotencyKeys
}

func newTransportConfig(opts []Option) transportConfig {
	var c transportConfig // operation nil: "METHOD host", cached by the Transport
	for _, o := range opts {
		if o != nil {
			o(&c)
		}
	}
	return c
}

// WithOperationFunc names each call's operation (paved.CallInfo.Operation, the
// resilience.operation span attribute) with f. Keep its results few: use a
// route template, never a raw path with IDs in it. Default: the method and
// the host, such as "GET api.example.com". A nil f keeps the default.
func WithOperationFunc(f func(*http.Request) string) Option {
	return func(c *transportConfig) {
		if f != nil {
			c.operation = f
		}
	}
}

// WithDeadlineHeader makes every attempt carry the time left before its
// context's deadline, in whole milliseconds rounded down (at least 1), in the
// header name, so that the server can stop working on a request the client
// will no longer wait for (docs/reference.md, "Timeouts and deadlines": HTTP has no
// standard deadline header). The time is the attempt's own: inside a
// per-attempt timeout it is that timeout's deadline, not the call's. An
// attempt whose context has no deadline sends no header (and leaves one the
// caller set alone). Use EnvoyDeadlineHeader unless the servers expect another
// name; the server side is WithServerDeadlineHeader.
//
// Cost: the request's header is cloned for each attempt that sends it, so
// the caller's is never modified: about 400 ns and 5 allocations on 2 cores
// (BenchmarkOverheadDeadlineHeader).
//
// Default: no deadline header is sent. WithDeadlineHeader panics if name is
// not a valid header field name: that is a programmer error.
func WithDeadlineHeader(name string) Option {
	validHeaderName("WithDeadlineHeader", name)
	return func(c *transportConfig) { c.deadlineHeader = http.CanonicalHeaderKey(name) }
}

// WithRedactedQuery makes every attempt span's url.full carry REDACTED in
// place of every query value, for services whose URLs hold secrets in
// parameters of their own. Default: only the values of the parameters
// OpenTelemetry's semantic conventions name (AWSAccessKeyId, Signature, sig,
// X-Goog-Signature) are redacted. The request sent is never changed.
func WithRedactedQuery() Option {
	return func(c *transportConfig) { c.redactQuery = true }
}

func method(r *http.Request) string {
	if r.Method == "" {
		return http.MethodGet
	}
	return r.Method
}

// HandlerOption configures a Handler (NewHandler).
type HandlerOption func(*handlerConfig)

type handlerConfig struct {
	operation      func(*http.Request) string
	key            func(*http.Request) string
	priority       func(*http.Request) paved.Priority
	deadlineHeader string        // "": the header is not read
	deadlineMax    time.Duration // > 0 when deadlineHeader is set
	keepRetries    bool          // WithDoNotRetry(false)
}

func newHandlerConfig(opts []HandlerOption) handlerConfig {
	c := handlerConfig{operation: serverOperation, priority: PriorityFromHeader}
	for _, o := range opts {
		if o != nil {
			o(&c)
		}
	}
	return c
}

// WithKeyFunc sets each request's caller key (paved.CallInfo.Key), which
// per-key rate limits and idempotency scoping use: a tenant or principal
// taken from an authenticated header. Default: no key. A nil f keeps the default.
func WithKeyFunc(f func(*http.Request) string) HandlerOption {
	return func(c *handlerConfig) { c.key = f }
}

// WithPriorityFunc sets each request's priority (paved.CallInfo.Priority),
// which load shedding uses to drop the least important first, and which the
// calls the handler makes with the request's context inherit. Default:
// PriorityFromHeader, the CriticalityHeader the caller sent, else
// paved.PriorityCritical. A nil f keeps the default.
func WithPriorityFunc(f func(*http.Request) paved.Priority) HandlerOption {
	return func(c *handlerConfig) {
		if f != nil {
			c.priority = f
		}
	}
}

// WithServerOperationFunc names each request's operation. Default: the method
// and the ServeMux pattern that matched, when the Handler runs inside a
// ServeMux route, else the method alone (a Handler wrapping a whole mux sees
// no pattern: give it an f returning a route template to tell routes apart).
// Methods outside RFC 9110's are "_OTHER". Keep f's results few: the
// operation is a label of paved's metrics (docs/metrics.md). A nil f keeps
// the default.
func WithServerOperationFunc(f func(*http.Request) string) HandlerOption {
	return func(c *handlerConfig) {
		if f != nil {
			c.operation = f
		}
	}
}

// WithServerDeadlineHeader makes the Handler honour the deadline a client
// sends in the header name (milliseconds, as WithDeadlineHeader sends it;
// EnvoyDeadlineHeader is the recommended name), bounded by max:
//
//   - with a valid header (a positive integer of at most 10 digits; see
//     ParseDeadlineHeader), the request's context gets the deadline
//     now + min(value, max);
//   - without one, or with an invalid one (ignored, never an error), the
//     deadline is now + max: max bounds every request, so a client cannot
//     make the server wait longer by omitting the header or sending garbage;
//   - a deadline the request's context already has that is sooner stays: the
//     header never extends it.
//
// The deadline is set before the Handler's pipeline runs, so admission
// policies (a bulkhead's queue wait) and the handler, and every call it makes
// downstream with the request's context, see it.
//
// Default: the header is not read and no deadline is added.
// WithServerDeadlineHeader panics if name is not a valid header field name
// or max is not positive: those are programmer errors.
func WithServerDeadlineHeader(name string, max time.Duration) HandlerOption {
	validHeaderName("WithServerDeadlineHeader", name)
	if max <= 0 {
		panic("pavedhttp: WithServerDeadlineHeader needs max > 0, got " + max.String())
	}
	return func(c *handlerConfig) { c.deadlineHeader, c.deadlineMax = http.CanonicalHeaderKey(name), max }
}

// WithDoNotRetry(false) stops the Handler from adding DoNotRetryHeader to
// its failures, for a route whose callers should retry even when its own
// downstream calls gave up (a route that fans out to replicas the caller may
// pick differently). Default true: a failure answered because a call the
// handler made through paved with the request's context gave up after
// retrying, or was refused by paved's own policies, tells the caller not to
// retry, so retries happen at one layer.
func WithDoNotRetry(enabled bool) HandlerOption {
	return func(c *handlerConfig) { c.keepRetries = !enabled }
}

// serverOperation names a request by its method and route, never by what a
// caller can make up: the operation is a metric label, so a raw path (with
// IDs in it) or an invented method would add a series per request. Without
// a ServeMux pattern it is the method alone; a method outside RFC 9110's is
// "_OTHER" (OpenTelemetry's HTTP conventions do both the same way).
func serverOperation(r *http.Request) string {
	m := serverMethod(r.Method)
	if r.Pattern == "" {
		return m
	}
	if strings.Contains(r.Pattern, " ") { // "GET /items/{id}" already names the method
		return r.Pattern
	}
	return m + " " + r.Pattern
}

func serverMethod(m string) string {
	switch m {
	case "":
		return http.MethodGet
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodConnect, http.MethodOptions, http.MethodTrace:
		return m
	}
	return "_OTHER"
}
