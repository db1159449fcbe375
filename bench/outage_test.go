package bench

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/failsafe-go/failsafe-go"
	"github.com/failsafe-go/failsafe-go/retrypolicy"
	ftimeout "github.com/failsafe-go/failsafe-go/timeout"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/retry"
)

// outageCalls is how many calls one op of BenchmarkOutage makes, one after
// another, against a dependency that fails every attempt.
const outageCalls = 1000

// BenchmarkOutage is the behavioural row: attempts per call during a full
// outage, each library with its default retry settings, alone and in
// README's pipeline (whose breaker opens). Every op is a fresh pipeline
// making outageCalls calls, so a budget or breaker starts full and closed;
// the attempts/call column is the figure, not the time.
func BenchmarkOutage(b *testing.B) {
	rows := []struct {
		lib  string
		call func() func(ctx context.Context, op func(context.Context) error) error
	}{
		{"loop", func() func(context.Context, func(context.Context) error) error {
			return func(ctx context.Context, op func(context.Context) error) error { return loop(ctx, 3, op) }
		}},
		{"paved", func() func(context.Context, func(context.Context) error) error {
			p := paved.New("bench", retry.MustNew())
			return func(ctx context.Context, op func(context.Context) error) error { return p.Run(ctx, op) }
		}},
		{"failsafe", func() func(context.Context, func(context.Context) error) error {
			ex := failsafe.With[any](retrypolicy.NewWithDefaults[any]())
			return func(ctx context.Context, op func(context.Context) error) error {
				return ex.Run(func() error { return op(ctx) })
			}
		}},
		{"paved-pipeline", func() func(context.Context, func(context.Context) error) error {
			p := readmePipeline()
			return func(ctx context.Context, op func(context.Context) error) error { return p.Run(ctx, op) }
		}},
		{"failsafe-pipeline", func() func(context.Context, func(context.Context) error) error {
			ex := failsafe.With[any](ftimeout.New[any](totalTimeout), retrypolicy.NewWithDefaults[any](),
				newFailsafeBreaker[any](openFor), ftimeout.New[any](attemptTimeout))
			return func(ctx context.Context, op func(context.Context) error) error {
				return ex.RunWithExecution(func(e failsafe.Execution[any]) error { return op(e.Context()) })
			}
		}},
	}
	for _, row := range rows {
		b.Run("mode=serial/lib="+row.lib, func(b *testing.B) {
			var attempts, failed atomic.Int64
			op := func(context.Context) error {
				attempts.Add(1)
				return errDown
			}
			ctx := context.Background()
			for b.Loop() {
				call := row.call()
				for range outageCalls {
					if call(ctx, op) != nil {
						failed.Add(1)
					}
				}
			}
			calls := float64(b.N) * outageCalls
			if failed.Load() != int64(calls) {
				b.Fatalf("%d of %.0f calls succeeded against a dependency that is down", int64(calls)-failed.Load(), calls)
			}
			b.ReportMetric(float64(attempts.Load())/calls, "attempts/call")
		})
	}
}
