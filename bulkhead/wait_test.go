package bulkhead_test

import (
	"context"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/bulkhead"
	"github.com/paved-go/paved/telemetry"
	"github.com/paved-go/paved/telemetry/telemetrytest"
)

// Waiters get freed slots in arrival order.
func TestWaitersServedInOrder(t *testing.T) {
	clk := newFake()
	b := bulkhead.MustNew(1, bulkhead.WithMaxWait(time.Second), bulkhead.WithMaxQueue(3), bulkhead.WithClock(clk))
	h := newHolder()
	errs := h.start(t, b.Wrap(h.op), 1)

	var mu sync.Mutex
	var order []int
	done := make(chan error, 3)
	for i := range 3 {
		go func() {
			done <- b.Wrap(func(context.Context) error {
				mu.Lock()
				order = append(order, i)
				mu.Unlock()
				return nil
			})(context.Background())
		}()
		waitFor(t, b, i+1) // queue them one after the other
	}
	close(h.release)
	require.NoError(t, <-errs)
	for range 3 {
		require.NoError(t, <-done)
	}
	assert.Equal(t, []int{0, 1, 2}, order)
	assert.Equal(t, 0, b.Inflight())
	assert.Equal(t, 0, b.Waiting())
	assert.Equal(t, 0, clk.Pending(), "every wait's timer stopped")
}

func TestWaitEndsAfterMaxWait(t *testing.T) {
	clk := newFake()
	b := bulkhead.MustNew(1, bulkhead.WithMaxWait(50*time.Millisecond), bulkhead.WithClock(clk), bulkhead.WithName("db"))
	log, tel := telemetrytest.New()
	p := paved.New("orders", b, paved.WithTelemetry(tel))
	h := newHolder()
	errs := h.start(t, b.Wrap(h.op), 1)

	got := make(chan error, 1)
	go func() { got <- p.Run(context.Background(), h.op) }()
	clk.BlockUntil(1)
	clk.Advance(49 * time.Millisecond)
	select {
	case err := <-got:
		t.Fatalf("returned before MaxWait: %v", err)
	default:
	}
	clk.Advance(time.Millisecond)
	err := <-got
	assert.ErrorIs(t, err, bulkhead.ErrFull)
	assert.Equal(t, 0, b.Waiting())
	ev := log.Events(telemetry.EventBulkheadRejected)
	require.Len(t, ev, 1)
	assert.Equal(t, "50", ev[0].Attrs[telemetry.AttrDelay], "the time waited, in ms")
	assert.Equal(t, "db", ev[0].Attrs[telemetry.AttrBulkhead])
	assert.Equal(t, 1, b.Inflight(), "the holder's slot only")
	close(h.release)
	require.NoError(t, <-errs)
	assert.Equal(t, 0, b.Inflight())
}

// The caller's deadline bounds the wait: a deadline sooner than MaxWait
// ends it at the deadline with the context's error.
func TestWaitBoundedByDeadline(t *testing.T) {
	clk := newFake()
	b := bulkhead.MustNew(1, bulkhead.WithMaxWait(time.Minute), bulkhead.WithClock(clk))
	h := newHolder()
	errs := h.start(t, b.Wrap(h.op), 1)

	ctx, cancel := clk.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	got := make(chan error, 1)
	go func() { got <- b.Wrap(h.op)(ctx) }()
	waitFor(t, b, 1)
	assert.Equal(t, 1, clk.Pending(), "the context's deadline only: no timer of MaxWait")
	clk.Advance(20 * time.Millisecond)
	assert.ErrorIs(t, <-got, context.DeadlineExceeded)
	assert.Equal(t, 0, b.Waiting())

	// A deadline with no time left (by the bulkhead's clock; the context
	// itself has not fired) is refused at once.
	now, cancel2 := context.WithDeadline(context.Background(), clk.Now())
	defer cancel2()
	assert.ErrorIs(t, b.Wrap(h.op)(now), bulkhead.ErrFull)
	assert.Equal(t, 0, b.Waiting())
	close(h.release)
	require.NoError(t, <-errs)
}

func TestCancelWhileWaiting(t *testing.T) {
	clk := newFake()
	b := bulkhead.MustNew(1, bulkhead.WithMaxWait(time.Minute), bulkhead.WithClock(clk))
	h := newHolder()
	errs := h.start(t, b.Wrap(h.op), 1)

	ctx, cancel := context.WithCancel(context.Background())
	got := make(chan error, 1)
	go func() { got <- b.Wrap(h.op)(ctx) }()
	waitFor(t, b, 1)
	cancel()
	assert.ErrorIs(t, <-got, context.Canceled)
	assert.Equal(t, 0, b.Waiting())
	assert.Equal(t, 0, clk.Pending(), "the wait's timer stopped")
	close(h.release)
	require.NoError(t, <-errs)
	assert.Equal(t, 0, b.Inflight())
}

func TestQueueBounded(t *testing.T) {
	clk := newFake()
	b := bulkhead.MustNew(1, bulkhead.WithMaxWait(time.Minute), bulkhead.WithMaxQueue(1), bulkhead.WithClock(clk))
	h := newHolder()
	errs := h.start(t, b.Wrap(h.op), 1)
	got := make(chan error, 1)
	go func() { got <- b.Wrap(func(context.Context) error { return nil })(context.Background()) }()
	waitFor(t, b, 1)
	assert.ErrorIs(t, b.Wrap(h.op)(context.Background()), bulkhead.ErrFull, "the queue of 1 is full: refused at once")
	close(h.release)
	require.NoError(t, <-errs)
	require.NoError(t, <-got)

	// MaxQueue 0: never wait, whatever MaxWait.
	b0 := bulkhead.MustNew(1, bulkhead.WithMaxWait(time.Minute), bulkhead.WithMaxQueue(0), bulkhead.WithClock(clk))
	h0 := newHolder()
	errs = h0.start(t, b0.Wrap(h0.op), 1)
	assert.ErrorIs(t, b0.Wrap(h0.op)(context.Background()), bulkhead.ErrFull)
	close(h0.release)
	require.NoError(t, <-errs)
}

// Many goroutines, short real waits, cancellations and panics: never more
// than max in flight, and every slot and waiter accounted for at the end.
// Run with -race.
func TestConcurrentNoLeak(t *testing.T) {
	for _, mk := range []func() *bulkhead.Bulkhead{
		func() *bulkhead.Bulkhead { return bulkhead.MustNew(4, bulkhead.WithMaxWait(time.Millisecond)) },
		func() *bulkhead.Bulkhead {
			return bulkhead.MustNewAdaptive(bulkhead.WithAlgorithm(bulkhead.AIMD), bulkhead.WithLimits(4, 4),
				bulkhead.WithInitialLimit(4), bulkhead.WithMaxWait(time.Millisecond))
		},
	} {
		b := mk()
		var in, peak, ran atomic.Int64
		op := b.Wrap(func(ctx context.Context) error {
			n := in.Add(1)
			defer in.Add(-1)
			for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
			}
			ran.Add(1)
			if rand.IntN(50) == 0 {
				panic("boom")
			}
			time.Sleep(time.Duration(rand.IntN(200)) * time.Microsecond) // work, not a wait for state
			return nil
		})
		var wg sync.WaitGroup
		for range 64 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range 100 {
					ctx, cancel := context.WithCancel(context.Background())
					switch rand.IntN(10) {
					case 0:
						cancel()
					case 1:
						var stop context.CancelFunc
						ctx, stop = context.WithTimeout(ctx, time.Duration(rand.IntN(500))*time.Microsecond)
						defer stop()
					}
					func() {
						defer func() { _ = recover() }()
						_ = op(ctx)
					}()
					cancel()
				}
			}()
		}
		wg.Wait()
		assert.LessOrEqual(t, peak.Load(), int64(4))
		assert.Positive(t, ran.Load())
		assert.Equal(t, 0, b.Inflight())
		assert.Equal(t, 0, b.Waiting())
	}
}

// A slot granted to a waiter whose caller gives up at the same moment goes
// to the next waiter, or back: repeated, so that both orders happen.
func TestGrantRacingCancel(t *testing.T) {
	b := bulkhead.MustNew(1, bulkhead.WithMaxWait(time.Minute), bulkhead.WithMaxQueue(2))
	for range 200 {
		h := newHolder()
		errs := h.start(t, b.Wrap(h.op), 1)
		ctx, cancel := context.WithCancel(context.Background())
		racer := make(chan error, 1)
		go func() { racer <- b.Wrap(func(context.Context) error { return nil })(ctx) }()
		waitFor(t, b, 1)
		next := make(chan error, 1)
		go func() { next <- b.Wrap(func(context.Context) error { return nil })(context.Background()) }()
		waitFor(t, b, 2)
		go cancel()
		close(h.release)
		require.NoError(t, <-errs)
		if err := <-racer; err != nil {
			require.ErrorIs(t, err, context.Canceled)
		}
		require.NoError(t, <-next, "the next waiter always gets a slot")
		require.Equal(t, 0, b.Inflight())
		require.Equal(t, 0, b.Waiting())
	}
}
