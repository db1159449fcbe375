package pavedgrpc

import (
	"context"
	"sync/atomic"

	"google.golang.org/grpc/codes"

	"github.com/paved-go/paved"
)

// Option configures the interceptors. Options that do not apply to a side
// (WithRepeatable and WithUnrepeatable on a server, WithKeyFunc on a client) are ignored there.
type Option interface {
	apply(*config)
}

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

type config struct {
	repeatable   func(method string) bool
	unrepeatable func(method string) bool
	key          func(ctx context.Context) string
	priority     func(ctx context.Context) paved.Priority
	refusalCode  func(err error) codes.Code
	keepRetries  bool // WithDoNotRetry(false)
	addKeys      bool // WithIdempotencyKeys
	keyMethods   func(method string) bool

	firstMethod atomic.Pointer[methodRepeat] // see declared
}

// newConfig applies the defaults, then opts. No option can be invalid: a nil
// function means the default.
func newConfig(opts []Option) *config {
	c := &config{}
	for _, o := range opts {
		if o != nil {
			o.apply(c)
		}
	}
	if c.refusalCode == nil {
		c.refusalCode = defaultRefusalCode
	}
	if c.priority == nil {
		c.priority = PriorityFromMetadata
	}
	return c
}

// WithRepeatable marks the client methods (full names, "/pkg.Svc/Method")
// that are safe to send more than once, even at the same time: retry and
// hedge may repeat them. Default: only the methods whose proto declares
// option idempotency_level = NO_SIDE_EFFECTS or IDEMPOTENT are repeatable;
// every other call is sent exactly once, since the server may have acted on
// an attempt that failed. WithUnrepeatable and the Unrepeatable CallOption
// still win. A nil f means the default.
//
//	pavedgrpc.WithRepeatable(func(m string) bool { return strings.HasPrefix(m, "/inventory.v1.Stock/Get") })
func WithRepeatable(f func(method string) bool) Option {
	return optionFunc(func(c *config) { c.repeatable = f })
}

// WithUnrepeatable marks the client methods (full names, "/pkg.Svc/Method")
// that must not be sent twice, whatever their proto declares or
// WithRepeatable says: retry and hedge make exactly one attempt of them. Per
// call, use the Unrepeatable CallOption. A nil f marks none.
func WithUnrepeatable(f func(method string) bool) Option {
	return optionFunc(func(c *config) { c.unrepeatable = f })
}

// WithKeyFunc tells the server interceptors how to identify the caller (tenant,
// principal) for per-key limits: f reads it from the incoming context, usually
// its metadata or peer. Default: no key. A nil f means the default.
func WithKeyFunc(f func(ctx context.Context) string) Option {
	return optionFunc(func(c *config) { c.key = f })
}

// WithPriorityFunc tells the server interceptors each call's criticality, for
// load shedding and for the calls the handler makes with its context; f reads
// it from the incoming context. Default: PriorityFromMetadata, the
// CriticalityKey metadata the caller sent, else paved.PriorityCritical. A nil
// f means the default.
func WithPriorityFunc(f func(ctx context.Context) paved.Priority) Option {
	return optionFunc(func(c *config) { c.priority = f })
}

// WithDoNotRetry(false) stops the server interceptors from answering a
// failure with the "do not retry" pushback (grpc-retry-pushback-ms: -1,
// gRFC A6) when a call the handler made through paved with the request's
// context gave up after retrying, or was refused by paved's own policies. By
// default they do, so retries happen at one layer: the tier below already
// retried, and a retry from above would multiply its attempts. Turn it off
// for a service whose callers should retry anyway (one that fans out to
// replicas the caller may pick differently). The client side ignores it.
func WithDoNotRetry(enabled bool) Option {
	return optionFunc(func(c *config) { c.keepRetries = !enabled })
}

// WithRefusalCode chooses the status code a refusal by one of the pipeline's
// own policies (errors.Is(err, paved.ErrRejected)) is reported with, to the
// client caller and by the server. Default: RESOURCE_EXHAUSTED when the refusal
// says the caller sends too much (an error in its chain has the outcome
// paved.OutcomeOverload, as rate limit sentinels do), else UNAVAILABLE: a
// breaker open, a bulkhead full, a server shedding load (loadshed.ErrShed). A
// nil f means the default.
func WithRefusalCode(f func(err error) codes.Code) Option {
	return optionFunc(func(c *config) { c.refusalCode = f })
}
