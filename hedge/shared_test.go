package hedge_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/hedge"
)

// A slow first attempt is hedged while the budget lasts (the canceled
// loser spends it); with WithSharedState the budget is one for every
// pipeline the Hedge is in.
func TestSharedState(t *testing.T) {
	attemptsOf := func(p *paved.Pipeline) int64 {
		var n atomic.Int64
		_ = p.Run(context.Background(), func(ctx context.Context) error {
			if n.Add(1) == 1 {
				select {
				case <-ctx.Done():
				case <-time.After(100 * time.Millisecond):
				}
				return nil
			}
			return nil
		})
		return n.Load()
	}
	opts := []hedge.Option{hedge.WithDelay(5 * time.Millisecond), hedge.WithBudget(0, 0), hedge.WithBudgetCapacity(1)}
	shared := hedge.MustNew(append(opts, hedge.WithSharedState())...)
	assert.Equal(t, int64(2), attemptsOf(paved.New("a", shared)), "the one token pays a hedge")
	assert.Equal(t, int64(1), attemptsOf(paved.New("b", shared)), "b shares a's spent budget")

	own := hedge.MustNew(opts...)
	assert.Equal(t, int64(2), attemptsOf(paved.New("a", own)))
	assert.Equal(t, int64(2), attemptsOf(paved.New("b", own)), "without WithSharedState each pipeline has its own")
}
