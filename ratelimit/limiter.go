package ratelimit

import (
	"context"
	"math"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/clock"
	"github.com/paved-go/paved/telemetry"
	"go.opentelemetry.io/otel/attribute"
)

// Limiter is a client-side rate limit: a token bucket (golang.org/x/time/rate)
// every call through its pipeline takes a token from, retries and hedges
// included when it sits inside them (docs/design.md's pipeline order puts it
// there). Make one with New; it is a paved.Middleware and safe for concurrent
// use. One Limiter wrapped into several pipelines is one budget shared by
// all of them.
//
// A call that finds a token goes on at once; this costs about what
// rate.Limiter.Allow costs (BenchmarkLimiterWrap). One that finds none waits
// for its turn — at most MaxWait (default 1s), and never past its context's
// deadline: when the wait would be longer, the reservation is given back and
// the call is refused at once with a *LimitedError (ErrLimited,
// paved.ErrRejected), whose RetryAfter is the wait it would have needed. A
// call whose context ends while it waits gives its reservation back and
// returns the context's error. WithFailFast refuses instead of waiting.
//
// The Limiter also listens to the server (WithServerFeedback, on by
// default): see ServerQuota.
type Limiter struct {
	lim   *rate.Limiter
	cfg   config
	attrs []attribute.KeyValue
	// origin is when the limiter was made; server quota times are durations
	// since it on cfg.clk (monotonic).
	origin time.Time
	server atomic.Pointer[serverState]
	// realClock: cfg.clk is clock.Real(), read through time.Now directly on
	// the admitted path, which then costs what rate.Limiter.Allow costs.
	realClock bool
}

var _ paved.Middleware = (*Limiter)(nil)

// New returns a Limiter admitting r calls per second on average, up to burst
// at once (rate.Limit; rate.Every(100*time.Millisecond) is 10 per second).
// It returns an error naming the field when r, burst or an option is out of
// range: r must be > 0 and at most 1e9, burst 1..1e9.
func New(r rate.Limit, burst int, opts ...Option) (*Limiter, error) {
	cfg, err := newConfig(r, burst, false, opts)
	if err != nil {
		return nil, err
	}
	return &Limiter{lim: rate.NewLimiter(r, burst), cfg: cfg, origin: cfg.clk.Now(), attrs: policyAttrs(cfg.name),
		realClock: cfg.clk == clock.Real()}, nil
}

// MustNew is New that panics on an invalid argument: for limits fixed in code.
func MustNew(r rate.Limit, burst int, opts ...Option) *Limiter {
	l, err := New(r, burst, opts...)
	if err != nil {
		panic(err)
	}
	return l
}

// Wrap returns next behind the limiter. The returned Op is safe for
// concurrent use.
func (l *Limiter) Wrap(next paved.Op) paved.Op {
	if !l.cfg.feedback {
		return func(ctx context.Context) error {
			if l.server.Load() != nil || !l.allow() {
				if err := l.admit(ctx); err != nil {
					return err
				}
			}
			return next(ctx)
		}
	}
	return func(ctx context.Context) error {
		// The common case, a token at once and no word from the server, is
		// rate.Limiter.AllowN and nothing more.
		if l.server.Load() != nil || !l.allow() {
			if err := l.admit(ctx); err != nil {
				return err
			}
		}
		err := next(ctx)
		l.listen(ctx)
		return err
	}
}

// allow is rate.Limiter.Allow on the limiter's clock.
func (l *Limiter) allow() bool {
	if l.realClock {
		return l.lim.Allow()
	}
	return l.lim.AllowN(l.cfg.clk.Now(), 1)
}

func (l *Limiter) now() time.Time {
	if l.realClock {
		return time.Now()
	}
	return l.cfg.clk.Now()
}

// Status returns the limit's state now, as the RateLimit fields would say it.
func (l *Limiter) Status() Status {
	now := l.cfg.clk.Now()
	return l.status(now, l.lim.TokensAt(now))
}

func (l *Limiter) status(now time.Time, tokens float64) Status {
	s := Status{Policy: l.cfg.name, Quota: l.cfg.quota(), Window: l.cfg.window}
	if tokens >= 1 {
		s.Remaining = int64(tokens)
		s.Reset = l.refill(float64(l.cfg.burst) - tokens)
	} else {
		s.Reset = l.refill(1 - tokens)
	}
	if d := l.serverDelay(now); d > s.Reset {
		s.Remaining, s.Reset = 0, d
	}
	return s
}

// refill is how long the rate takes to refill tokens.
func (l *Limiter) refill(tokens float64) time.Duration {
	if tokens <= 0 {
		return 0
	}
	return time.Duration(math.Ceil(tokens / float64(l.cfg.rate) * float64(time.Second)))
}

// admit lets the call in, makes it wait its turn, or refuses it.
func (l *Limiter) admit(ctx context.Context) error {
	now := l.now()
	budget := l.cfg.maxWait
	if s := l.server.Load(); s != nil {
		if d := s.delay(l, now); d > 0 {
			if err := l.wait(ctx, now, d, budget, nil); err != nil {
				return err
			}
			budget -= d
			now = l.cfg.clk.Now()
		}
	}
	if l.lim.AllowN(now, 1) {
		return nil
	}
	if budget <= 0 {
		// No wait allowed: say when a token will be there, reserving nothing.
		tokens := l.lim.TokensAt(now)
		return l.refuse(ctx, now, tokens, l.refill(1-tokens))
	}
	r := l.lim.ReserveN(now, 1) // burst >= 1, so always OK
	return l.wait(ctx, now, r.DelayFrom(now), budget, r)
}

// wait sleeps d on the limiter's clock, or refuses the call at once when d is
// more than budget or would end at or past ctx's deadline. r, when not nil,
// is the reservation the wait is for: it is given back on refusal and when
// ctx ends first.
func (l *Limiter) wait(ctx context.Context, now time.Time, d, budget time.Duration, r *rate.Reservation) error {
	if d <= 0 {
		return nil
	}
	if d > budget || exceedsDeadline(ctx, now, d) {
		if r != nil {
			r.CancelAt(now)
		}
		return l.refuse(ctx, now, l.lim.TokensAt(now), d)
	}
	if err := clock.Sleep(ctx, l.cfg.clk, d); err != nil {
		if r != nil {
			r.CancelAt(l.cfg.clk.Now())
		}
		return err
	}
	return nil
}

// exceedsDeadline reports whether waiting d from now leaves no time before
// ctx's deadline.
func exceedsDeadline(ctx context.Context, now time.Time, d time.Duration) bool {
	dl, ok := ctx.Deadline()
	return ok && !now.Add(d).Before(dl)
}

func (l *Limiter) refuse(ctx context.Context, now time.Time, tokens float64, after time.Duration) error {
	st := l.status(now, tokens)
	st.Remaining = 0
	if after > st.Reset {
		st.Reset = after
	}
	err := NewLimitedError(st, after)
	emitLimited(ctx, err, after, l.attrs)
	return err
}

func emitLimited(ctx context.Context, err error, after time.Duration, attrs []attribute.KeyValue) {
	paved.Emit(ctx, telemetry.Event{Name: telemetry.EventRateLimited, Policy: "ratelimit", Delay: after, Err: err, Attrs: attrs})
}
