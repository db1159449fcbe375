package bench

import (
	"context"
	"testing"
	"time"

	"github.com/failsafe-go/failsafe-go"
	"github.com/failsafe-go/failsafe-go/bulkhead"
	"github.com/failsafe-go/failsafe-go/ratelimiter"
	"golang.org/x/time/rate"
)

// The rate limiter rows admit every call (a billion a second, far above what
// is measured), so they measure the cost of asking; the bulkhead rows hold
// one of maxConcurrent slots while the call runs.
const (
	ratePerSecond = 1e9
	rateBurst     = 1000
	maxConcurrent = 64
)

// BenchmarkRateLimiter is a client-side rate limiter alone. The floor is
// x/time/rate's Limiter.Allow.
func BenchmarkRateLimiter(b *testing.B) {
	compare(b, append([]impl{
		{lib: "floor", setup: func(*testing.B) func(context.Context) error {
			lim := rate.NewLimiter(ratePerSecond, rateBurst)
			return func(ctx context.Context) error {
				if !lim.Allow() {
					return errLimited
				}
				return ok(ctx)
			}
		}},
		{lib: "failsafe", setup: func(*testing.B) func(context.Context) error {
			ex := failsafe.With[any](ratelimiter.NewSmooth[any](ratePerSecond, time.Second))
			return func(ctx context.Context) error { return ex.Run(func() error { return ok(ctx) }) }
		}},
	}, pavedRateLimiter()...)...)
}

// BenchmarkBulkhead is a bulkhead alone. The floor is a buffered channel used
// as a semaphore.
func BenchmarkBulkhead(b *testing.B) {
	compare(b, append([]impl{
		{lib: "floor", setup: func(*testing.B) func(context.Context) error {
			sem := make(chan struct{}, maxConcurrent)
			return func(ctx context.Context) error {
				select {
				case sem <- struct{}{}:
				default:
					return errFull
				}
				defer func() { <-sem }()
				return ok(ctx)
			}
		}},
		{lib: "failsafe", setup: func(*testing.B) func(context.Context) error {
			ex := failsafe.With[any](bulkhead.New[any](maxConcurrent))
			return func(ctx context.Context) error { return ex.Run(func() error { return ok(ctx) }) }
		}},
	}, pavedBulkhead()...)...)
}
