package bench

import (
	"context"
	"testing"

	"github.com/sony/gobreaker/v2"
)

// waits is a dependency that waits on its context as a transport does: it
// selects on Done once, which builds the context's channel and, for a lazy
// context, everything context.WithDeadline would have built.
func waits(ctx context.Context) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	default:
		return nil
	}
}

// derives is a dependency that does what net/http's Transport does with a
// request's context: it derives a context.WithCancelCause child, waits on it
// and cancels it.
func derives(ctx context.Context) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	return waits(ctx)
}

// BenchmarkREADMEPipelineWaiting is BenchmarkREADMEPipeline with a
// dependency that waits on its context (op=done) or derives a child from it
// as net/http does (op=child): what a real call pays, which an Op that never
// looks at its context does not show.
func BenchmarkREADMEPipelineWaiting(b *testing.B) {
	for _, op := range []struct {
		name string
		fn   func(context.Context) error
	}{{"done", waits}, {"child", derives}} {
		b.Run("op="+op.name, func(b *testing.B) {
			compare(b,
				impl{lib: "floor", setup: func(*testing.B) func(context.Context) error {
					cb := newGobreaker(openFor)
					return floorREADME(cb, op.fn)
				}},
				impl{lib: "paved", setup: func(*testing.B) func(context.Context) error {
					p := readmePipeline()
					return func(ctx context.Context) error { return p.Run(ctx, op.fn) }
				}},
			)
		})
	}
}

func floorREADME(cb *gobreaker.CircuitBreaker[any], fn func(context.Context) error) func(context.Context) error {
	return func(ctx context.Context) error {
		ctx, cancel := context.WithTimeout(ctx, totalTimeout)
		defer cancel()
		_, err := cb.Execute(func() (any, error) {
			actx, cancel := context.WithTimeout(ctx, attemptTimeout)
			defer cancel()
			return nil, fn(actx)
		})
		return err
	}
}
