package idempotency_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/paved-go/paved/clock"

	"github.com/paved-go/paved/idempotency"
)

var benchResp = &idempotency.Response{Code: 201, Header: map[string][]string{"Content-Type": {"application/json"}}, Body: []byte(`{"id":"ord_123","status":"created"}`)}

func benchRun(context.Context) (*idempotency.Response, error) { return benchResp, nil }

// BenchmarkGuardFirst is a first request: claim, run, store (memory store),
// in a steady state of about 10000 live records: time moves 1ms per request
// and responses are kept 10s, so each claim also drops an expired record.
func BenchmarkGuardFirst(b *testing.B) {
	clk := clock.NewFake(time.Unix(1_700_000_000, 0))
	g := idempotency.MustNew(idempotency.WithLease(time.Second), idempotency.WithRetention(10*time.Second),
		idempotency.WithStore(idempotency.NewMemoryStore(idempotency.WithMemoryClock(clk))))
	keys := make([]string, b.N)
	for i := range keys {
		keys[i] = "8e03978e-40d5-43e8-" + strconv.Itoa(i)
	}
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if _, err := g.Do(ctx, idempotency.Request{Scope: "tenant", Key: keys[i], Fingerprint: "fp"}, benchRun); err != nil {
			b.Fatal(err)
		}
		clk.Advance(time.Millisecond)
	}
}

// BenchmarkGuardReplay is a repeat of a completed request: claim finds the
// stored response, which is decoded.
func BenchmarkGuardReplay(b *testing.B) {
	g := idempotency.MustNew()
	ctx := context.Background()
	r := idempotency.Request{Scope: "tenant", Key: "8e03978e-40d5-43e8-bc93-6894a57f9324", Fingerprint: "fp"}
	if _, err := g.Do(ctx, r, benchRun); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if res, err := g.Do(ctx, r, benchRun); err != nil || !res.Replayed {
			b.Fatal(err)
		}
	}
}
