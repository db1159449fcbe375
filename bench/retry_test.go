package bench

import (
	"context"
	"testing"

	"github.com/failsafe-go/failsafe-go"
	"github.com/failsafe-go/failsafe-go/retrypolicy"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/retry"
)

// BenchmarkRetry is retry alone on the success path, each library with its
// default retry settings. The floor is a hand-written loop of three attempts.
func BenchmarkRetry(b *testing.B) {
	compare(b,
		impl{lib: "floor", setup: func(*testing.B) func(context.Context) error {
			return func(ctx context.Context) error { return loop(ctx, 3, ok) }
		}},
		impl{lib: "paved", setup: func(*testing.B) func(context.Context) error {
			p := paved.New("bench", retry.MustNew())
			return func(ctx context.Context) error { return p.Run(ctx, ok) }
		}},
		impl{lib: "failsafe", setup: func(*testing.B) func(context.Context) error {
			ex := failsafe.With[any](retrypolicy.NewWithDefaults[any]())
			return func(ctx context.Context) error { return ex.Run(func() error { return ok(ctx) }) }
		}},
	)
}

// loop is the hand-written retry: up to n attempts, no delay.
func loop(ctx context.Context, n int, op func(context.Context) error) error {
	var err error
	for range n {
		if err = op(ctx); err == nil {
			return nil
		}
	}
	return err
}
