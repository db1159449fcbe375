package idempotency_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/paved-go/paved/clock"
	"github.com/paved-go/paved/idempotency"
	"github.com/paved-go/paved/idempotency/storetest"
)

func TestMemoryStoreConformance(t *testing.T) {
	clocks := map[*testing.T]*clock.Fake{}
	storetest.Run(t, storetest.Harness{
		New: func(t *testing.T) idempotency.Store {
			clk := clock.NewFake(time.Unix(1_700_000_000, 0))
			clocks[t] = clk
			return idempotency.NewMemoryStore(idempotency.WithMemoryClock(clk))
		},
		Wait: func(t *testing.T, d time.Duration) { clocks[t].Advance(d) },
	})
}

func TestMemoryStoreBounded(t *testing.T) {
	ctx := context.Background()
	clk := clock.NewFake(time.Unix(1_700_000_000, 0))
	s := idempotency.NewMemoryStore(idempotency.WithMemoryClock(clk), idempotency.WithMaxRecords(2), idempotency.WithMaxBytes(1024))
	claim := func(key string, lease time.Duration) (idempotency.Record, error) {
		return s.Claim(ctx, idempotency.Claim{Scope: "s", Key: key, Token: key, Lease: lease})
	}
	_, err := claim("a", time.Second)
	require.NoError(t, err)
	_, err = claim("b", time.Minute)
	require.NoError(t, err)
	_, err = claim("c", time.Minute)
	require.ErrorIs(t, err, idempotency.ErrStoreFull, "two live records: full, and no live one is forgotten")
	clk.Advance(2 * time.Second)
	r, err := claim("c", time.Minute)
	require.NoError(t, err, "a's lease passed: its room is reused")
	require.Equal(t, idempotency.StateClaimed, r.State)
	require.Equal(t, 2, s.Len())

	require.ErrorIs(t, s.Complete(ctx, "s", "b", "b", make([]byte, 2048), time.Hour), idempotency.ErrStoreFull, "bytes bounded")
	require.NoError(t, s.Complete(ctx, "s", "b", "b", make([]byte, 1000), time.Hour))
	require.NoError(t, s.Release(ctx, "s", "c", "c"))
	_, err = claim("d", time.Minute)
	require.NoError(t, err)
	require.ErrorIs(t, s.Complete(ctx, "s", "d", "d", make([]byte, 100), time.Hour), idempotency.ErrStoreFull, "b's 1000 bytes are live")
	clk.Advance(2 * time.Hour)
	_, err = claim("e", time.Minute)
	require.NoError(t, err, "b's retention and d's lease passed")
	require.Equal(t, 1, s.Len())
}

func TestMemoryStoreOptions(t *testing.T) {
	for _, tt := range []struct {
		opt  idempotency.MemoryOption
		want string
	}{
		{idempotency.WithMaxRecords(0), "MaxRecords must be 1..100000000, got 0"},
		{idempotency.WithMaxBytes(10), "MaxBytes must be 1024..68719476736, got 10"},
	} {
		_, err := idempotency.NewMemoryStoreE(tt.opt)
		require.ErrorContains(t, err, tt.want)
		require.Panics(t, func() { idempotency.NewMemoryStore(tt.opt) })
	}
}
