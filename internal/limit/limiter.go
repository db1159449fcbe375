package limit

import (
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/paved-go/paved/clock"
)

// Config is a Limiter's shape.
type Config struct {
	// Initial is the limit before any sample. Min..Max.
	Initial int
	// Min and Max bound the limit: 1 <= Min <= Max <= 1000000.
	Min, Max int
	// Window groups samples before the Algorithm sees them. The zero
	// Window updates the limit on every sample.
	Window Window
}

// Window is Netflix's WindowedLimit: samples are gathered for a window of
// clamp(2 * the window's smallest RTT, Min, Max) and the Algorithm sees one
// Sample per window — the mean RTT, the largest inflight, whether any was
// dropped — if the window holds at least MinSamples samples; smaller windows
// are discarded. A window closes at the first release after its end, so a
// quiet limiter does no work.
//
// A window needs a mean, not every request's RTT: once a window has held
// more than sampleTarget*MinSamples samples, only every k-th request of the
// next (k a power of two up to maxStride, chosen to keep about that many) is
// timed, and the others read no clock. A drop counts whether its request
// was timed or not. When the rate falls, a window may then hold fewer than
// MinSamples and be discarded, as any short window is; the next one's k is
// set from the rate that window saw.
type Window struct {
	// Min and Max bound a window's length: 0 < Min <= Max <= 1m.
	Min, Max time.Duration
	// MinSamples is how many samples a window needs to count: 1..100000.
	MinSamples int
	// MinRTT ignores samples faster than it (a cache hit says nothing about
	// the dependency's queue); dropped samples always count. 0..1s.
	MinRTT time.Duration
}

// DefaultWindow is Netflix WindowedLimit's defaults: 1s windows of at least
// 10 samples, samples under 100µs ignored.
var DefaultWindow = Window{Min: time.Second, Max: time.Second, MinSamples: 10, MinRTT: 100 * time.Microsecond}

// Validate reports the first out-of-range field, named as prefix+field.
func (c Config) Validate(prefix string) error {
	switch {
	case c.Min < 1 || c.Min > 1_000_000:
		return fmt.Errorf("%sMinLimit must be 1..1000000, got %d", prefix, c.Min)
	case c.Max < c.Min || c.Max > 1_000_000:
		return fmt.Errorf("%sMaxLimit must be %d..1000000 (at least MinLimit), got %d", prefix, c.Min, c.Max)
	case c.Initial < c.Min || c.Initial > c.Max:
		return fmt.Errorf("%sInitialLimit must be %d..%d (MinLimit..MaxLimit), got %d", prefix, c.Min, c.Max, c.Initial)
	}
	if c.Window == (Window{}) {
		return nil
	}
	w := c.Window
	switch {
	case w.Min <= 0 || w.Min > time.Minute:
		return fmt.Errorf("%sWindow min must be in (0, 1m], got %v", prefix, w.Min)
	case w.Max < w.Min || w.Max > time.Minute:
		return fmt.Errorf("%sWindow max must be %v..1m (at least its min), got %v", prefix, w.Min, w.Max)
	case w.MinSamples < 1 || w.MinSamples > 100000:
		return fmt.Errorf("%sWindow min_samples must be 1..100000, got %d", prefix, w.MinSamples)
	case w.MinRTT < 0 || w.MinRTT > time.Second:
		return fmt.Errorf("%sWindow min_rtt must be 0..1s, got %v", prefix, w.MinRTT)
	}
	return nil
}

// Result is how an admitted request ended, for Release.
type Result int8

const (
	// Success: the dependency answered; the RTT is a latency sample.
	Success Result = iota
	// Dropped: the request timed out or the dependency refused it as
	// overloaded; the sample says so.
	Dropped
	// Ignored: the request says nothing about the dependency (the caller
	// gave up, another policy refused it, a local error): its slot is freed
	// and no sample is taken.
	Ignored
)

// Token is one admitted request: pass it to Release exactly once. The zero
// Token is not an admission.
type Token struct {
	start    int64 // ns since the limiter's origin; 0 unless timed
	inflight int32 // in flight at admission, itself included
	ok       bool
	timed    bool // start was read: the request is a latency sample
}

// Inflight is how many requests were in flight when t was admitted, t
// included.
func (t Token) Inflight() int { return int(t.inflight) }

// Timed reports whether t's request is timed, to be a latency sample (see
// Window: at high rates only some are).
func (t Token) Timed() bool { return t.timed }

// Limiter is an adaptive concurrency limit: it admits a request while fewer
// than the limit are in flight, and moves the limit by what its Algorithm
// makes of each release's sample. It does not queue: callers that wait for a
// slot keep their own queue and call TryAcquire again after a Release frees
// one or raises the limit.
//
// TryAcquire is lock-free; Release takes a mutex only to feed the sample to
// the Algorithm (Ignored releases take none). Neither allocates. A Limiter is
// safe for concurrent use.
type Limiter struct {
	limit atomic.Int64
	// state is the requests in flight (its low 32 bits) and a count of
	// admissions (the high 32, wrapping), so that one atomic operation
	// admits a request and numbers it for sampling.
	state atomic.Int64
	// mask selects the timed requests: those whose number has these bits
	// clear (stride - 1; 0 times every request). Written under mu when a
	// window closes.
	mask     atomic.Int64
	clk      clock.Clock
	real     bool // clk is clock.Real(): read time.Since directly, sparing an interface call per read
	origin   time.Time
	min, max float64

	mu       sync.Mutex
	alg      Algorithm
	estimate float64
	windowed bool
	win      Window
	w        window
}

// window is the samples gathered since the last window closed.
type window struct {
	end      int64 // ns since origin when it closes; 0: at the first sample
	n        int
	sum      int64
	min      int64
	inflight int
	dropped  bool
}

// New returns a Limiter driven by alg, timed by clk (nil: clock.Real()),
// or an error naming the field of c out of range.
func New(alg Algorithm, c Config, clk clock.Clock) (*Limiter, error) {
	if err := c.Validate(""); err != nil {
		return nil, err
	}
	if alg == nil {
		return nil, fmt.Errorf("limit: Algorithm must not be nil")
	}
	if clk == nil {
		clk = clock.Real()
	}
	l := &Limiter{
		clk: clk, real: clk == clock.Real(), origin: clk.Now(), min: float64(c.Min), max: float64(c.Max),
		alg: alg, estimate: float64(c.Initial),
		windowed: c.Window != (Window{}), win: c.Window,
	}
	l.w.min = math.MaxInt64
	l.limit.Store(int64(c.Initial))
	return l, nil
}

// Limit is the limit in force.
func (l *Limiter) Limit() int { return int(l.limit.Load()) }

// Inflight is how many admitted requests have not been released.
func (l *Limiter) Inflight() int { return int(uint32(l.state.Load())) }

// admitted is what state gains per admission: one in flight, one counted.
const admitted = 1 + 1<<32

// Sampling: a window is to hold about sampleTarget*MinSamples timed
// requests; at most every maxStride-th request is timed.
const (
	sampleTarget = 8
	maxStride    = 64
)

// Algorithm is the name of the limiter's Algorithm.
func (l *Limiter) Algorithm() string { return l.alg.Name() }

// Estimate is the Algorithm's unrounded limit, for tests and diagnostics.
func (l *Limiter) Estimate() float64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.estimate
}

func (l *Limiter) now() int64 {
	if l.real {
		return int64(time.Since(l.origin))
	}
	return int64(l.clk.Since(l.origin))
}

// TryAcquire admits a request if fewer than the limit are in flight.
func (l *Limiter) TryAcquire() (Token, bool) {
	for {
		n := l.state.Load()
		in := int64(uint32(n))
		if in >= l.limit.Load() {
			return Token{}, false
		}
		if l.state.CompareAndSwap(n, n+admitted) {
			// token's body, by hand: TryAcquire is on every call's path
			t := Token{inflight: int32(min(in+1, math.MaxInt32)), ok: true}
			if (n>>32)&l.mask.Load() == 0 {
				t.start, t.timed = l.now(), true
			}
			return t, true
		}
	}
}

// token is the admission numbered by state n (before it), with in in
// flight: timed if its number is selected by the mask.
func (l *Limiter) token(n, in int64) Token {
	t := Token{inflight: int32(min(in, math.MaxInt32)), ok: true}
	if (n>>32)&l.mask.Load() == 0 {
		t.start, t.timed = l.now(), true
	}
	return t
}

// ForceAcquire admits a request whatever the limit (for traffic that must
// never be refused); it counts as in flight like any other.
func (l *Limiter) ForceAcquire() Token {
	n := l.state.Add(admitted) - admitted
	return l.token(n, int64(uint32(n))+1)
}

// Release ends t's request with result r: it frees the slot and, unless r is
// Ignored, feeds the RTT since admission to the Algorithm. It returns the
// limit now and whether this release changed it. Releasing the zero Token
// does nothing.
func (l *Limiter) Release(t Token, r Result) (limit int, changed bool) {
	if !t.ok {
		return l.Limit(), false
	}
	l.state.Add(-1) // the low half is at least 1: no borrow from the count
	if r == Ignored {
		return l.Limit(), false
	}
	if !t.timed {
		if r == Dropped {
			l.mu.Lock()
			l.w.dropped = true // the window's next timed release carries it
			l.mu.Unlock()
		}
		return l.Limit(), false
	}
	now := l.now()
	s := Sample{RTT: time.Duration(now - t.start), Inflight: int(t.inflight), Dropped: r == Dropped}
	if l.windowed && s.RTT < l.win.MinRTT && !s.Dropped {
		return l.Limit(), false // left out of windows; no need for the lock
	}
	l.mu.Lock()
	if l.windowed {
		var ok bool
		if s, ok = l.gather(now, s); !ok {
			l.mu.Unlock()
			return l.Limit(), false
		}
	}
	l.estimate = l.alg.Update(l.estimate, s)
	if !(l.estimate >= l.min) { // and NaN, from an Algorithm gone wrong
		l.estimate = l.min
	} else if l.estimate > l.max {
		l.estimate = l.max
	}
	next := int64(l.estimate) // estimate >= Min >= 1
	// limit is written only under mu: a plain load, and a store only when
	// it changes, spare the call path a locked instruction.
	prev := l.limit.Load()
	if prev != next {
		l.limit.Store(next)
	}
	l.mu.Unlock()
	return int(next), prev != next
}

// stride is how many requests per timed one the next window should time,
// after a window of n timed requests at stride k: the power of two, up to
// maxStride, that keeps about sampleTarget*minSamples of the n*k requests;
// 1 when they were fewer.
func stride(n int, k int64, minSamples int) int64 {
	per := int64(n) * k / int64(sampleTarget*minSamples)
	s := int64(1)
	for s*2 <= per && s < maxStride {
		s *= 2
	}
	return s
}

// gather adds s to the window and returns the window's sample when s closes
// it with enough samples.
func (l *Limiter) gather(now int64, s Sample) (Sample, bool) {
	w := &l.w
	w.n++
	w.sum += int64(s.RTT)
	w.min = min(w.min, int64(s.RTT))
	w.inflight = max(w.inflight, s.Inflight)
	w.dropped = w.dropped || s.Dropped
	if now <= w.end {
		return s, false
	}
	done := *w
	length := time.Duration(min(max(2*done.min, int64(l.win.Min)), int64(l.win.Max)))
	*w = window{end: now + int64(length), min: math.MaxInt64}
	l.mask.Store(stride(done.n, l.mask.Load()+1, l.win.MinSamples) - 1)
	if done.n < l.win.MinSamples {
		return s, false
	}
	return Sample{RTT: time.Duration(done.sum / int64(done.n)), Inflight: done.inflight, Dropped: done.dropped}, true
}
