package ratelimit

import (
	"context"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/telemetry"
)

// ServerQuota is what a server said about the caller's quota in a response:
// Remaining more requests are admitted until Reset from now, and then the
// quota returns. pavedhttp's Transport reads it from the RateLimit field
// (the most restrictive of its policies), and from Retry-After on a 429,
// which takes precedence (Remaining 0 until the delay).
type ServerQuota struct {
	Remaining int64
	Reset     time.Duration
}

// QuotaSource is implemented by a transport adapter's per-call state
// (paved.CallInfo.Data) when it can tell what the server said about the
// caller's quota: TakeServerQuota returns the latest ServerQuota an attempt of
// the call received, once, and false when there is none new. A Limiter with
// WithServerFeedback (the default) asks after every call it admitted, so no
// wiring is needed beyond putting the Limiter in the Transport's pipeline.
type QuotaSource interface {
	TakeServerQuota() (ServerQuota, bool)
}

// serverState is the last ServerQuota the limiter heard, as times on its
// clock: until then, left more calls are admitted, and the rest wait.
type serverState struct {
	until int64        // since Limiter.origin
	left  atomic.Int64 // calls still admitted before until
}

// delay is how long a call at now must wait for the server's quota: 0 while
// the quota lasts or once it has reset.
func (s *serverState) delay(l *Limiter, now time.Time) time.Duration {
	d := time.Duration(s.until - int64(now.Sub(l.origin)))
	if d <= 0 {
		l.server.CompareAndSwap(s, nil) // reset: forget it
		return 0
	}
	if s.left.Add(-1) >= 0 {
		return 0
	}
	return d
}

// serverDelay is delay without spending: for Status.
func (l *Limiter) serverDelay(now time.Time) time.Duration {
	s := l.server.Load()
	if s == nil || s.left.Load() > 0 {
		return 0
	}
	return max(0, time.Duration(s.until-int64(now.Sub(l.origin))))
}

// listen takes what the server said about the call, if anything, and makes
// it the limiter's view of the server's quota.
func (l *Limiter) listen(ctx context.Context) {
	c := paved.CallFrom(ctx)
	if c == nil {
		return
	}
	src, ok := c.Data().(QuotaSource)
	if !ok {
		return
	}
	if q, ok := src.TakeServerQuota(); ok {
		l.Observe(q)
	}
}

// Observe tells the limiter what a server said about the caller's quota: it
// admits q.Remaining more calls until q.Reset from now, and makes the rest
// wait (or refuses them, per its max wait and their deadlines) until then. A
// later Observe replaces an earlier one. A Reset of 0 or less forgets what
// the server said. pavedhttp's Transport feeds it; call it for other
// transports.
func (l *Limiter) Observe(q ServerQuota) {
	if q.Reset <= 0 {
		l.server.Store(nil)
		return
	}
	s := &serverState{until: int64(l.cfg.clk.Since(l.origin) + q.Reset)}
	s.left.Store(max(0, q.Remaining))
	l.server.Store(s)
}

func policyAttrs(name string) []attribute.KeyValue {
	return []attribute.KeyValue{attribute.String(telemetry.AttrRateLimitPolicy, name)}
}
