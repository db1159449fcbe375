package hedge_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/hedge"
	"github.com/paved-go/paved/internal/clock"
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
		a.SetResult(a.Number(), func() { ctxErrAtDiscard <- ctx.Err() })
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
