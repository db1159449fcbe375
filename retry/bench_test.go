package retry_test

import (
	"context"
	"errors"
	"testing"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/retry"
)

var nop = func(context.Context) error { return nil }

// BenchmarkEmptyPipeline is the baseline for BenchmarkRetrySuccess
// (goal: at most +15 ns and no allocation).
func BenchmarkEmptyPipeline(b *testing.B) {
	b.ReportAllocs()
	ctx := context.Background()
	p := paved.New("bench")
	for b.Loop() {
		_ = p.Run(ctx, nop)
	}
}

func BenchmarkRetrySuccess(b *testing.B) {
	b.ReportAllocs()
	ctx := context.Background()
	p := paved.New("bench", retry.MustNew())
	for b.Loop() {
		_ = p.Run(ctx, nop)
	}
}

func BenchmarkRetrySuccessNoBudget(b *testing.B) {
	b.ReportAllocs()
	ctx := context.Background()
	p := paved.New("bench", retry.MustNew(retry.WithoutBudget()))
	for b.Loop() {
		_ = p.Run(ctx, nop)
	}
}

var errNotFound = paved.Permanent(errors.New("not found"))

// BenchmarkRetryPermanent is a call whose op fails with a Permanent error:
// classified once, not retried (goal: at most 2x BenchmarkRetrySuccess).
func BenchmarkRetryPermanent(b *testing.B) {
	b.ReportAllocs()
	ctx := context.Background()
	p := paved.New("bench", retry.MustNew())
	op := func(context.Context) error { return errNotFound }
	for b.Loop() {
		_ = p.Run(ctx, op)
	}
}
