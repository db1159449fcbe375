package bench

import (
	"context"
	"errors"
	"testing"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/bulkhead"
	"github.com/paved-go/paved/ratelimit"
	"github.com/paved-go/paved/retry"
	"github.com/paved-go/paved/timeout"
)

// The floor's refusals (never returned while measured: the rows admit every call).
var (
	errLimited = errors.New("rate limited")
	errFull    = errors.New("bulkhead full")
)

// pavedRateLimiter is paved's row of BenchmarkRateLimiter.
func pavedRateLimiter() []impl {
	return []impl{{lib: "paved", setup: func(*testing.B) func(context.Context) error {
		p := paved.New("bench", ratelimit.MustNew(ratePerSecond, rateBurst))
		return func(ctx context.Context) error { return p.Run(ctx, ok) }
	}}}
}

// pavedBulkhead is paved's row of BenchmarkBulkhead.
func pavedBulkhead() []impl {
	return []impl{{lib: "paved", setup: func(*testing.B) func(context.Context) error {
		p := paved.New("bench", bulkhead.MustNew(maxConcurrent))
		return func(ctx context.Context) error { return p.Run(ctx, ok) }
	}}}
}

// pavedFullPipeline is paved's row of BenchmarkFullPipeline, in
// docs/design.md's order.
func pavedFullPipeline() []impl {
	return []impl{{lib: "paved", setup: func(*testing.B) func(context.Context) error {
		p := paved.New("bench",
			timeout.MustNew(totalTimeout),
			retry.MustNew(),
			newPavedBreaker(openFor),
			bulkhead.MustNew(maxConcurrent),
			ratelimit.MustNew(ratePerSecond, rateBurst),
			timeout.MustNew(attemptTimeout),
		)
		return func(ctx context.Context) error { return p.Run(ctx, ok) }
	}}}
}
