package bench

import (
	"context"
	"testing"
	"time"

	"github.com/failsafe-go/failsafe-go"
	"github.com/failsafe-go/failsafe-go/bulkhead"
	"github.com/failsafe-go/failsafe-go/ratelimiter"
	"github.com/failsafe-go/failsafe-go/retrypolicy"
	ftimeout "github.com/failsafe-go/failsafe-go/timeout"
	"golang.org/x/time/rate"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/retry"
	"github.com/paved-go/paved/timeout"
)

// BenchmarkREADMEPipeline is README's pipeline on the success path: a total
// timeout of 10 s, retry with its defaults, a breaker, and a 2 s timeout per
// attempt. The floor is what those cost written by hand: two
// context.WithTimeout and one gobreaker Execute (a retry loop that succeeds at
// once costs nothing more).
func BenchmarkREADMEPipeline(b *testing.B) {
	compare(b,
		impl{lib: "floor", setup: func(*testing.B) func(context.Context) error {
			cb := newGobreaker(openFor)
			return func(ctx context.Context) error {
				ctx, cancel := context.WithTimeout(ctx, totalTimeout)
				defer cancel()
				_, err := cb.Execute(func() (any, error) {
					actx, cancel := context.WithTimeout(ctx, attemptTimeout)
					defer cancel()
					return nil, ok(actx)
				})
				return err
			}
		}},
		impl{lib: "paved", setup: func(*testing.B) func(context.Context) error {
			p := readmePipeline()
			return func(ctx context.Context) error { return p.Run(ctx, ok) }
		}},
		impl{lib: "failsafe", setup: func(*testing.B) func(context.Context) error {
			ex := failsafe.With[any](ftimeout.New[any](totalTimeout), retrypolicy.NewWithDefaults[any](),
				newFailsafeBreaker[any](openFor), ftimeout.New[any](attemptTimeout))
			return func(ctx context.Context) error {
				return ex.RunWithExecution(func(e failsafe.Execution[any]) error { return ok(e.Context()) })
			}
		}},
	)
}

// readmePipeline is the pipeline of README's quick start.
func readmePipeline(opts ...paved.Middleware) *paved.Pipeline {
	return paved.New("bench", append([]paved.Middleware{
		timeout.MustNew(totalTimeout),
		retry.MustNew(),
		newPavedBreaker(openFor),
		timeout.MustNew(attemptTimeout),
	}, opts...)...)
}

// BenchmarkFullPipeline is the full paved pipeline in docs/design.md's
// order: total timeout, retry, breaker, bulkhead, rate limit, attempt
// timeout. The floor writes it by hand with context.WithTimeout, gobreaker,
// a channel semaphore and x/time/rate.
func BenchmarkFullPipeline(b *testing.B) {
	compare(b, append([]impl{
		{lib: "floor", setup: func(*testing.B) func(context.Context) error {
			cb := newGobreaker(openFor)
			sem := make(chan struct{}, maxConcurrent)
			lim := rate.NewLimiter(ratePerSecond, rateBurst)
			return func(ctx context.Context) error {
				ctx, cancel := context.WithTimeout(ctx, totalTimeout)
				defer cancel()
				_, err := cb.Execute(func() (any, error) {
					select {
					case sem <- struct{}{}:
					default:
						return nil, errFull
					}
					defer func() { <-sem }()
					if !lim.Allow() {
						return nil, errLimited
					}
					actx, cancel := context.WithTimeout(ctx, attemptTimeout)
					defer cancel()
					return nil, ok(actx)
				})
				return err
			}
		}},
		{lib: "failsafe", setup: func(*testing.B) func(context.Context) error {
			ex := failsafe.With[any](ftimeout.New[any](totalTimeout), retrypolicy.NewWithDefaults[any](),
				newFailsafeBreaker[any](openFor), bulkhead.New[any](maxConcurrent),
				ratelimiter.NewSmooth[any](ratePerSecond, time.Second), ftimeout.New[any](attemptTimeout))
			return func(ctx context.Context) error {
				return ex.RunWithExecution(func(e failsafe.Execution[any]) error { return ok(e.Context()) })
			}
		}},
	}, pavedFullPipeline()...)...)
}
