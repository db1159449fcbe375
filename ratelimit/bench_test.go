package ratelimit_test

import (
	"context"
	"runtime"
	"strconv"
	"testing"

	"golang.org/x/time/rate"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/ratelimit"
)

// BenchmarkLimiterWrap is the admitted path of New's middleware alone (no
// pipeline around it): compare with BenchmarkRateAllow, the
// rate.Limiter.Allow it is built on, with the same never-empty bucket.
func BenchmarkLimiterWrap(b *testing.B) {
	b.ReportAllocs()
	op := ratelimit.MustNew(rate.Limit(1e9), 1_000_000_000).Wrap(okOp)
	ctx := context.Background()
	for b.Loop() {
		_ = op(ctx)
	}
}

func BenchmarkRateAllow(b *testing.B) {
	b.ReportAllocs()
	lim := rate.NewLimiter(rate.Limit(1e9), 1_000_000_000)
	ctx := context.Background()
	for b.Loop() {
		if lim.Allow() {
			_ = okOp(ctx)
		}
	}
}

// BenchmarkLimiterRefused is the refusal path (fail fast, empty bucket):
// two allocations, the error.
func BenchmarkLimiterRefused(b *testing.B) {
	b.ReportAllocs()
	l := ratelimit.MustNew(1e-3, 1, ratelimit.WithFailFast())
	op := l.Wrap(okOp)
	ctx := context.Background()
	_ = op(ctx)
	for b.Loop() {
		_ = op(ctx)
	}
}

// BenchmarkPerKeyWrap is one caller's admitted call through PerKey inside a
// pipeline, as a server sees it: the key from the call, and one allocation
// for the Status the handler reads.
func BenchmarkPerKeyWrap(b *testing.B) {
	b.ReportAllocs()
	p := paved.New("server", ratelimit.MustPerKey(rate.Limit(1e9), 1_000_000_000))
	ctx := caller("tenant-42")
	for b.Loop() {
		_ = p.Run(ctx, okOp)
	}
}

// BenchmarkPerKeyDistinctKeys sends a million distinct keys through PerKey
// bounded at 100000 and reports the heap it holds at the end (bytes/key is
// per kept key).
func BenchmarkPerKeyDistinctKeys(b *testing.B) {
	keys := make([]string, 1_000_000)
	for i := range keys {
		keys[i] = "tenant-" + strconv.Itoa(i)
	}
	for b.Loop() {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		k := ratelimit.MustPerKey(1, 10, ratelimit.WithMaxKeys(100_000))
		for _, key := range keys {
			k.Allow(key)
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/float64(k.Len()), "bytes/key")
		b.ReportMetric(float64(k.Len()), "keys")
		runtime.KeepAlive(k)
	}
}
