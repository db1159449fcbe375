package ratelimit_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/clock"
	"github.com/paved-go/paved/ratelimit"
)

// quotaSource is what a transport adapter's per-call state does: it hands
// over what the server said, once.
type quotaSource struct {
	mu sync.Mutex
	q  *ratelimit.ServerQuota
}

func (s *quotaSource) TakeServerQuota() (ratelimit.ServerQuota, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.q == nil {
		return ratelimit.ServerQuota{}, false
	}
	q := *s.q
	s.q = nil
	return q, true
}

// serverSays runs one call through p whose "response" said q.
func serverSays(t *testing.T, p *paved.Pipeline, q ratelimit.ServerQuota) {
	t.Helper()
	src := &quotaSource{}
	_, err := p.ExecuteWith(context.Background(), &paved.CallInfo{Data: src}, func(context.Context) error {
		src.mu.Lock()
		src.q = &q
		src.mu.Unlock()
		return nil
	})
	require.NoError(t, err)
}

func TestServerFeedbackSlowsBeforeRefusal(t *testing.T) {
	clk := clock.NewFake(epoch)
	l := ratelimit.MustNew(1000, 1000, ratelimit.WithClock(clk), ratelimit.WithMaxWait(time.Second))
	p := paved.New("dep", l)
	serverSays(t, p, ratelimit.ServerQuota{Remaining: 0, Reset: 30 * time.Second})

	ran := false
	err := p.Run(context.Background(), func(context.Context) error { ran = true; return nil })
	require.ErrorIs(t, err, ratelimit.ErrLimited, "r=0;t=30 with a 1s max wait: refused here, no 429 spent")
	assert.False(t, ran)
	d, _ := paved.RetryAfter(err)
	assert.Equal(t, 30*time.Second, d)
	var le *ratelimit.LimitedError
	require.ErrorAs(t, err, &le)
	assert.Equal(t, int64(0), le.Status.Remaining)
	assert.Equal(t, 30*time.Second, le.Status.Reset)

	clk.Advance(30 * time.Second)
	require.NoError(t, p.Run(context.Background(), okOp), "the server's quota reset")
	require.NoError(t, p.Run(context.Background(), okOp))
}

func TestServerFeedbackWaitsWithinMaxWait(t *testing.T) {
	clk := clock.NewFake(epoch)
	l := ratelimit.MustNew(1000, 1000, ratelimit.WithClock(clk), ratelimit.WithMaxWait(time.Minute))
	p := paved.New("dep", l)
	serverSays(t, p, ratelimit.ServerQuota{Remaining: 0, Reset: 30 * time.Second})
	done := make(chan error, 1)
	go func() { done <- p.Run(context.Background(), okOp) }()
	clk.BlockUntil(1)
	clk.Advance(29 * time.Second)
	select {
	case err := <-done:
		t.Fatalf("went before the server's reset: %v", err)
	default:
	}
	clk.Advance(time.Second)
	require.NoError(t, <-done)

	// The deadline still bounds it.
	serverSays(t, p, ratelimit.ServerQuota{Remaining: 0, Reset: 30 * time.Second})
	ctx, cancel := clk.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	assert.ErrorIs(t, p.Run(ctx, okOp), ratelimit.ErrLimited)
}

func TestServerFeedbackRemaining(t *testing.T) {
	clk := clock.NewFake(epoch)
	l := ratelimit.MustNew(1000, 1000, ratelimit.WithClock(clk), ratelimit.WithFailFast())
	p := paved.New("dep", l)
	serverSays(t, p, ratelimit.ServerQuota{Remaining: 2, Reset: 10 * time.Second})
	require.NoError(t, p.Run(context.Background(), okOp))
	require.NoError(t, p.Run(context.Background(), okOp))
	err := p.Run(context.Background(), okOp)
	require.ErrorIs(t, err, ratelimit.ErrLimited, "the two the server said remain are spent")
	d, _ := paved.RetryAfter(err)
	assert.Equal(t, 10*time.Second, d)
	assert.Equal(t, int64(0), l.Status().Remaining)

	l.Observe(ratelimit.ServerQuota{Remaining: 5, Reset: 0})
	require.NoError(t, p.Run(context.Background(), okOp), "a reset of 0 forgets the server's quota")
}

func TestServerFeedbackOff(t *testing.T) {
	clk := clock.NewFake(epoch)
	l := ratelimit.MustNew(1000, 1000, ratelimit.WithClock(clk), ratelimit.WithFailFast(), ratelimit.WithServerFeedback(false))
	p := paved.New("dep", l)
	serverSays(t, p, ratelimit.ServerQuota{Remaining: 0, Reset: 30 * time.Second})
	require.NoError(t, p.Run(context.Background(), okOp), "feedback off: the server's fields are not read")
}
