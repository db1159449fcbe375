package paved_test

import (
	"context"
	"testing"

	"github.com/paved-go/paved"
)

func BenchmarkDirect(b *testing.B) {
	b.ReportAllocs()
	ctx := context.Background()
	op := func(context.Context) error { return nil }
	for b.Loop() {
		_ = op(ctx)
	}
}

func BenchmarkEmptyPipeline(b *testing.B) {
	b.ReportAllocs()
	ctx := context.Background()
	p := paved.New("bench")
	op := func(context.Context) error { return nil }
	for b.Loop() {
		_ = p.Run(ctx, op)
	}
}
