package loadshed_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/clock"
	"github.com/paved-go/paved/loadshed"
	"github.com/paved-go/paved/telemetry"
	"github.com/paved-go/paved/telemetry/telemetrytest"
)

const (
	critical  = paved.PriorityCritical
	sheddable = paved.PrioritySheddable
)

// queued sends a request that must queue behind a full limit.
func queued(t *testing.T, s *loadshed.Shedder, p *paved.Pipeline, name string, prio paved.Priority, key string) *request {
	t.Helper()
	n := s.Queued()
	r := send(context.Background(), p, name, prio, key)
	waitFor(t, name+" queued", func() bool { return s.Queued() == n+1 })
	return r
}

// running sends a request that must be admitted at once.
func running(t *testing.T, p *paved.Pipeline, name string) *request {
	t.Helper()
	r := send(context.Background(), p, name, critical, "")
	waitFor(t, name+" running", r.isRunning)
	return r
}

func requireShed(t *testing.T, err error) {
	t.Helper()
	require.ErrorIs(t, err, loadshed.ErrShed)
	require.ErrorIs(t, err, paved.ErrRejected)
}

func TestShedderAdmitsUpToTheLimitThenQueuesFIFO(t *testing.T) {
	clk := clock.NewFake(epoch)
	s := fixed(clk, 2)
	p := paved.New("server", s)
	a, b := running(t, p, "a"), running(t, p, "b")
	assert.Equal(t, 2, s.Inflight())
	c := queued(t, s, p, "c", critical, "")
	clk.Advance(time.Millisecond)
	d := queued(t, s, p, "d", critical, "")

	require.NoError(t, a.end(t))
	waitFor(t, "c admitted", c.isRunning)
	assert.False(t, d.isRunning(), "not congested: oldest first")
	require.NoError(t, b.end(t))
	waitFor(t, "d admitted", d.isRunning)
	require.NoError(t, c.end(t))
	require.NoError(t, d.end(t))
	assert.Zero(t, s.Inflight())
	assert.Zero(t, s.Queued())
}

// While the queue has been empty within the last interval (100 ms), a
// request may wait the interval; one that waited longer is shed.
func TestCoDelUncongestedWaitIsTheInterval(t *testing.T) {
	clk := clock.NewFake(epoch)
	s := fixed(clk, 1)
	p := paved.New("server", s)
	hold := running(t, p, "hold")
	w := queued(t, s, p, "w", critical, "")
	clk.Advance(100 * time.Millisecond)
	assert.Equal(t, 1, s.Queued(), "a 100 ms wait is allowed")
	clk.Advance(time.Nanosecond)
	requireShed(t, w.wait(t))
	assert.Zero(t, s.Queued())
	require.NoError(t, hold.end(t))
}

// Once the queue has not been empty for the interval it is congested: a
// request may wait only the target (5 ms), and the newest is served first.
func TestCoDelCongestedWaitIsTheTargetAndLIFO(t *testing.T) {
	clk := clock.NewFake(epoch)
	s := fixed(clk, 1)
	p := paved.New("server", s)
	hold := running(t, p, "hold")
	old := queued(t, s, p, "old", critical, "") // t=0: the queue is not empty from here on
	clk.Advance(96 * time.Millisecond)
	x1 := queued(t, s, p, "x1", critical, "")
	clk.Advance(2 * time.Millisecond)
	x2 := queued(t, s, p, "x2", critical, "")

	clk.Advance(2*time.Millisecond + time.Nanosecond) // t=100ms+1ns: congested
	requireShed(t, old.wait(t))
	assert.Equal(t, 2, s.Queued(), "x1 (4 ms) and x2 (2 ms) are within the target")

	require.NoError(t, hold.end(t))
	waitFor(t, "x2 admitted", x2.isRunning)
	assert.False(t, x1.isRunning(), "LIFO while congested: the newest first")

	clk.Advance(time.Millisecond - time.Nanosecond) // x1 has now waited 5 ms: still allowed
	assert.Equal(t, 1, s.Queued())
	clk.Advance(time.Nanosecond)
	requireShed(t, x1.wait(t))
	require.NoError(t, x2.end(t))

	// Shedding emptied the queue: the server did not, so it is still
	// congested, and the next waiter too may wait only 5 ms.
	hold = running(t, p, "hold2")
	y := queued(t, s, p, "y", critical, "")
	clk.Advance(5 * time.Millisecond)
	assert.Equal(t, 1, s.Queued())
	require.NoError(t, hold.end(t)) // served after 5 ms: the server emptied its queue
	waitFor(t, "y admitted", y.isRunning)

	// The server emptied its queue: it is no longer congested, so waiters
	// may wait the interval again; but it was congested a moment ago, so
	// they are still served newest first (CoDel's memory, RFC 8289 5.5,
	// applied to the order), not the oldest, which may have waited longest.
	first := queued(t, s, p, "first", critical, "")
	clk.Advance(time.Millisecond)
	second := queued(t, s, p, "second", critical, "")
	clk.Advance(50 * time.Millisecond)
	assert.Equal(t, 2, s.Queued(), "not congested: 51 ms is within the interval")
	require.NoError(t, y.end(t))
	waitFor(t, "second admitted", second.isRunning)
	assert.False(t, first.isRunning(), "LIFO for an interval after congestion")
	require.NoError(t, second.end(t))
	waitFor(t, "first admitted", first.isRunning) // late: congested again
	w := queued(t, s, p, "w", critical, "")
	require.NoError(t, first.end(t))
	waitFor(t, "w admitted", w.isRunning) // in good time: not congested

	// An interval without congestion later, the order is FIFO again.
	clk.Advance(100*time.Millisecond + time.Nanosecond)
	old2 := queued(t, s, p, "old2", critical, "")
	clk.Advance(time.Millisecond)
	z := queued(t, s, p, "z", critical, "")
	clk.Advance(90 * time.Millisecond)
	assert.Equal(t, 2, s.Queued())
	require.NoError(t, w.end(t))
	waitFor(t, "old2 admitted", old2.isRunning)
	assert.False(t, z.isRunning(), "FIFO: the oldest first")
	require.NoError(t, old2.end(t))
	waitFor(t, "z admitted", z.isRunning)
	require.NoError(t, z.end(t))

	// z was served, but late: emptying the queue that way does not show the
	// server keeps up, so the next waiter finds it congested.
	hold = running(t, p, "hold3")
	v := queued(t, s, p, "v", critical, "")
	// (Shed after the congested wait: the target, or three mean gaps
	// between releases, which this test's long waits have made longer.)
	clk.Advance(50 * time.Millisecond)
	requireShed(t, v.wait(t))
	require.NoError(t, hold.end(t))
}

// CoDel's state is per criticality: CRITICAL requests served in good time
// do not make a congested SHEDDABLE queue look served in good time, so a
// SHEDDABLE request queued next may still wait only the target.
func TestCoDelIsPerCriticality(t *testing.T) {
	clk := clock.NewFake(epoch)
	s := fixed(clk, 1)
	p := paved.New("server", s)
	hold := running(t, p, "hold")
	a := queued(t, s, p, "a", sheddable, "")
	clk.Advance(100*time.Millisecond + time.Nanosecond)
	requireShed(t, a.wait(t)) // the SHEDDABLE queue is congested, and emptied by shedding

	c := queued(t, s, p, "c", critical, "")
	clk.Advance(time.Millisecond)
	require.NoError(t, hold.end(t))
	waitFor(t, "c admitted", c.isRunning) // the CRITICAL queue emptied in 1 ms

	b := queued(t, s, p, "b", sheddable, "")
	clk.Advance(5 * time.Millisecond)
	assert.Equal(t, 1, s.Queued(), "5 ms is within the target")
	clk.Advance(time.Nanosecond)
	requireShed(t, b.wait(t))

	// The CRITICAL queue is not congested: its next waiter gets the interval.
	d := queued(t, s, p, "d", critical, "")
	clk.Advance(100 * time.Millisecond)
	assert.Equal(t, 1, s.Queued(), "CRITICAL may wait the interval")
	require.NoError(t, c.end(t))
	require.NoError(t, d.end(t))
}

// A queue emptied by shedding stays congested: its next waiter is shed
// after the target, not the interval.
func TestCoDelQueueEmptiedByShedding(t *testing.T) {
	clk := clock.NewFake(epoch)
	s := fixed(clk, 1)
	p := paved.New("server", s)
	hold := running(t, p, "hold")
	a := queued(t, s, p, "a", critical, "")
	clk.Advance(100*time.Millisecond + time.Nanosecond)
	requireShed(t, a.wait(t))
	b := queued(t, s, p, "b", critical, "")
	clk.Advance(5 * time.Millisecond)
	assert.Equal(t, 1, s.Queued())
	clk.Advance(time.Nanosecond)
	requireShed(t, b.wait(t))
	require.NoError(t, hold.end(t))
}

// A queue emptied late is congested only while the overload stands: once
// it has stayed empty for an interval, an idle server's next waiter may wait
// the interval again, not the target.
func TestCoDelIdleQueueIsNotCongested(t *testing.T) {
	clk := clock.NewFake(epoch)
	s := fixed(clk, 1)
	p := paved.New("server", s)
	hold := running(t, p, "hold")
	a := queued(t, s, p, "a", critical, "")
	clk.Advance(41 * time.Millisecond)
	require.NoError(t, hold.end(t))
	waitFor(t, "a admitted", a.isRunning) // late: 41 ms > the 5 ms target

	clk.Advance(time.Second) // idle: nobody queued for ten intervals
	b := queued(t, s, p, "b", critical, "")
	clk.Advance(50 * time.Millisecond)
	assert.Equal(t, 1, s.Queued(), "not congested: a 50 ms wait is within the interval")
	require.NoError(t, a.end(t))
	waitFor(t, "b admitted", b.isRunning)
	require.NoError(t, b.end(t))
}

func TestHigherCriticalityIsServedFirst(t *testing.T) {
	clk := clock.NewFake(epoch)
	s := fixed(clk, 1)
	p := paved.New("server", s)
	hold := running(t, p, "hold")
	shed := queued(t, s, p, "sheddable", sheddable, "")
	sp := queued(t, s, p, "sheddable_plus", paved.PrioritySheddablePlus, "")
	crit := queued(t, s, p, "critical", critical, "")
	plus := queued(t, s, p, "critical_plus", paved.PriorityCriticalPlus, "")

	order := []*request{plus, crit, sp, shed}
	prev := hold
	for i, r := range order {
		require.NoError(t, prev.end(t))
		waitFor(t, r.name+" admitted", r.isRunning)
		for _, later := range order[i+1:] {
			assert.False(t, later.isRunning(), "%s runs before %s", later.name, r.name)
		}
		prev = r
	}
	require.NoError(t, prev.end(t))
}

// A full queue sheds the least important: a request more important than the
// worst waiter takes its place; one that is not is shed itself.
func TestFullQueueShedsTheLowestFirst(t *testing.T) {
	log, tel := telemetrytest.New()
	clk := clock.NewFake(epoch)
	s := fixed(clk, 1, loadshed.WithMaxQueue(2))
	p := paved.New("server", s, paved.WithTelemetry(tel))
	hold := running(t, p, "hold")
	s1 := queued(t, s, p, "s1", sheddable, "")
	clk.Advance(time.Millisecond)
	s2 := queued(t, s, p, "s2", sheddable, "")

	c := send(context.Background(), p, "c", critical, "")
	requireShed(t, s1.wait(t)) // the oldest of the lowest
	waitFor(t, "c queued", func() bool { return s.Queued() == 2 })

	err := p.Run(paved.WithCallInfo(context.Background(), paved.CallInfo{Priority: sheddable}), ok)
	requireShed(t, err) // no waiter is less important than a sheddable
	d, _ := paved.RetryAfter(err)
	assert.Equal(t, loadshed.DefaultRetryAfter, d)

	require.NoError(t, hold.end(t))
	waitFor(t, "c admitted", c.isRunning)
	require.NoError(t, c.end(t))
	require.NoError(t, s2.end(t))

	reasons := map[string]int{}
	for _, e := range log.Events(telemetry.EventShed) {
		assert.Equal(t, "loadshed", e.Attrs[telemetry.AttrPolicy])
		assert.Equal(t, "shed", e.Attrs[telemetry.AttrErrorType])
		reasons[e.Attrs["resilience.shed.reason"]]++
	}
	assert.Equal(t, map[string]int{"evicted": 1, "queue_full": 1}, reasons)
}

func TestNoQueueShedsAtOnce(t *testing.T) {
	clk := clock.NewFake(epoch)
	s := fixed(clk, 1, loadshed.WithMaxQueue(0))
	p := paved.New("server", s)
	hold := running(t, p, "hold")
	requireShed(t, p.Run(context.Background(), ok))
	require.NoError(t, hold.end(t))
	require.NoError(t, p.Run(context.Background(), ok))
}

// Within one criticality, a caller key that has used more than its fair
// share of the server waits behind the others, and is shed first.
func TestGreedyKeyIsShedBeforeAPoliteOne(t *testing.T) {
	clk := clock.NewFake(epoch)
	s := fixed(clk, 1, loadshed.WithMaxQueue(2))
	p := paved.New("server", s)
	use := func(key string, d time.Duration) {
		r := send(context.Background(), p, key, critical, key)
		waitFor(t, key+" running", r.isRunning)
		clk.Advance(d)
		require.NoError(t, r.end(t))
	}
	use("greedy", 300*time.Millisecond)
	use("polite", 100*time.Millisecond)

	hold := running(t, p, "hold")
	g := queued(t, s, p, "greedy", critical, "greedy")
	clk.Advance(time.Millisecond)
	pol := queued(t, s, p, "polite", critical, "polite")
	require.NoError(t, hold.end(t))
	waitFor(t, "polite admitted", pol.isRunning)
	assert.False(t, g.isRunning(), "the polite key goes first, though it came later")
	require.NoError(t, pol.end(t))
	waitFor(t, "greedy admitted", g.isRunning)
	require.NoError(t, g.end(t))

	// A full queue: the greedy waiter is evicted for a polite newcomer, and
	// criticality still comes first: a sheddable polite request does not
	// evict a critical greedy one.
	hold = running(t, p, "hold")
	g1 := queued(t, s, p, "g1", critical, "greedy")
	p1 := queued(t, s, p, "p1", critical, "polite")
	p2 := send(context.Background(), p, "p2", critical, "polite")
	requireShed(t, g1.wait(t))
	waitFor(t, "p2 queued", func() bool { return s.Queued() == 2 })
	requireShed(t, p.Run(paved.WithCallInfo(context.Background(), paved.CallInfo{Priority: sheddable, Key: "polite"}), ok))
	require.NoError(t, hold.end(t))
	waitFor(t, "p1 admitted", p1.isRunning)
	require.NoError(t, p1.end(t))
	require.NoError(t, p2.end(t))
}

func TestQueuedRequestLeavesWhenItsContextEnds(t *testing.T) {
	clk := clock.NewFake(epoch)
	s := fixed(clk, 1)
	p := paved.New("server", s)
	hold := running(t, p, "hold")

	ctx, cancel := context.WithCancel(context.Background())
	r := send(ctx, p, "r", critical, "")
	waitFor(t, "r queued", func() bool { return s.Queued() == 1 })
	cancel()
	require.ErrorIs(t, r.wait(t), context.Canceled)
	assert.Zero(t, s.Queued())

	dctx, dcancel := clk.WithTimeout(context.Background(), 20*time.Millisecond)
	defer dcancel()
	r = send(dctx, p, "r2", critical, "")
	waitFor(t, "r2 queued", func() bool { return s.Queued() == 1 })
	clk.Advance(20 * time.Millisecond)
	require.ErrorIs(t, r.wait(t), context.DeadlineExceeded)
	assert.Zero(t, s.Queued())

	require.NoError(t, hold.end(t))
	assert.Zero(t, s.Inflight())
	require.NoError(t, p.Run(context.Background(), ok), "no slot leaked")
}

func TestPanicReleasesTheSlot(t *testing.T) {
	s := fixed(clock.NewFake(epoch), 1)
	p := paved.New("server", s)
	assert.Panics(t, func() {
		_ = p.Run(context.Background(), func(context.Context) error { panic("boom") })
	})
	assert.Zero(t, s.Inflight())
	require.NoError(t, p.Run(context.Background(), ok))
}

// The limit adapts: AIMD cuts it on requests that time out, and the change
// is reported.
func TestLimitAdaptsAndIsReported(t *testing.T) {
	log, tel := telemetrytest.New()
	s := loadshed.MustNew(loadshed.WithClock(clock.NewFake(epoch)), loadshed.WithAlgorithm(loadshed.AIMD))
	p := paved.New("server", s, paved.WithTelemetry(tel))
	assert.Equal(t, loadshed.DefaultInitialLimit, s.Limit())
	_ = p.Run(context.Background(), fails(context.DeadlineExceeded))
	assert.Equal(t, 18, s.Limit(), "20*0.9")
	evs := log.Events(telemetry.EventLimitChanged)
	require.Len(t, evs, 1)
	assert.Equal(t, "18", evs[0].Attrs["resilience.limit"])
	assert.Equal(t, "aimd", evs[0].Attrs["resilience.algorithm"])

	// Canceled requests and other policies' refusals say nothing about the
	// server: no sample.
	_ = p.Run(context.Background(), fails(context.Canceled))
	_ = p.Run(context.Background(), fails(paved.NewRejection(errors.New("x"), 0)))
	assert.Equal(t, 18, s.Limit())
}

func TestShedderOptionsAreValidated(t *testing.T) {
	tests := []struct {
		opt  loadshed.Option
		want string
	}{
		{loadshed.WithMaxQueue(-1), "loadshed: MaxQueue must be 0..100000, got -1"},
		{loadshed.WithCoDel(0, time.Second), "loadshed: CoDel target and interval must be 0 < target < interval <= 10s, got 0s and 1s"},
		{loadshed.WithCoDel(time.Second, time.Second), "loadshed: CoDel target and interval must be 0 < target < interval <= 10s, got 1s and 1s"},
		{loadshed.WithCoDel(time.Second, 11*time.Second), "loadshed: CoDel target and interval must be 0 < target < interval <= 10s, got 1s and 11s"},
		{loadshed.WithRetryAfter(-time.Second), "loadshed: RetryAfter must be 0..1h, got -1s"},
		{loadshed.WithFairShare(time.Millisecond, 10, 0), "loadshed: FairShare window must be 100ms..1h, got 1ms"},
		{loadshed.WithFairShare(time.Second, 0, 0), "loadshed: FairShare maxKeys must be 1..10000000, got 0"},
		{loadshed.WithFairShare(time.Second, 10, -1), "loadshed: FairShare tolerance must be 0..10, got -1"},
		{loadshed.WithAlgorithm(7), "loadshed: Algorithm must be Gradient2, Vegas or AIMD, got Algorithm(7)"},
		{loadshed.WithLimits(0, 10), "loadshed: MinLimit must be 1..1000000, got 0"},
		{loadshed.WithInitialLimit(5000), "loadshed: InitialLimit must be 1..1000 (MinLimit..MaxLimit), got 5000"},
		{loadshed.WithWindow(time.Microsecond, 1), "loadshed: Window must be 0 or 1ms..1m, got 1µs"},
		{loadshed.WithWindow(time.Second, 0), "loadshed: Window min samples must be 1..100000, got 0"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			_, err := loadshed.New(tt.opt)
			require.EqualError(t, err, tt.want)
			assert.Panics(t, func() { loadshed.MustNew(tt.opt) })
		})
	}
	for _, a := range []loadshed.Algorithm{loadshed.Gradient2, loadshed.Vegas, loadshed.AIMD} {
		_, err := loadshed.New(loadshed.WithAlgorithm(a), loadshed.WithWindow(0, 0), nil)
		assert.NoError(t, err, a.String())
	}
}

// Many goroutines on the real clock: the limit is never exceeded, every
// request is served or shed, and nothing is left behind.
func TestShedderConcurrent(t *testing.T) {
	s := loadshed.MustNew(loadshed.WithLimits(4, 4), loadshed.WithInitialLimit(4), loadshed.WithMaxQueue(8))
	p := paved.New("server", s)
	var inflight, peak, served, shed atomic.Int64
	var wg sync.WaitGroup
	for g := range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			prios := []paved.Priority{paved.PriorityCriticalPlus, critical, paved.PrioritySheddablePlus, sheddable}
			for i := range 50 {
				ctx := paved.WithCallInfo(context.Background(), paved.CallInfo{Priority: prios[(g+i)%4], Key: string(rune('a' + g%5))})
				err := p.Run(ctx, func(context.Context) error {
					n := inflight.Add(1)
					for {
						m := peak.Load()
						if n <= m || peak.CompareAndSwap(m, n) {
							break
						}
					}
					time.Sleep(50 * time.Microsecond)
					inflight.Add(-1)
					return nil
				})
				switch {
				case err == nil:
					served.Add(1)
				case errors.Is(err, loadshed.ErrShed):
					shed.Add(1)
				default:
					t.Errorf("unexpected %v", err)
				}
			}
		}()
	}
	wg.Wait()
	t.Logf("served %d, shed %d, peak in flight %d", served.Load(), shed.Load(), peak.Load())
	assert.LessOrEqual(t, peak.Load(), int64(4))
	assert.Equal(t, int64(64*50), served.Load()+shed.Load())
	assert.Zero(t, s.Inflight())
	assert.Zero(t, s.Queued())
}

// Sheddable work leaves headroom: with 7 of 10 slots taken, a SHEDDABLE
// request (70% of the limit) waits while a CRITICAL one (90%) is admitted at
// once, and a CRITICAL_PLUS one may take the last slot.
func TestLowerCriticalityLeavesHeadroom(t *testing.T) {
	clk := clock.NewFake(epoch)
	s := fixed(clk, 10)
	p := paved.New("server", s)
	var held []*request
	for i := range 7 {
		held = append(held, running(t, p, fmt.Sprint("h", i)))
	}
	sh := queued(t, s, p, "sheddable", sheddable, "")
	sp := send(context.Background(), p, "sheddable_plus", paved.PrioritySheddablePlus, "")
	waitFor(t, "sheddable_plus admitted (80%)", sp.isRunning)
	c := send(context.Background(), p, "critical", critical, "")
	waitFor(t, "critical admitted (90%)", c.isRunning)
	c2 := queued(t, s, p, "critical2", critical, "")
	cp := send(context.Background(), p, "critical_plus", paved.PriorityCriticalPlus, "")
	waitFor(t, "critical_plus admitted (100%)", cp.isRunning)
	assert.Equal(t, 10, s.Inflight())

	require.NoError(t, cp.end(t)) // 9 in flight: critical2 does not fit 90% yet
	assert.False(t, c2.isRunning())
	require.NoError(t, c.end(t)) // 8: it does; the sheddable does not
	waitFor(t, "critical2 admitted", c2.isRunning)
	assert.False(t, sh.isRunning())
	for _, r := range []*request{c2, sp, held[0], held[1]} {
		require.NoError(t, r.end(t))
	}
	held = held[2:]
	waitFor(t, "sheddable admitted once fewer than 7 run", sh.isRunning)
	require.NoError(t, sh.end(t))
	for _, r := range held {
		require.NoError(t, r.end(t))
	}
}

// At a small limit, where 5% of it is less than a slot, a caller over its
// fair share still gets a slot fewer than a caller within it: with 9 of 14
// in flight a polite SHEDDABLE request is admitted (70% of 14 is 9.8), a
// greedy one waits (65% is 9.1, but it is held a slot below the polite).
func TestGreedyKeyGetsASlotLessAtASmallLimit(t *testing.T) {
	clk := clock.NewFake(epoch)
	s := fixed(clk, 14)
	p := paved.New("server", s)
	use := func(key string, d time.Duration) {
		r := send(context.Background(), p, key, sheddable, key)
		waitFor(t, key+" running", r.isRunning)
		clk.Advance(d)
		require.NoError(t, r.end(t))
	}
	use("greedy", 300*time.Millisecond)
	use("polite", 100*time.Millisecond)
	var held []*request
	for i := range 9 {
		held = append(held, running(t, p, fmt.Sprint("h", i)))
	}
	g := queued(t, s, p, "greedy", sheddable, "greedy")
	pol := send(context.Background(), p, "polite", sheddable, "polite")
	waitFor(t, "polite admitted", pol.isRunning)
	assert.False(t, g.isRunning())
	require.NoError(t, pol.end(t))
	require.NoError(t, held[0].end(t)) // 8 in flight: the greedy one fits
	waitFor(t, "greedy admitted", g.isRunning)
	for _, r := range append(held[1:], g) {
		require.NoError(t, r.end(t))
	}
}
