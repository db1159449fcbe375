package bulkhead_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/bulkhead"
	"github.com/paved-go/paved/clock"
	"github.com/paved-go/paved/telemetry"
	"github.com/paved-go/paved/telemetry/telemetrytest"
)

var overloaded = paved.Mark(errors.New("429"), paved.OutcomeOverload)

// concurrent runs n calls through run, admitted one after the other (so the
// k-th was admitted with k in flight), each taking rtt on clk and returning
// err; they end in the order they were admitted.
func concurrent(t *testing.T, clk *clock.Fake, run func(context.Context, paved.Op) error, n int, rtt time.Duration, err error) {
	t.Helper()
	releases := make([]chan struct{}, n)
	dones := make([]chan error, n)
	for k := range n {
		admitted := make(chan struct{})
		releases[k], dones[k] = make(chan struct{}), make(chan error, 1)
		go func() {
			dones[k] <- run(context.Background(), func(context.Context) error {
				close(admitted)
				<-releases[k]
				return err
			})
		}()
		select {
		case <-admitted:
		case e := <-dones[k]:
			t.Fatalf("call %d not admitted: %v", k+1, e)
		}
	}
	clk.Advance(rtt)
	for k := range n {
		close(releases[k])
		require.NoError(t, ignoreExpected(<-dones[k], err))
	}
}

func ignoreExpected(got, want error) error {
	if errors.Is(got, want) || got == want {
		return nil
	}
	return got
}

// AIMD through the bulkhead: +1 per call with at least half the limit in
// flight, *0.9 on an overload answer or a timeout; a canceled call, a
// refused one or a fast failure leaves it alone.
func TestAdaptiveAIMD(t *testing.T) {
	clk := newFake()
	b := bulkhead.MustNewAdaptive(bulkhead.WithAlgorithm(bulkhead.AIMD), bulkhead.WithLimits(2, 50), bulkhead.WithInitialLimit(10), bulkhead.WithClock(clk))
	direct := func(ctx context.Context, op paved.Op) error { return b.Wrap(op)(ctx) }

	concurrent(t, clk, direct, 10, 10*time.Millisecond, nil)
	// Calls admitted 1st..10th end in that order: the k-th raises the limit
	// L when 2k >= L: k=5 (10 >= 10), then k=6..10 as L grows to 16.
	assert.Equal(t, 16, b.Limit())

	for _, err := range []error{context.Canceled, errors.New("connection refused"), paved.NewRejection(bulkhead.ErrFull, 0)} {
		require.Error(t, b.Wrap(func(context.Context) error { return err })(context.Background()))
	}
	assert.Equal(t, 16, b.Limit(), "canceled, fast failures and refusals are no samples")

	require.ErrorIs(t, b.Wrap(func(context.Context) error { return overloaded })(context.Background()), overloaded)
	assert.Equal(t, 14, b.Limit(), "floor(16*0.9)")
	require.ErrorIs(t, b.Wrap(func(context.Context) error { return context.DeadlineExceeded })(context.Background()), context.DeadlineExceeded)
	assert.Equal(t, 12, b.Limit(), "a timeout is a drop: floor(14*0.9)")
	assert.Equal(t, 0, b.Inflight())
}

// The call's classifier decides what a result means to the limit.
func TestAdaptiveUsesTheCallsClassifier(t *testing.T) {
	b := bulkhead.MustNewAdaptive(bulkhead.WithAlgorithm(bulkhead.AIMD), bulkhead.WithClock(newFake()))
	busy := errors.New("busy")
	p := paved.New("dep", b, paved.WithClassifier(paved.ClassifierFunc(func(err error) paved.Outcome {
		if err == busy {
			return paved.OutcomeOverload
		}
		return paved.DefaultClassifier.Classify(err)
	})))
	require.ErrorIs(t, p.Run(context.Background(), func(context.Context) error { return busy }), busy)
	assert.Equal(t, 18, b.Limit())
}

// Gradient2 by default: flat latency grows the limit by 0.8 a window, a
// latency rise past 1.5x shrinks it, one update per 1s window of >= 10
// calls, and no growth while under half the limit is in flight.
func TestAdaptiveGradient2(t *testing.T) {
	clk := newFake()
	b := bulkhead.MustNewAdaptive(bulkhead.WithClock(clk), bulkhead.WithInitialLimit(20))
	direct := func(ctx context.Context, op paved.Op) error { return b.Wrap(op)(ctx) }
	// 30 windows of 1s, each 20 rounds of as many 50ms calls as the limit.
	for range 30 * 20 {
		concurrent(t, clk, direct, b.Limit(), 50*time.Millisecond, nil)
	}
	grown := b.Limit()
	// A window closes at the first call ending after it: the first (one
	// call) is discarded, the rest last 1.05s, so 30s hold 28 updates of
	// +0.8: floor(20 + 28*0.8) = 42.
	assert.Equal(t, 42, grown, "flat latency: +0.8 a window")
	for range 10 * 10 {
		concurrent(t, clk, direct, b.Limit(), 100*time.Millisecond, nil)
	}
	t.Logf("gradient2: %d after flat latency, %d after latency doubled", grown, b.Limit())
	assert.Less(t, b.Limit(), grown-5)

	// App-limited: 10 calls at a time never let a limit of 20+ grow.
	before := b.Limit()
	for range 5 * 20 {
		concurrent(t, clk, direct, 10, 50*time.Millisecond, nil)
	}
	assert.LessOrEqual(t, b.Limit(), before)
}

func TestAdaptiveTelemetry(t *testing.T) {
	reader := sdkmetric.NewManualReader()
	log, logTel := telemetrytest.New()
	tel := telemetry.New(telemetry.WithMeterProvider(sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))),
		telemetry.WithLogger(logTel.Logger()))
	clk := newFake()
	b := bulkhead.MustNewAdaptive(bulkhead.WithAlgorithm(bulkhead.AIMD), bulkhead.WithName("db"), bulkhead.WithClock(clk),
		bulkhead.WithLimits(1, 10), bulkhead.WithInitialLimit(2))
	p := paved.New("orders", b, paved.WithTelemetry(tel))

	concurrent(t, clk, p.Run, 2, time.Millisecond, nil)
	evs := log.Events(telemetry.EventLimitChanged)
	require.Len(t, evs, 2, "2 -> 3 -> 4")
	assert.Equal(t, "db", evs[1].Attrs[telemetry.AttrBulkhead])
	assert.Equal(t, "4", evs[1].Attrs[telemetry.AttrLimit])
	assert.Equal(t, "aimd", evs[1].Attrs[telemetry.AttrAlgorithm])
	assert.Equal(t, "orders", evs[1].Attrs[telemetry.AttrPipeline])

	lim, in := gauges(t, reader)
	assert.EqualValues(t, 4, lim)
	assert.EqualValues(t, 0, in)

	// Refusals are events; the gauges are read at collection, so in flight is current.
	h := newHolder()
	errs := h.start(t, func(ctx context.Context) error { return p.Run(ctx, h.op) }, 4)
	require.ErrorIs(t, p.Run(context.Background(), h.op), bulkhead.ErrFull)
	rej := log.Events(telemetry.EventBulkheadRejected)
	require.Len(t, rej, 1)
	assert.Equal(t, "bulkhead_full", rej[0].Attrs[telemetry.AttrErrorType])
	lim, in = gauges(t, reader)
	assert.EqualValues(t, 4, lim)
	assert.EqualValues(t, 4, in)
	close(h.release)
	for range 4 {
		require.NoError(t, <-errs)
	}
}

func gauges(t *testing.T, r *sdkmetric.ManualReader) (limit, inflight int64) {
	t.Helper()
	var rm metricdata.ResourceMetrics
	require.NoError(t, r.Collect(context.Background(), &rm))
	found := 0
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			g, ok := m.Data.(metricdata.Gauge[int64])
			if !ok || len(g.DataPoints) != 1 {
				continue
			}
			pol, _ := g.DataPoints[0].Attributes.Value(telemetry.AttrPolicy)
			require.Equal(t, "bulkhead", pol.AsString())
			switch m.Name {
			case telemetry.MetricConcurrencyLimit:
				limit, found = g.DataPoints[0].Value, found+1
			case telemetry.MetricConcurrencyInflight:
				inflight, found = g.DataPoints[0].Value, found+1
			}
		}
	}
	require.Equal(t, 2, found, fmt.Sprintf("both gauges recorded: %+v", rm))
	return limit, inflight
}

// Vegas through the bulkhead, per call: a flat latency grows the limit by
// beta (6 below 100); a long queue shrinks it.
func TestAdaptiveVegas(t *testing.T) {
	clk := newFake()
	b := bulkhead.MustNewAdaptive(bulkhead.WithAlgorithm(bulkhead.Vegas), bulkhead.WithInitialLimit(10), bulkhead.WithClock(clk))
	direct := func(ctx context.Context, op paved.Op) error { return b.Wrap(op)(ctx) }
	concurrent(t, clk, direct, 10, 10*time.Millisecond, nil)
	// Call 1 sets the no-load RTT; every later call finds no queue, and
	// the k-th grows the limit L by 6 when 2k >= L: k=5 (L 10 -> 16), k=8
	// (16 -> 22); k=9 and 10 are under half of 22.
	assert.Equal(t, 22, b.Limit())
	// 22 calls at 5x the no-load RTT: queue ceil(22*0.8) = 18 > 6: -1 each
	// from the 11th (2k >= L) on.
	concurrent(t, clk, direct, 22, 50*time.Millisecond, nil)
	assert.Less(t, b.Limit(), 22)
	assert.Equal(t, 0, b.Inflight())
}

func TestAdaptiveCustomWindow(t *testing.T) {
	clk := newFake()
	b := bulkhead.MustNewAdaptive(bulkhead.WithWindow(100*time.Millisecond, 2), bulkhead.WithInitialLimit(4), bulkhead.WithClock(clk))
	direct := func(ctx context.Context, op paved.Op) error { return b.Wrap(op)(ctx) }
	for range 30 { // 30 windows of 100ms (plus the discarded first), 4 calls of 110ms each
		concurrent(t, clk, direct, b.Limit(), 110*time.Millisecond, nil)
	}
	assert.Greater(t, b.Limit(), 4, "Gradient2 grew, window by window")
}

// A full bulkhead's refusal is never retried: its outcome is Rejected.
func TestFullNotRetried(t *testing.T) {
	b := bulkhead.MustNew(1)
	h := newHolder()
	errs := h.start(t, b.Wrap(h.op), 1)
	var attempts int
	retryLike := paved.MiddlewareFunc(func(next paved.Op) paved.Op {
		return func(ctx context.Context) error {
			for {
				attempts++
				err := next(ctx)
				if err == nil || attempts == 3 || paved.CallFrom(ctx).Classify(err) != paved.OutcomeTransient {
					return err
				}
			}
		}
	})
	p := paved.New("dep", retryLike, b)
	require.ErrorIs(t, p.Run(context.Background(), h.op), bulkhead.ErrFull)
	assert.Equal(t, 1, attempts)
	close(h.release)
	require.NoError(t, <-errs)
}
