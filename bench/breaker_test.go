package bench

import (
	"context"
	"testing"

	"github.com/failsafe-go/failsafe-go"
	"github.com/failsafe-go/failsafe-go/circuitbreaker"
	"github.com/sony/gobreaker/v2"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/breaker"
)

// BenchmarkBreakerClosed is a breaker alone, closed, on the success path. The
// floor is gobreaker's Execute, which paved's breaker is built on.
func BenchmarkBreakerClosed(b *testing.B) {
	compare(b,
		impl{lib: "floor", setup: func(*testing.B) func(context.Context) error {
			cb := newGobreaker(openFor)
			return func(ctx context.Context) error {
				_, err := cb.Execute(func() (any, error) { return nil, ok(ctx) })
				return err
			}
		}},
		impl{lib: "paved", setup: func(*testing.B) func(context.Context) error {
			p := paved.New("bench", newPavedBreaker(openFor))
			return func(ctx context.Context) error { return p.Run(ctx, ok) }
		}},
		impl{lib: "failsafe", setup: func(*testing.B) func(context.Context) error {
			ex := failsafe.With[any](newFailsafeBreaker[any](openFor))
			return func(ctx context.Context) error { return ex.Run(func() error { return ok(ctx) }) }
		}},
	)
}

// BenchmarkBreakerOpen is a call refused by an open breaker: each breaker is
// tripped by failures (not forced), with an hour's open time.
func BenchmarkBreakerOpen(b *testing.B) {
	compare(b,
		impl{lib: "floor", want: gobreaker.ErrOpenState, setup: func(b *testing.B) func(context.Context) error {
			cb := newGobreaker(longOpen)
			call := func(ctx context.Context) error {
				_, err := cb.Execute(func() (any, error) { return nil, down(ctx) })
				return err
			}
			trip(b, call)
			return call
		}},
		impl{lib: "paved", want: breaker.ErrOpen, setup: func(b *testing.B) func(context.Context) error {
			p := paved.New("bench", newPavedBreaker(longOpen))
			trip(b, func(ctx context.Context) error { return p.Run(ctx, down) })
			return func(ctx context.Context) error { return p.Run(ctx, ok) }
		}},
		impl{lib: "failsafe", want: circuitbreaker.ErrOpen, setup: func(b *testing.B) func(context.Context) error {
			ex := failsafe.With[any](newFailsafeBreaker[any](longOpen))
			trip(b, func(ctx context.Context) error { return ex.Run(func() error { return down(ctx) }) })
			return func(ctx context.Context) error { return ex.Run(func() error { return ok(ctx) }) }
		}},
	)
}

// trip fails calls until the breaker behind call opens.
func trip(b *testing.B, call func(context.Context) error) {
	for range minCalls {
		_ = call(context.Background())
	}
}
