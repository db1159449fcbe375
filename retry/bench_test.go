package retry_test

import (
	"context"
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
