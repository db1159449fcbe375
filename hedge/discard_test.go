package hedge_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/clock"
	"github.com/paved-go/paved/hedge"
)

// TestFinishedLoserDiscardedBeforeCancel: a loser that already has its
// result (a transient failure such as a 503, whose hedge then won) is
// discarded while its context is still alive, and canceled only after. An
// HTTP response's body is drained by its discard; drained under a canceled
// context, the read fails and the connection is closed instead of reused,
// so every such hedge would cost a new connection.
func TestFinishedLoserDiscardedBeforeCancel(t *testing.T) {
	p := paved.New("t", hedge.MustNew(hedge.WithDelay(time.Hour), hedge.WithClock(clock.NewFake(epoch))))
	ctxErrAtDiscard := make(chan error, 2)
	_, err := p.Execute(context.Background(), func(ctx context.Context) error {
		a := paved.AttemptFrom(ctx)
		a.SetResult(a.Number(), func(any) { ctxErrAtDiscard <- ctx.Err() })
		if a.Number() == 1 {
			return errUnavailable // Transient: the hedge starts at once and wins
		}
		return nil
	})
	require.NoError(t, err)
	select {
	case cerr := <-ctxErrAtDiscard:
		assert.NoError(t, cerr, "the finished loser's context was canceled before its result was discarded")
	default:
		t.Fatal("the loser's result was not discarded when the call ended")
	}
	assert.Empty(t, ctxErrAtDiscard, "only the loser is discarded")
}

// TestTransientResultKeptUntilReplaced: a transient failure stays the call's
// answer while the hedge that follows it runs (so that a hedge our own
// policies refuse leaves the caller the real answer), and is discarded once
// the hedge answers in its place.
func TestTransientResultKeptUntilReplaced(t *testing.T) {
	p := paved.New("t", hedge.MustNew(hedge.WithDelay(time.Hour), hedge.WithClock(clock.NewFake(epoch))))
	discarded := make(chan struct{})
	var firstGoneAtStart bool
	call, err := p.Execute(context.Background(), func(ctx context.Context) error {
		a := paved.AttemptFrom(ctx)
		if a.Number() == 1 {
			a.SetResult(1, func(any) { close(discarded) })
			return errUnavailable
		}
		select {
		case <-discarded:
			firstGoneAtStart = true
		default:
		}
		a.SetResult(2, nil)
		return nil
	})
	require.NoError(t, err)
	assert.False(t, firstGoneAtStart, "attempt 1's result was discarded before the hedge answered")
	select {
	case <-discarded:
	default:
		t.Error("attempt 1's result was never discarded")
	}
	v, _ := call.Final().Result()
	assert.Equal(t, 2, v)
}

// TestTransientResultKeptWhenNoHedgeFollows: when the budget allows no
// further hedge, the transient failure is the call's final result and is
// returned, not discarded.
func TestTransientResultKeptWhenNoHedgeFollows(t *testing.T) {
	p := paved.New("t", hedge.MustNew(hedge.WithDelay(time.Hour), hedge.WithBudget(0, 0), hedge.WithBudgetCapacity(1),
		hedge.WithClock(clock.NewFake(epoch))))
	// Spend the one saved hedge on a call whose hedge fails too.
	require.Error(t, p.Run(context.Background(), func(context.Context) error { return errUnavailable }))
	call, err := p.Execute(context.Background(), func(ctx context.Context) error {
		a := paved.AttemptFrom(ctx)
		a.SetResult(a.Number(), func(any) { t.Error("the final result was discarded") })
		return errUnavailable
	})
	require.ErrorIs(t, err, errUnavailable)
	assert.Equal(t, 1, call.Attempts())
	v, ok := call.Final().Result()
	require.True(t, ok)
	assert.Equal(t, 1, v)
}
