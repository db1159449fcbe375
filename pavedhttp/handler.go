package pavedhttp

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/paved-go/paved"
)

// Handler is server-side admission: an http.Handler that runs each request
// through a paved Pipeline (rate limit per caller, load shedding, bulkhead)
// before the next handler serves it. Make one with NewHandler. It is safe for
// concurrent use.
//
// A request the pipeline refuses before next starts gets a refusal written
// for it: the status StatusFor gives (429 for rate limits, 503 for other
// refusals), a Retry-After header in whole seconds, rounded up, when the
// refusal knows its delay (paved.RetryAfter), and an RFC 9457
// application/problem+json body. Once next has started, the Handler never
// touches the response. A panic in next propagates unchanged (net/http
// recovers it per request) after every middleware has released.
//
// The call is marked Unrepeatable, because a handler cannot be run twice
// against one ResponseWriter: a retry or hedge in a server pipeline makes
// exactly one attempt.
type Handler struct {
	p    *paved.Pipeline
	next http.Handler
	cfg  handlerConfig
}

var _ http.Handler = (*Handler)(nil)

// NewHandler returns a Handler that admits requests to next through p.
// Each request's CallInfo has the Operation "METHOD pattern" (or "METHOD"
// outside a ServeMux route; see WithServerOperationFunc), the caller Key from
// WithKeyFunc (none by default) and the Priority from WithPriorityFunc (by
// default the caller's CriticalityHeader, else critical);
// the calls next makes downstream with the request's context inherit the key
// and priority.
//
// NewHandler panics if p or next is nil: that is a programmer error.
func NewHandler(p *paved.Pipeline, next http.Handler, opts ...HandlerOption) http.Handler {
	if p == nil || next == nil {
		panic("pavedhttp: NewHandler needs a Pipeline and a next Handler")
	}
	return &Handler{p: p, next: next, cfg: newHandlerConfig(opts)}
}

// States of a request in ServeHTTP: whoever moves it out of pending first
// writes the response, next or the refusal, never both.
const (
	pending int32 = iota
	served
	refused
)

// errTooLate is returned by an Op that starts after ServeHTTP already wrote a
// refusal (a misbehaving middleware that ran next after returning).
var errTooLate = errors.New("pavedhttp: request already refused")

// ServeHTTP runs r through the pipeline, serving it with next or writing the
// refusal.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	info := paved.CallInfo{
		Operation:    h.cfg.operation(r),
		Unrepeatable: true,
	}
	if h.cfg.key != nil {
		info.Key = h.cfg.key(r)
	}
	if h.cfg.priority != nil {
		info.Priority = h.cfg.priority(r)
	}
	info.CallerAttempt = callerAttempt(r.Header)
	ctx := r.Context()
	if h.cfg.deadlineHeader != "" {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, h.deadline(r))
		defer cancel()
		r = r.WithContext(ctx)
	}
	var state atomic.Int32
	_, err := h.p.Execute(paved.WithCallInfo(ctx, info), func(ctx context.Context) error {
		if !state.CompareAndSwap(pending, served) {
			return errTooLate
		}
		setAdmittedRateLimit(w, ctx)
		rw := w
		if !h.cfg.keepRetries {
			rw = tellNoRetry(w, paved.CallFrom(ctx))
		}
		h.next.ServeHTTP(rw, r.WithContext(ctx))
		return nil
	})
	if err != nil && state.CompareAndSwap(pending, refused) {
		WriteRefusal(w, err)
	}
}

// deadline is how long r may take (WithServerDeadlineHeader): the header's
// value when valid, capped by the server's max, else the max. WithTimeout
// keeps a sooner deadline the request already has.
func (h *Handler) deadline(r *http.Request) time.Duration {
	if d, ok := ParseDeadlineHeader(r.Header.Get(h.cfg.deadlineHeader)); ok {
		return min(d, h.cfg.deadlineMax)
	}
	return h.cfg.deadlineMax
}

// statusCoder is the interface a refusal's error can implement anywhere in its
// chain to choose its HTTP status: HTTPStatus returns a status code from 400
// to 599. Policies need not import net/http to use it.
type statusCoder interface{ HTTPStatus() int }

// StatusFor returns the HTTP status for a refusal err:
//
//   - the status an error in err's tree reports with an HTTPStatus() int
//     method, when it is 400..599;
//   - 429 Too Many Requests when paved.IsOverloadRefusal(err): a refusal whose
//     sentinel is marked paved.OutcomeOverload, as a rate limit's is;
//   - 504 Gateway Timeout when the request's deadline ran out first
//     (context.DeadlineExceeded that is no policy's refusal);
//   - 503 Service Unavailable for every other refusal or error.
func StatusFor(err error) int {
	var sc statusCoder
	if errors.As(err, &sc) {
		if s := sc.HTTPStatus(); s >= 400 && s <= 599 {
			return s
		}
	}
	if paved.IsOverloadRefusal(err) {
		return http.StatusTooManyRequests
	}
	if !errors.Is(err, paved.ErrRejected) && errors.Is(err, context.DeadlineExceeded) {
		// The request's deadline (WithServerDeadlineHeader, a total timeout)
		// ran out before the handler started: a timeout, not a refusal.
		return http.StatusGatewayTimeout
	}
	return http.StatusServiceUnavailable
}

// problem is an RFC 9457 problem details object.
type problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail,omitempty"`
}

// WriteRefusal writes the response for a request the pipeline refused with
// err: the status StatusFor gives, Retry-After in whole seconds (rounded up)
// when paved.RetryAfter(err) is positive, the RateLimit-Policy and RateLimit
// fields when a rate limit refused it (a *ratelimit.LimitedError; see
// FormatRateLimit), and an application/problem+json body (RFC 9457). The
// detail is the refusal's message for paved's own rejections (errors.Is(err, paved.ErrRejected)), which name the policy and
// nothing secret, and empty for any other error.
func WriteRefusal(w http.ResponseWriter, err error) {
	status := StatusFor(err)
	h := w.Header()
	if d, ok := paved.RetryAfter(err); ok && d > 0 {
		h.Set("Retry-After", strconv.FormatInt(int64((d+time.Second-1)/time.Second), 10))
	}
	setRefusedRateLimit(h, err)
	h.Set("Content-Type", "application/problem+json")
	h.Set("X-Content-Type-Options", "nosniff")
	p := problem{Type: "about:blank", Title: http.StatusText(status), Status: status}
	if errors.Is(err, paved.ErrRejected) {
		p.Detail = err.Error()
	}
	body, _ := json.Marshal(p) // cannot fail: strings and an int
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
