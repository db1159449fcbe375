package limit_test

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-go/paved/clock"
	"github.com/paved-go/paved/internal/limit"
)

var epoch = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)

// recorder is an Algorithm that records its samples and answers a fixed
// step.
type recorder struct {
	mu      sync.Mutex
	samples []limit.Sample
	step    float64
}

func (r *recorder) Name() string { return "recorder" }
func (r *recorder) Update(l float64, s limit.Sample) float64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.samples = append(r.samples, s)
	return l + r.step
}

func newLimiter(t *testing.T, alg limit.Algorithm, c limit.Config, clk clock.Clock) *limit.Limiter {
	t.Helper()
	l, err := limit.New(alg, c, clk)
	require.NoError(t, err)
	return l
}

func TestLimiterAdmitsUpToTheLimit(t *testing.T) {
	l := newLimiter(t, &recorder{}, limit.Config{Initial: 3, Min: 1, Max: 10}, clock.NewFake(epoch))
	var toks []limit.Token
	for i := range 3 {
		tok, ok := l.TryAcquire()
		require.True(t, ok)
		assert.Equal(t, i+1, tok.Inflight())
		toks = append(toks, tok)
	}
	_, ok := l.TryAcquire()
	assert.False(t, ok, "limit 3 reached")
	assert.Equal(t, 3, l.Inflight())
	l.Release(toks[0], limit.Ignored)
	assert.Equal(t, 2, l.Inflight())
	tok, ok := l.TryAcquire()
	require.True(t, ok)
	assert.Equal(t, 3, tok.Inflight())
	f := l.ForceAcquire()
	assert.Equal(t, 4, f.Inflight(), "ForceAcquire admits past the limit")
	for _, tk := range append(toks[1:], tok, f) {
		l.Release(tk, limit.Ignored)
	}
	assert.Equal(t, 0, l.Inflight())
	lim, changed := l.Release(limit.Token{}, limit.Success)
	assert.Equal(t, 3, lim)
	assert.False(t, changed)
	assert.Equal(t, 0, l.Inflight(), "the zero Token releases nothing")
}

func TestLimiterSamplesRTTAndClamps(t *testing.T) {
	clk := clock.NewFake(epoch)
	rec := &recorder{step: 4.5}
	l := newLimiter(t, rec, limit.Config{Initial: 5, Min: 2, Max: 12}, clk)

	a, _ := l.TryAcquire()
	clk.Advance(30 * ms)
	b, _ := l.TryAcquire()
	clk.Advance(20 * ms)
	lim, changed := l.Release(a, limit.Success)
	assert.Equal(t, 9, lim, "5 + 4.5, floored")
	assert.True(t, changed)
	assert.Equal(t, 9.5, l.Estimate())
	lim, changed = l.Release(b, limit.Dropped)
	assert.Equal(t, 12, lim, "clamped to Max")
	assert.True(t, changed)
	assert.Equal(t, 12.0, l.Estimate())
	assert.Equal(t, []limit.Sample{{RTT: 50 * ms, Inflight: 1}, {RTT: 20 * ms, Inflight: 2, Dropped: true}}, rec.samples)

	c, _ := l.TryAcquire()
	lim, changed = l.Release(c, limit.Success)
	assert.Equal(t, 12, lim)
	assert.False(t, changed, "at Max, unchanged")

	d, _ := l.TryAcquire()
	l.Release(d, limit.Ignored)
	assert.Len(t, rec.samples, 3, "Ignored takes no sample")

	rec.step = -100
	e, _ := l.TryAcquire()
	lim, _ = l.Release(e, limit.Success)
	assert.Equal(t, 2, lim, "clamped to Min")
	assert.Equal(t, "recorder", l.Algorithm())
}

// Netflix's WindowedLimit: one sample per window (mean RTT, largest
// inflight, any drop), windows of clamp(2*min RTT, Min, Max), windows with
// fewer than MinSamples discarded, samples under MinRTT ignored.
func TestLimiterWindow(t *testing.T) {
	clk := clock.NewFake(epoch)
	rec := &recorder{step: 1}
	w := limit.Window{Min: 100 * ms, Max: time.Second, MinSamples: 3, MinRTT: ms}
	l := newLimiter(t, rec, limit.Config{Initial: 10, Min: 1, Max: 100, Window: w}, clk)

	run := func(rtt time.Duration, r limit.Result) (int, bool) {
		tok, ok := l.TryAcquire()
		require.True(t, ok)
		clk.Advance(rtt)
		return l.Release(tok, r)
	}
	// The first release closes the empty first window (1 sample < 3: discarded)
	// and opens one of clamp(2*10ms, 100ms, 1s) = 100ms.
	_, changed := run(10*ms, limit.Success)
	assert.False(t, changed)
	assert.Empty(t, rec.samples)

	run(10*ms, limit.Success)
	run(500*time.Microsecond, limit.Success) // under MinRTT: ignored
	run(20*ms, limit.Success)
	run(30*ms, limit.Success) // t = 70.5ms since the window opened
	assert.Empty(t, rec.samples, "the window is still open")
	lim, changed := run(40*ms, limit.Dropped) // t = 110.5ms: closes it
	assert.True(t, changed)
	assert.Equal(t, 11, lim)
	require.Len(t, rec.samples, 1)
	assert.Equal(t, limit.Sample{RTT: 25 * ms, Inflight: 1, Dropped: true}, rec.samples[0])

	// The next window is 2*10ms clamped to 100ms; one of 2 samples is discarded.
	run(60*ms, limit.Success)
	run(60*ms, limit.Success)
	assert.Len(t, rec.samples, 1, "2 samples < MinSamples")

	// That discard opened a window of clamp(2*60ms) = 120ms; the first slow
	// sample closes it (1 sample: discarded) and opens one of 2*400ms, which
	// the next two fall in and the fourth closes.
	for range 3 {
		run(400*ms, limit.Success)
	}
	require.Len(t, rec.samples, 1)
	run(400*ms, limit.Dropped)
	require.Len(t, rec.samples, 2)
	assert.True(t, rec.samples[1].Dropped)
	assert.Equal(t, 400*ms, rec.samples[1].RTT)
}

func TestLimiterValidate(t *testing.T) {
	okW := limit.DefaultWindow
	for _, tt := range []struct {
		c    limit.Config
		want string
	}{
		{limit.Config{Initial: 1, Min: 0, Max: 1}, "x: MinLimit must be 1..1000000, got 0"},
		{limit.Config{Initial: 5, Min: 5, Max: 4}, "x: MaxLimit must be 5..1000000 (at least MinLimit), got 4"},
		{limit.Config{Initial: 5, Min: 5, Max: 2_000_000}, "MaxLimit must be 5..1000000"},
		{limit.Config{Initial: 1, Min: 2, Max: 4}, "x: InitialLimit must be 2..4 (MinLimit..MaxLimit), got 1"},
		{limit.Config{Initial: 1, Min: 1, Max: 4, Window: limit.Window{Min: 0, Max: 1, MinSamples: 1}}, "x: Window min must be in (0, 1m], got 0s"},
		{limit.Config{Initial: 1, Min: 1, Max: 4, Window: limit.Window{Min: 2, Max: 1, MinSamples: 1}}, "x: Window max must be 2ns..1m (at least its min), got 1ns"},
		{limit.Config{Initial: 1, Min: 1, Max: 4, Window: limit.Window{Min: 1, Max: 1}}, "x: Window min_samples must be 1..100000, got 0"},
		{limit.Config{Initial: 1, Min: 1, Max: 4, Window: limit.Window{Min: 1, Max: 1, MinSamples: 1, MinRTT: -1}}, "x: Window min_rtt must be 0..1s, got -1ns"},
		{limit.Config{Initial: 20, Min: 1, Max: 200, Window: okW}, ""},
	} {
		err := tt.c.Validate("x: ")
		if tt.want == "" {
			assert.NoError(t, err)
			continue
		}
		require.Error(t, err)
		assert.Contains(t, err.Error(), tt.want)
	}
	_, err := limit.New(nil, limit.Config{Initial: 1, Min: 1, Max: 1}, nil)
	assert.ErrorContains(t, err, "Algorithm must not be nil")
	_, err = limit.New(&recorder{}, limit.Config{Initial: 1, Min: 1, Max: 0}, nil)
	assert.ErrorContains(t, err, "MaxLimit must be 1..1000000")
	l, err := limit.New(&recorder{}, limit.Config{Initial: 1, Min: 1, Max: 1}, nil)
	require.NoError(t, err, "nil clock: the real one")
	tok, _ := l.TryAcquire()
	l.Release(tok, limit.Success)
}

// Many goroutines against a fixed limit: never more than the limit in
// flight, every slot back at the end. Run with -race.
func TestLimiterConcurrent(t *testing.T) {
	a, err := limit.NewAIMD(limit.DefaultAIMD)
	require.NoError(t, err)
	l := newLimiter(t, a, limit.Config{Initial: 8, Min: 8, Max: 8}, nil)
	var in, peak, admitted atomic.Int64
	var wg sync.WaitGroup
	for g := range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 500 {
				tok, ok := l.TryAcquire()
				if !ok {
					continue
				}
				admitted.Add(1)
				n := in.Add(1)
				for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
				}
				in.Add(-1)
				l.Release(tok, limit.Result((g+i)%3))
			}
		}()
	}
	wg.Wait()
	assert.LessOrEqual(t, peak.Load(), int64(8))
	assert.Positive(t, admitted.Load())
	assert.Equal(t, 0, l.Inflight())
	assert.Equal(t, 8, l.Limit())
}

// Each algorithm through a Limiter, fed by a closed loop that keeps the
// limit in flight: while latency is flat the limit grows; when the
// dependency's capacity falls to 10 (latency grows with the requests over it,
// as a queue's would), or it starts timing out (AIMD), the limit falls.
func TestAlgorithmsBackOffWhenTheDependencySlows(t *testing.T) {
	g, _ := limit.NewGradient2(limit.DefaultGradient2)
	vc := limit.DefaultVegas
	vc.Rand = func() float64 { return 0.5 }
	v, _ := limit.NewVegas(vc)
	a, _ := limit.NewAIMD(limit.DefaultAIMD)
	win := limit.Window{Min: 50 * ms, Max: 50 * ms, MinSamples: 10}
	for _, tt := range []struct {
		alg    limit.Algorithm
		win    limit.Window
		rounds int // rounds after the slow-down
	}{{g, win, 20}, {v, limit.Window{}, 3}, {a, limit.Window{}, 3}} {
		alg := tt.alg
		t.Run(alg.Name(), func(t *testing.T) {
			clk := clock.NewFake(epoch)
			l := newLimiter(t, alg, limit.Config{Initial: 20, Min: 1, Max: 500, Window: tt.win}, clk)
			round := func(rtt time.Duration, r limit.Result, capacity int) {
				var toks []limit.Token
				for {
					tok, ok := l.TryAcquire()
					if !ok {
						break
					}
					toks = append(toks, tok)
				}
				if n := len(toks); n > capacity {
					rtt = rtt * time.Duration(n) / time.Duration(capacity)
				}
				clk.Advance(rtt)
				for _, tok := range toks {
					l.Release(tok, r)
				}
			}
			for range 100 {
				round(10*ms, limit.Success, 1000)
			}
			grown := l.Limit()
			assert.Greater(t, grown, 20, "grew while latency was flat")
			slow := 10 * ms
			if alg.Name() == "aimd" {
				slow = 6 * time.Second // over AIMD's 5s timeout
			}
			for range tt.rounds {
				round(slow, limit.Success, 10)
			}
			t.Logf("%s: %d after flat latency, %d after %d slow rounds", alg.Name(), grown, l.Limit(), tt.rounds)
			assert.Less(t, float64(l.Limit()), 0.8*float64(grown))
			assert.Equal(t, 0, l.Inflight())
		})
	}
}

// At a high rate, a window times only every k-th request (k a power of two,
// keeping about 8*MinSamples of them); drops count whether timed or not; when
// the rate falls, every request is timed again.
func TestLimiterSamplesAtHighRates(t *testing.T) {
	clk := clock.NewFake(epoch)
	rec := &recorder{}
	w := limit.Window{Min: 100 * ms, Max: 100 * ms, MinSamples: 10}
	l := newLimiter(t, rec, limit.Config{Initial: 10, Min: 1, Max: 100, Window: w}, clk)
	// calls runs n requests one after another, each taking d, and counts the
	// timed ones; the first is released with first.
	calls := func(n int, d time.Duration, first limit.Result) (timed int) {
		for i := range n {
			tok, ok := l.TryAcquire()
			require.True(t, ok)
			if tok.Timed() {
				timed++
			}
			clk.Advance(d)
			r := limit.Success
			if i == 0 {
				r = first
			}
			l.Release(tok, r)
		}
		return timed
	}
	calls(1, 101*time.Microsecond, limit.Success) // closes the empty first window
	assert.Equal(t, 990, calls(990, 101*time.Microsecond, limit.Success), "a window at stride 1 times every request")
	calls(10, 101*time.Microsecond, limit.Success) // past its end: closes it with 990, so 990/80 -> every 8th
	require.Len(t, rec.samples, 1)
	assert.InDelta(t, 100, calls(800, 101*time.Microsecond, limit.Success), 2, "every 8th of 800")
	assert.Zero(t, l.Inflight())

	// A drop on a request that was not timed still marks its window.
	n := len(rec.samples)
	for {
		tok, _ := l.TryAcquire()
		if !tok.Timed() {
			l.Release(tok, limit.Dropped)
			break
		}
		l.Release(tok, limit.Success)
	}
	calls(2500, 101*time.Microsecond, limit.Success) // two windows and a half
	require.Greater(t, len(rec.samples), n+1)
	assert.True(t, rec.samples[n].Dropped, "the window with the untimed drop")
	assert.False(t, rec.samples[len(rec.samples)-1].Dropped, "the next window has none")

	// The rate falls to 20 a window: within a few windows every request is
	// timed again (each sets the next one's stride from the rate it saw).
	var timed []int
	for range 4 {
		timed = append(timed, calls(20, 5*ms, limit.Success))
	}
	assert.Less(t, timed[0], 20, "still at the high rate's stride")
	assert.Equal(t, 20, timed[3], "every request timed: %v", timed)
	n = len(rec.samples)
	calls(21, 5*ms, limit.Success)
	assert.Len(t, rec.samples, n+1, "a window of 20 timed requests counts")
}
