package chaos_test

import (
	"context"
	"testing"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/chaos"
)

// BenchmarkPickMiss is the cost a Chaos adds to a call it leaves alone.
func BenchmarkPickMiss(b *testing.B) {
	c := chaos.MustNew(chaos.Error(errDown), chaos.WithRate(0), chaos.WithSeed(1))
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		c.Pick(ctx)
	}
}

// BenchmarkPickOff is the cost of a switched-off Chaos.
func BenchmarkPickOff(b *testing.B) {
	c := chaos.MustNew(chaos.Error(errDown), chaos.WithEnabled(false))
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		c.Pick(ctx)
	}
}

// BenchmarkPipelineDefaultRate is a pipeline call through a Chaos at its
// default rate, against BenchmarkPipelineBare.
func BenchmarkPipelineDefaultRate(b *testing.B) {
	p := paved.New("bench", chaos.MustNew(chaos.Error(errDown), chaos.WithSeed(1)))
	benchPipeline(b, p)
}

func BenchmarkPipelineBare(b *testing.B) { benchPipeline(b, paved.New("bench")) }

func benchPipeline(b *testing.B, p *paved.Pipeline) {
	ctx := context.Background()
	op := func(context.Context) error { return nil }
	b.ReportAllocs()
	for b.Loop() {
		_ = p.Run(ctx, op)
	}
}
