package chaos_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/chaos"
	"github.com/paved-go/paved/clock"
	"github.com/paved-go/paved/retry"
	"github.com/paved-go/paved/telemetry"
	"github.com/paved-go/paved/telemetry/telemetrytest"
)

var errDown = errors.New("dependency down")

// picks runs n calls through c one after another and returns which were
// disturbed.
func picks(c *chaos.Chaos, n int) []bool {
	out := make([]bool, n)
	for i := range out {
		_, out[i] = c.Pick(context.Background())
	}
	return out
}

func TestSeedReproducesPicks(t *testing.T) {
	a := chaos.MustNew(chaos.Error(errDown), chaos.WithRate(0.3), chaos.WithSeed(42))
	b := chaos.MustNew(chaos.Error(errDown), chaos.WithRate(0.3), chaos.WithSeed(42))
	other := chaos.MustNew(chaos.Error(errDown), chaos.WithRate(0.3), chaos.WithSeed(43))
	pa, pb, po := picks(a, 1000), picks(b, 1000), picks(other, 1000)
	assert.Equal(t, pa, pb, "the same seed picks the same calls")
	assert.NotEqual(t, pa, po, "another seed picks other calls")
}

// The n-th call is picked by its number, not by timing: many goroutines
// give the same count of injections as one, and the same latencies drawn.
func TestSeedReproducesUnderConcurrency(t *testing.T) {
	run := func() (uint64, time.Duration) {
		c := chaos.MustNew(chaos.LatencyLogNormal(time.Millisecond, 10*time.Millisecond), chaos.WithRate(0.25), chaos.WithSeed(7))
		var mu sync.Mutex
		var total time.Duration
		var wg sync.WaitGroup
		for range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range 250 {
					if in, ok := c.Pick(context.Background()); ok {
						mu.Lock()
						total += in.Delay
						mu.Unlock()
					}
				}
			}()
		}
		wg.Wait()
		return c.Injected(), total
	}
	n1, d1 := run()
	n2, d2 := run()
	assert.Equal(t, n1, n2)
	assert.Equal(t, d1, d2, "the same delays are drawn, whatever goroutine makes the call")
}

func TestRate(t *testing.T) {
	for _, rate := range []float64{0, 0.05, 0.3, 0.5, 1} {
		c := chaos.MustNew(chaos.Error(errDown), chaos.WithRate(rate), chaos.WithSeed(1))
		const n = 20000
		picks(c, n)
		got := float64(c.Injected()) / n
		// Binomial: 4 standard deviations at most 0.0142 for n = 20000.
		assert.InDelta(t, rate, got, 0.015, "rate %v", rate)
		assert.Equal(t, uint64(n), c.Calls())
	}
	c := chaos.MustNew(chaos.Error(errDown), chaos.WithRate(1))
	assert.Equal(t, []bool{true, true, true}, picks(c, 3), "rate 1 picks every call")
	c = chaos.MustNew(chaos.Error(errDown), chaos.WithRate(0))
	assert.Equal(t, []bool{false, false, false}, picks(c, 3), "rate 0 picks none")
}

func TestDefaultRate(t *testing.T) {
	c := chaos.MustNew(chaos.Error(errDown), chaos.WithSeed(3))
	assert.Equal(t, chaos.DefaultRate, c.Rate())
	picks(c, 100000)
	assert.InDelta(t, 100, float64(c.Injected()), 45, "about one call in a thousand")
}

func TestSetRate(t *testing.T) {
	c := chaos.MustNew(chaos.Error(errDown), chaos.WithRate(0), chaos.WithSeed(1))
	picks(c, 100)
	assert.Zero(t, c.Injected())
	require.NoError(t, c.SetRate(1))
	assert.Equal(t, 1.0, c.Rate())
	picks(c, 100)
	assert.Equal(t, uint64(100), c.Injected())
	require.EqualError(t, c.SetRate(1.5), "chaos: Rate must be in [0, 1], got 1.5")
	assert.Equal(t, 1.0, c.Rate(), "a bad rate changes nothing")
}

func TestSwitch(t *testing.T) {
	c := chaos.MustNew(chaos.Error(errDown), chaos.WithRate(1), chaos.WithEnabled(false))
	assert.False(t, c.Enabled())
	picks(c, 10)
	assert.Zero(t, c.Injected(), "off from the start")
	assert.Zero(t, c.Calls(), "a switched-off Chaos does not count calls")
	c.Enable()
	picks(c, 10)
	assert.Equal(t, uint64(10), c.Injected())
	c.Disable()
	picks(c, 10)
	assert.Equal(t, uint64(10), c.Injected(), "off again")
	c.SetEnabled(true)
	assert.True(t, c.Enabled())
}

// The switch changes while calls run, from many goroutines (for the race
// detector); every call ends, and injections happen only while on.
func TestSwitchConcurrent(t *testing.T) {
	c := chaos.MustNew(chaos.Error(errDown), chaos.WithRate(1))
	p := paved.New("switch", c)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
				c.SetEnabled(i%2 == 0)
				_ = c.SetRate(float64(i%3) / 2)
			}
		}
	}()
	var calls sync.WaitGroup
	for range 8 {
		calls.Add(1)
		go func() {
			defer calls.Done()
			for range 500 {
				err := p.Run(context.Background(), func(context.Context) error { return nil })
				if err != nil {
					assert.ErrorIs(t, err, chaos.ErrInjected)
				}
			}
		}()
	}
	calls.Wait()
	close(stop)
	wg.Wait()
	c.Disable()
	before := c.Injected()
	require.NoError(t, p.Run(context.Background(), func(context.Context) error { return nil }))
	assert.Equal(t, before, c.Injected())
}

func TestFilter(t *testing.T) {
	type key struct{}
	c := chaos.MustNew(chaos.Error(errDown), chaos.WithRate(1), chaos.WithFilter(func(ctx context.Context) bool {
		return ctx.Value(key{}) != nil
	}))
	_, ok := c.Pick(context.Background())
	assert.False(t, ok, "filtered out")
	_, ok = c.Pick(context.WithValue(context.Background(), key{}, 1))
	assert.True(t, ok)
	assert.Equal(t, uint64(1), c.Calls(), "filtered calls are not counted")
}

func TestErrorFault(t *testing.T) {
	c := chaos.MustNew(chaos.Error(errDown), chaos.WithRate(1))
	ran := false
	err := paved.New("err", c).Run(context.Background(), func(context.Context) error { ran = true; return nil })
	assert.False(t, ran, "an injected error never reaches the dependency")
	require.ErrorIs(t, err, chaos.ErrInjected)
	require.ErrorIs(t, err, errDown)
	var ie *chaos.InjectedError
	require.ErrorAs(t, err, &ie)
	assert.Equal(t, errDown, ie.Err)
	assert.Equal(t, "dependency down", err.Error())
}

func TestErrorOutcomeClassifies(t *testing.T) {
	for _, o := range []paved.Outcome{paved.OutcomeTransient, paved.OutcomeOverload, paved.OutcomeFault, paved.OutcomePermanent} {
		t.Run(o.String(), func(t *testing.T) {
			c := chaos.MustNew(chaos.ErrorOutcome(o), chaos.WithRate(1))
			var got paved.Outcome
			p := paved.New("outcome", paved.MiddlewareFunc(func(next paved.Op) paved.Op {
				return func(ctx context.Context) error {
					err := next(ctx)
					got = paved.CallFrom(ctx).Classify(err)
					return err
				}
			}), c)
			err := p.Run(context.Background(), func(context.Context) error { return nil })
			require.ErrorIs(t, err, chaos.ErrInjected)
			assert.Equal(t, o, got)
			assert.Equal(t, "chaos_injected", telemetry.ErrorType(err), "a dashboard tells a rehearsal apart")
		})
	}
}

// Retry sees an injected Transient error as it would a real one: it tries
// again, and the injections stop when the Chaos is off.
func TestRetryRetriesInjected(t *testing.T) {
	c := chaos.MustNew(chaos.ErrorOutcome(paved.OutcomeTransient), chaos.WithRate(1), chaos.WithSeed(1))
	p := paved.New("retried", retry.MustNew(retry.WithMaxAttempts(3), retry.WithBackoff(time.Microsecond, time.Microsecond), retry.WithoutBudget()), c)
	calls := 0
	err := p.Run(context.Background(), func(context.Context) error { calls++; return nil })
	require.ErrorIs(t, err, chaos.ErrInjected)
	assert.Equal(t, uint64(3), c.Injected(), "every attempt was disturbed")
	assert.Zero(t, calls)
	c.Disable()
	require.NoError(t, p.Run(context.Background(), func(context.Context) error { calls++; return nil }))
	assert.Equal(t, 1, calls)
}

func TestLatencyOnFakeClock(t *testing.T) {
	clk := clock.NewFake(time.Unix(0, 0))
	c := chaos.MustNew(chaos.Latency(time.Second), chaos.WithRate(1), chaos.WithClock(clk))
	p := paved.New("slow", c)
	done := make(chan error, 1)
	ran := make(chan struct{}, 1)
	go func() {
		done <- p.Run(context.Background(), func(context.Context) error { ran <- struct{}{}; return nil })
	}()
	clk.BlockUntil(1)
	select {
	case <-ran:
		t.Fatal("the call ran before its delay")
	default:
	}
	clk.Advance(999 * time.Millisecond)
	select {
	case <-ran:
		t.Fatal("the call ran before its delay")
	default:
	}
	clk.Advance(time.Millisecond)
	<-ran
	require.NoError(t, <-done)
}

func TestLatencyCanceled(t *testing.T) {
	clk := clock.NewFake(time.Unix(0, 0))
	c := chaos.MustNew(chaos.Latency(time.Hour), chaos.WithRate(1), chaos.WithClock(clk))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	ran := false
	go func() {
		done <- paved.New("slow", c).Run(ctx, func(context.Context) error { ran = true; return nil })
	}()
	clk.BlockUntil(1)
	cancel()
	require.ErrorIs(t, <-done, context.Canceled)
	assert.False(t, ran)
	assert.Zero(t, clk.Pending(), "the delay's timer is stopped")
}

func TestHang(t *testing.T) {
	c := chaos.MustNew(chaos.Hang(), chaos.WithRate(1))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	ran := false
	go func() {
		done <- paved.New("hung", c).Run(ctx, func(context.Context) error { ran = true; return nil })
	}()
	select {
	case err := <-done:
		t.Fatalf("a hang returned before its context ended: %v", err)
	case <-time.After(20 * time.Millisecond):
	}
	cancel()
	require.ErrorIs(t, <-done, context.Canceled)
	assert.False(t, ran, "a hung call never reaches the dependency")
}

// Under a deadline a hang ends as a timeout, as a real hung dependency's call does.
func TestHangTimesOut(t *testing.T) {
	c := chaos.MustNew(chaos.Hang(), chaos.WithRate(1))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	err := paved.New("hung", c).Run(ctx, func(context.Context) error { return nil })
	require.ErrorIs(t, err, context.DeadlineExceeded)
	assert.True(t, paved.IsTimeout(err))
}

func TestLogNormal(t *testing.T) {
	const median, p99 = 10 * time.Millisecond, 200 * time.Millisecond
	c := chaos.MustNew(chaos.LatencyLogNormal(median, p99), chaos.WithRate(1), chaos.WithSeed(9))
	const n = 20000
	delays := make([]time.Duration, 0, n)
	for range n {
		in, ok := c.Pick(context.Background())
		require.True(t, ok)
		delays = append(delays, in.Delay)
	}
	slicesSort(delays)
	assert.InEpsilon(t, float64(median), float64(delays[n/2]), 0.05, "median")
	assert.InEpsilon(t, float64(p99), float64(delays[n*99/100]), 0.15, "p99")
}

func TestLatencyFrom(t *testing.T) {
	c := chaos.MustNew(chaos.LatencyFrom(func(u float64) time.Duration {
		if u < 0.5 {
			return -time.Second // counts as none
		}
		return time.Duration(u * float64(time.Second))
	}), chaos.WithRate(1), chaos.WithSeed(2))
	for range 100 {
		in, _ := c.Pick(context.Background())
		assert.GreaterOrEqual(t, in.Delay, time.Duration(0))
		assert.Less(t, in.Delay, time.Second)
	}
}

func TestEvents(t *testing.T) {
	log, tel := telemetrytest.New()
	c := chaos.MustNew(chaos.Latency(time.Microsecond), chaos.WithRate(0.5), chaos.WithSeed(5), chaos.WithName("rehearsal"))
	p := paved.New("orders", paved.WithTelemetry(tel), c)
	for range 200 {
		require.NoError(t, p.Run(context.Background(), func(context.Context) error { return nil }))
	}
	evs := log.Events(telemetry.EventChaosInjected)
	require.Len(t, evs, int(c.Injected()), "one event per injection")
	assert.Greater(t, len(evs), 60)
	e := evs[0]
	assert.Equal(t, "chaos", e.Attrs[telemetry.AttrPolicy])
	assert.Equal(t, "latency", e.Attrs[telemetry.AttrChaosFault])
	assert.Equal(t, "rehearsal", e.Attrs[telemetry.AttrChaosName])
	assert.Equal(t, "orders", e.Attrs[telemetry.AttrPipeline], "inside a call, the event is the pipeline's")
	assert.Equal(t, "1", e.Attrs[telemetry.AttrAttempt])
}

// Outside a pipeline's call, events go to WithTelemetry's telemetry under
// the Chaos's name.
func TestEventsOutsideCall(t *testing.T) {
	log, tel := telemetrytest.New()
	c := chaos.MustNew(chaos.Error(errDown), chaos.WithRate(1), chaos.WithTelemetry(tel))
	_, ok := c.Pick(context.Background())
	require.True(t, ok)
	evs := log.Events(telemetry.EventChaosInjected)
	require.Len(t, evs, 1)
	assert.Equal(t, "chaos", evs[0].Attrs[telemetry.AttrPipeline])
	assert.Equal(t, "error", evs[0].Attrs[telemetry.AttrChaosFault])
	assert.Equal(t, "*errors.errorString", evs[0].Attrs[telemetry.AttrErrorType])
}

func TestInvalid(t *testing.T) {
	tests := []struct {
		name  string
		fault chaos.Fault
		opts  []chaos.Option
		want  string
	}{
		{"nil fault", nil, nil, "chaos: Fault must not be nil"},
		{"nil error", chaos.Error(nil), nil, "chaos: Error needs a non-nil error"},
		{"success outcome", chaos.ErrorOutcome(paved.OutcomeSuccess), nil,
			"chaos: ErrorOutcome must be a failure outcome (transient, overload, fault, permanent, canceled, rejected), got success"},
		{"unknown outcome", chaos.ErrorOutcome(paved.Outcome(99)), nil,
			"chaos: ErrorOutcome must be a failure outcome (transient, overload, fault, permanent, canceled, rejected), got Outcome(99)"},
		{"zero latency", chaos.Latency(0), nil, "chaos: Latency must be > 0, got 0s"},
		{"negative latency", chaos.Latency(-time.Second), nil, "chaos: Latency must be > 0, got -1s"},
		{"nil distribution", chaos.LatencyFrom(nil), nil, "chaos: LatencyFrom needs a non-nil Distribution"},
		{"lognormal p99 below median", chaos.LatencyLogNormal(time.Second, time.Millisecond), nil,
			"chaos: LatencyLogNormal needs 0 < median <= p99, got median 1s, p99 1ms"},
		{"lognormal zero median", chaos.LatencyLogNormal(0, time.Millisecond), nil,
			"chaos: LatencyLogNormal needs 0 < median <= p99, got median 0s, p99 1ms"},
		{"rate above 1", chaos.Hang(), []chaos.Option{chaos.WithRate(1.01)}, "chaos: Rate must be in [0, 1], got 1.01"},
		{"negative rate", chaos.Hang(), []chaos.Option{chaos.WithRate(-0.1)}, "chaos: Rate must be in [0, 1], got -0.1"},
		{"NaN rate", chaos.Hang(), []chaos.Option{chaos.WithRate(nan())}, "chaos: Rate must be in [0, 1], got NaN"},
		{"empty name", chaos.Hang(), []chaos.Option{chaos.WithName("")}, "chaos: Name must not be empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := chaos.New(tt.fault, tt.opts...)
			require.EqualError(t, err, tt.want)
			assert.Panics(t, func() { chaos.MustNew(tt.fault, tt.opts...) })
		})
	}
	c, err := chaos.New(chaos.Hang(), nil) // a nil option is skipped
	require.NoError(t, err)
	assert.Equal(t, "hang", c.Fault().Name())
}

type foreignFault struct{}

func (foreignFault) Name() string { return "foreign" }

func TestWrapRefusesTransportFaults(t *testing.T) {
	c := chaos.MustNew(foreignFault{}, chaos.WithRate(1))
	assert.PanicsWithValue(t, `chaos: fault "foreign" is applied by its transport package's wrappers, not by a paved.Middleware`, func() {
		paved.New("p", c)
	})
	in, ok := c.Pick(context.Background())
	require.True(t, ok, "Pick serves transport faults")
	assert.Equal(t, foreignFault{}, in.Fault)
	assert.NoError(t, in.Err())
	assert.NoError(t, in.Wait(context.Background()))
}
