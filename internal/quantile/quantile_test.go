package quantile_test

import (
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-go/paved/internal/quantile"
)

func TestNotReadyUntilMinSamples(t *testing.T) {
	tr := quantile.New(0.95, 512, 100)
	for i := range 99 {
		tr.Record(time.Duration(i+1) * time.Millisecond)
	}
	_, ok := tr.Quantile()
	assert.False(t, ok)
	tr.Record(100 * time.Millisecond)
	q, ok := tr.Quantile()
	require.True(t, ok)
	assert.Equal(t, 95*time.Millisecond, q)
}

func TestTracksRecentWindow(t *testing.T) {
	tr := quantile.New(0.5, 128, 64)
	for range 128 {
		tr.Record(time.Second)
	}
	for range 128 {
		tr.Record(time.Millisecond)
	}
	q, ok := tr.Quantile()
	require.True(t, ok)
	assert.Equal(t, time.Millisecond, q, "old samples left the window")
}

func TestP95OfMixture(t *testing.T) {
	tr := quantile.New(0.95, 512, 100)
	r := rand.New(rand.NewPCG(1, 1))
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 256 {
				tr.Record(10 * time.Millisecond)
			}
		})
	}
	wg.Wait()
	for range 512 {
		d := 10 * time.Millisecond
		if r.IntN(100) < 2 {
			d = 500 * time.Millisecond
		}
		tr.Record(d)
	}
	q, ok := tr.Quantile()
	require.True(t, ok)
	assert.Equal(t, 10*time.Millisecond, q, "2% slow replies sit above p95")
	assert.Equal(t, 1536, tr.Count())
}

func BenchmarkRecord(b *testing.B) {
	b.ReportAllocs()
	tr := quantile.New(0.95, 512, 100)
	for b.Loop() {
		tr.Record(time.Millisecond)
	}
}
