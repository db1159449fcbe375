package loadshed_test

import (
	"context"
	"errors"
	"fmt"
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

var epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

var (
	errOverload  = paved.Mark(errors.New("429"), paved.OutcomeOverload)
	errTransient = paved.Transient(errors.New("503"))
	errPermanent = paved.Permanent(errors.New("404"))
	errFault     = paved.Mark(errors.New("500 internal"), paved.OutcomeFault)
)

func ok(context.Context) error { return nil }

func fails(err error) paved.Op { return func(context.Context) error { return err } }

// formula is the SRE book's, uncapped.
func formula(k float64, req, acc int64) float64 {
	return max(0, (float64(req)-k*float64(acc))/float64(req+1))
}

func TestThrottleProbabilityIsTheFormula(t *testing.T) {
	clk := clock.NewFake(epoch)
	th := loadshed.MustNewThrottle(loadshed.WithThrottleClock(clk), loadshed.WithMaxRejectProbability(1), loadshed.WithThrottleRandSeed(1), loadshed.WithMinRate(0))
	p := paved.New("dep", th)
	ctx := context.Background()

	assert.Zero(t, th.Probability(), "no history: no refusals")
	require.NoError(t, p.Run(ctx, ok))
	req, acc := th.Counts()
	assert.Equal(t, [2]int64{1, 1}, [2]int64{req, acc})

	// One overload after one success: (2 - 2*1)/3 = 0.
	require.Error(t, p.Run(ctx, fails(errOverload)))
	assert.Zero(t, th.Probability())
	// A second: (3 - 2)/4 = 0.25.
	require.Error(t, p.Run(ctx, fails(errOverload)))
	assert.InDelta(t, 0.25, th.Probability(), 1e-12)

	// From here on every step matches the formula over Counts, refusals
	// included as requests.
	refused := 0
	for range 200 {
		err := p.Run(ctx, fails(errOverload))
		if errors.Is(err, loadshed.ErrThrottled) {
			refused++
		}
		req, acc := th.Counts()
		require.InDelta(t, formula(2, req, acc), th.Probability(), 1e-12)
	}
	req, acc = th.Counts()
	assert.Equal(t, int64(203), req, "local refusals count as requests")
	assert.Equal(t, int64(1), acc)
	assert.Greater(t, refused, 150, "with no accepts the probability nears 1")

	// The window forgets: after two minutes nothing is left.
	clk.Advance(2 * time.Minute)
	req, acc = th.Counts()
	assert.Zero(t, req+acc)
	assert.Zero(t, th.Probability())
}

// A quiet client is never throttled: below MinRate (1/s over the window, 120
// requests in two minutes) the formula is not applied.
func TestThrottleMinRate(t *testing.T) {
	clk := clock.NewFake(epoch)
	th := loadshed.MustNewThrottle(loadshed.WithThrottleClock(clk), loadshed.WithThrottleRandSeed(1))
	p := paved.New("dep", th)
	for range 119 {
		require.ErrorIs(t, p.Run(context.Background(), fails(errOverload)), errOverload, "no local refusal below 120 requests")
	}
	assert.Zero(t, th.Probability())
	_ = p.Run(context.Background(), fails(errOverload))
	assert.InDelta(t, loadshed.DefaultMaxRejectProbability, th.Probability(), 1e-9, "at 120 the formula applies: (120-0)/121, capped")

	th = loadshed.MustNewThrottle(loadshed.WithThrottleClock(clk), loadshed.WithMinRate(0.5), loadshed.WithThrottleWindow(10*time.Second))
	p = paved.New("dep", th)
	for range 4 {
		_ = p.Run(context.Background(), fails(errOverload))
	}
	assert.Zero(t, th.Probability(), "0.5/s over 10s: 5 requests")
	_ = p.Run(context.Background(), fails(errOverload))
	assert.InDelta(t, 5.0/6, th.Probability(), 1e-9)
}

func TestThrottleWindowAgesBucketByBucket(t *testing.T) {
	clk := clock.NewFake(epoch)
	th := loadshed.MustNewThrottle(loadshed.WithThrottleClock(clk), loadshed.WithThrottleWindow(60*time.Second))
	p := paved.New("dep", th)
	_ = p.Run(context.Background(), ok) // in bucket 0 (1s buckets)
	clk.Advance(30 * time.Second)
	_ = p.Run(context.Background(), ok) // in bucket 30
	req, _ := th.Counts()
	assert.Equal(t, int64(2), req)
	clk.Advance(30 * time.Second) // bucket 60 replaces bucket 0
	req, _ = th.Counts()
	assert.Equal(t, int64(1), req)
	clk.Advance(29 * time.Second)
	req, _ = th.Counts()
	assert.Equal(t, int64(1), req)
	clk.Advance(time.Second)
	req, _ = th.Counts()
	assert.Zero(t, req)
}

func TestThrottleCountsByOutcome(t *testing.T) {
	tests := []struct {
		name     string
		err      error
		req, acc int64
	}{
		{"success", nil, 1, 1},
		{"permanent was served", errPermanent, 1, 1},
		{"fault was served", errFault, 1, 1},
		{"overload", errOverload, 1, 0},
		{"transient", errTransient, 1, 0},
		{"canceled is not counted", context.Canceled, 0, 0},
		{"another policy's refusal is not counted", paved.NewRejection(errors.New("breaker: open"), 0), 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			th := loadshed.MustNewThrottle(loadshed.WithThrottleClock(clock.NewFake(epoch)))
			_ = paved.New("dep", th).Run(context.Background(), fails(tt.err))
			req, acc := th.Counts()
			assert.Equal(t, tt.req, req)
			assert.Equal(t, tt.acc, acc)
		})
	}
	t.Run("WithAcceptedFunc", func(t *testing.T) {
		th := loadshed.MustNewThrottle(loadshed.WithThrottleClock(clock.NewFake(epoch)),
			loadshed.WithAcceptedFunc(func(o paved.Outcome) bool { return o != paved.OutcomeOverload }))
		_ = paved.New("dep", th).Run(context.Background(), fails(errTransient))
		_, acc := th.Counts()
		assert.Equal(t, int64(1), acc)
	})
}

func TestThrottleRefusal(t *testing.T) {
	log, tel := telemetrytest.New()
	th := loadshed.MustNewThrottle(loadshed.WithThrottleClock(clock.NewFake(epoch)), loadshed.WithMaxRejectProbability(1), loadshed.WithThrottleRandSeed(3), loadshed.WithMinRate(0))
	p := paved.New("dep", th, paved.WithTelemetry(tel))
	var err error
	ran := 0
	for i := 0; i < 100 && !errors.Is(err, loadshed.ErrThrottled); i++ {
		err = p.Run(context.Background(), func(context.Context) error { ran++; return errOverload })
	}
	require.ErrorIs(t, err, loadshed.ErrThrottled)
	assert.ErrorIs(t, err, paved.ErrRejected)
	assert.Equal(t, paved.OutcomeRejected, paved.DefaultClassifier.Classify(err))
	d, _ := paved.RetryAfter(err)
	assert.Zero(t, d)
	evs := log.Events(telemetry.EventShed)
	require.Len(t, evs, 1)
	assert.Equal(t, "throttle", evs[0].Attrs[telemetry.AttrPolicy])
	assert.Equal(t, "throttled", evs[0].Attrs[telemetry.AttrErrorType])
}

func TestThrottleOptionsAreValidated(t *testing.T) {
	tests := []struct {
		opt  loadshed.ThrottleOption
		want string
	}{
		{loadshed.WithK(0.9), "loadshed: K must be 1..10, got 0.9"},
		{loadshed.WithK(11), "loadshed: K must be 1..10, got 11"},
		{loadshed.WithThrottleWindow(999 * time.Millisecond), "loadshed: ThrottleWindow must be 1s..1h, got 999ms"},
		{loadshed.WithThrottleWindow(2 * time.Hour), "loadshed: ThrottleWindow must be 1s..1h, got 2h0m0s"},
		{loadshed.WithMaxRejectProbability(-0.1), "loadshed: MaxRejectProbability must be in [0, 1], got -0.1"},
		{loadshed.WithMaxRejectProbability(1.5), "loadshed: MaxRejectProbability must be in [0, 1], got 1.5"},
		{loadshed.WithMinRate(-1), "loadshed: MinRate must be 0..1000000, got -1"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			_, err := loadshed.NewThrottle(tt.opt)
			require.EqualError(t, err, tt.want)
			assert.Panics(t, func() { loadshed.MustNewThrottle(tt.opt) })
		})
	}
	_, err := loadshed.NewThrottle(loadshed.WithK(1), loadshed.WithK(10), nil, loadshed.WithAcceptedFunc(nil))
	assert.NoError(t, err)
}

// capacityDep is a dependency that accepts at most perSec calls in each
// second of fake time and refuses the rest with an overload answer.
type capacityDep struct {
	clk    *clock.Fake
	perSec int
	second int64
	used   int
	sent   int
	accept int
}

func (d *capacityDep) call(context.Context) error {
	d.sent++
	if s := d.clk.Now().Unix(); s != d.second {
		d.second, d.used = s, 0
	}
	if d.used >= d.perSec {
		return errOverload
	}
	d.used++
	d.accept++
	return nil
}

// phase offers rate calls a second for dur, in 10 ms steps, and returns what
// the application attempted, what reached the dependency and what it accepted.
func phase(clk *clock.Fake, p *paved.Pipeline, d *capacityDep, rate int, dur time.Duration) (offered, sent, accepted int) {
	s0, a0 := d.sent, d.accept
	perStep := rate / 100
	for range int(dur / (10 * time.Millisecond)) {
		for range perStep {
			_ = p.Run(context.Background(), d.call)
			offered++
		}
		clk.Advance(10 * time.Millisecond)
	}
	return offered, d.sent - s0, d.accept - a0
}

// A dependency that can accept 100 calls a second, offered 500, refuses 80%
// without the Throttle. With it, what reaches the dependency falls to about
// K x accepts (2 x 100), and when the dependency recovers, so does the
// client, within one window.
func TestThrottleOfferedLoadFallsTowardKTimesAccepts(t *testing.T) {
	clk := clock.NewFake(epoch)
	th := loadshed.MustNewThrottle(loadshed.WithThrottleClock(clk), loadshed.WithThrottleRandSeed(42))
	p := paved.New("dep", th)
	d := &capacityDep{clk: clk, perSec: 100}

	// Without a throttle, for comparison.
	bare := &capacityDep{clk: clk, perSec: 100}
	_, bs, ba := phase(clk, paved.New("bare"), bare, 500, 10*time.Second)
	t.Logf("without throttle: sent %d/s, accepted %d/s, refused %.0f%%", bs/10, ba/10, 100*float64(bs-ba)/float64(bs))
	assert.InDelta(t, 0.8, float64(bs-ba)/float64(bs), 0.01)

	// Warm up a full window, then measure one.
	phase(clk, p, d, 500, 2*time.Minute)
	offered, sent, accepted := phase(clk, p, d, 500, 2*time.Minute)
	ratio := float64(sent) / float64(accepted)
	t.Logf("with throttle: offered %d/s, sent %d/s, accepted %d/s, sent/accepted %.2f (K = 2), refused at the dependency %.0f%%, p = %.2f",
		offered/120, sent/120, accepted/120, ratio, 100*float64(sent-accepted)/float64(sent), th.Probability())
	assert.InDelta(t, 2.0, ratio, 0.15, "sent falls toward K x accepts")
	assert.InDelta(t, 100*120, accepted, 100*120*0.02, "the dependency stays busy: its capacity is still used")
	assert.InDelta(t, 0.6, th.Probability(), 0.05, "(500 - 2*100)/500")

	// The dependency recovers: it now accepts everything.
	d.perSec = 1 << 30
	var tenth, recovered time.Duration
	for step := time.Duration(0); step < 3*time.Minute; step += time.Second {
		phase(clk, p, d, 500, time.Second)
		if tenth == 0 && th.Probability() < 0.1 {
			tenth = step + time.Second
		}
		if th.Probability() == 0 {
			recovered = step + time.Second
			break
		}
	}
	t.Logf("recovery: refusal probability under 0.1 after %v, 0 after %v", tenth, recovered)
	require.NotZero(t, recovered, "the client recovers")
	// The SRE book's throttle recovers in about a window, not at once: the
	// accepts must outgrow the refusals the window still remembers (with
	// p = 0.6 here, A(t) = 6000 + 6000*exp(t/60s) against 60000 requests).
	assert.Less(t, recovered, loadshed.DefaultThrottleWindow, "before the refusals have aged out of the window: the accepts outweigh them")
	offered, sent, _ = phase(clk, p, d, 500, 10*time.Second)
	assert.Equal(t, offered, sent, "everything reaches the dependency again")
}

// A dependency that refuses 80% of whatever it is sent: offered load falls
// to the floor the cap keeps (10% of the attempts), instead of the whole
// load, which it would refuse all the same.
func TestThrottleAgainstFixedRefusalRatio(t *testing.T) {
	clk := clock.NewFake(epoch)
	th := loadshed.MustNewThrottle(loadshed.WithThrottleClock(clk), loadshed.WithThrottleRandSeed(7))
	p := paved.New("dep", th)
	n := 0
	sent, acc := 0, 0
	dep := func(context.Context) error {
		sent++
		n++
		if n%5 == 0 {
			acc++
			return nil
		}
		return errOverload
	}
	attempted := 0
	for range 240 * 10 { // 4 minutes, 10 calls a 100 ms
		for range 10 {
			_ = p.Run(context.Background(), dep)
			attempted++
		}
		clk.Advance(100 * time.Millisecond)
	}
	frac := float64(sent) / float64(attempted)
	t.Logf("refusing 80%%: %.0f%% of attempts sent, sent/accepted %.1f, p = %.2f", 100*frac, float64(sent)/float64(acc), th.Probability())
	assert.Less(t, frac, 0.15)
	assert.InDelta(t, loadshed.DefaultMaxRejectProbability, th.Probability(), 1e-9, "pinned at the cap")
}

func ExampleThrottle() {
	clk := clock.NewFake(epoch)
	th := loadshed.MustNewThrottle(loadshed.WithThrottleClock(clk))
	p := paved.New("inventory", th)
	busy := func(context.Context) error { return paved.Mark(errors.New("429"), paved.OutcomeOverload) }
	for range 1000 {
		_ = p.Run(context.Background(), busy)
	}
	req, acc := th.Counts()
	fmt.Printf("requests %d, accepts %d, refusal probability %.1f\n", req, acc, th.Probability())
	// Output: requests 1000, accepts 0, refusal probability 0.9
}
