package breaker_test

import (
	"context"
	"testing"

	"github.com/paved-go/paved/breaker"
	"github.com/sony/gobreaker/v2"
)

// BenchmarkBreakerSuccess is the success path of the middleware alone (no
// pipeline around it): compare with BenchmarkGobreakerDirect, the same
// Allow/done pair on gobreaker with nothing around it.
func BenchmarkBreakerSuccess(b *testing.B) {
	b.ReportAllocs()
	op := breaker.MustNew("bench").Wrap(func(context.Context) error { return nil })
	ctx := context.Background()
	for b.Loop() {
		_ = op(ctx)
	}
}

func BenchmarkGobreakerDirect(b *testing.B) {
	b.ReportAllocs()
	cb := gobreaker.NewTwoStepCircuitBreaker[struct{}](gobreaker.Settings{
		Name: "bench", MaxRequests: 5, Interval: breaker.DefaultWindow, BucketPeriod: breaker.DefaultWindow / 10,
	})
	op := func(context.Context) error { return nil }
	ctx := context.Background()
	for b.Loop() {
		done, err := cb.Allow()
		if err != nil {
			continue
		}
		done(op(ctx))
	}
}

func BenchmarkPerKeySuccess(b *testing.B) {
	b.ReportAllocs()
	op := breaker.MustPerKey(func(context.Context) string { return "k" }).Wrap(func(context.Context) error { return nil })
	ctx := context.Background()
	for b.Loop() {
		_ = op(ctx)
	}
}
