// Package budget is the retry budget that retry and hedge share. It bounds
// wasted extra attempts, not useful ones: a token bucket that answered calls
// fill and failed extra attempts drain (docs/reference.md, "Retry budgets";
// the anchors are the AWS SDKs' standard retry mode, gRPC's retry throttling
// and Finagle's RetryBudget).
//
//   - Every call the dependency answered (a success, or an answer repeating
//     cannot change) earns Ratio tokens, up to Capacity. The bucket starts
//     full, so a new process can retry its first failures.
//   - An extra attempt is allowed while the bucket holds its cost (the caller
//     passes it: retry charges twice for a retry after a timeout), and the
//     cost is taken only if the attempt fails: one that succeeds, that our
//     own policies refused before it reached the dependency, or that was
//     abandoned before it started costs nothing. Only failed extra attempts
//     drain the bucket.
//   - Besides the tokens, one extra attempt every 1/MinPerSecond seconds is
//     always allowed: a floor for callers too quiet to earn, spread evenly, so
//     at most MinPerSecond of them in any second and never a burst.
//
// Taking the cost when the attempt fails, not when it is allowed, is what
// keeps useful retries free at any throughput: a retry waits its backoff and
// runs before anyone knows whether it worked, and a bucket that held the cost
// of every retry in flight would refuse a busy client's useful retries for
// lack of tokens it will get back. The price is that retries allowed at once
// may overspend the bucket by the retries in flight (it goes negative, at
// most -Capacity, and refills from there), so an outage's first burst costs
// the dependency Capacity retries plus those already in flight.
//
// So a dependency failing at random keeps its useful retries, while in a
// full outage nothing is earned: after the saved tokens, extra attempts stop
// but for the floor.
//
// Every operation is lock-free and allocates nothing: Earn is one atomic
// load while the bucket is full, a compare-and-swap otherwise; only the
// floor reads the clock.
package budget

import (
	"fmt"
	"math"
	"sync/atomic"
	"time"

	"github.com/paved-go/paved/clock"
)

// Config is a budget's shape.
type Config struct {
	// Ratio is the tokens a call the dependency answered earns: 0..1.
	Ratio float64
	// Capacity is how many tokens the bucket holds at most, and starts
	// with: 1..1000000.
	Capacity float64
	// MinPerSecond is the floor: extra attempts always allowed per second,
	// spread evenly, on top of the tokens: 0..1000.
	MinPerSecond float64
}

// RetryConfig is retry's default: an answered call earns a fifth of a retry
// (the AWS SDKs' standard mode: a retry costs 5 tokens, a success refunds
// 1), 20 failed retries saved, and one retry a second always allowed.
var RetryConfig = Config{Ratio: 0.2, Capacity: 20, MinPerSecond: 1}

// HedgeConfig is hedge's default: a hedge is an extra request whichever
// attempt wins, so hedges may add a tenth of the answered calls, 20 saved,
// one a second always allowed.
var HedgeConfig = Config{Ratio: 0.1, Capacity: 20, MinPerSecond: 1}

// Validate reports the first out-of-range field, named as prefix+field.
func (c Config) Validate(prefix string) error {
	switch {
	case !(c.Ratio >= 0 && c.Ratio <= 1):
		return fmt.Errorf("%sBudget ratio must be 0..1, got %v", prefix, c.Ratio)
	case !(c.Capacity >= 1 && c.Capacity <= 1e6):
		return fmt.Errorf("%sBudget capacity must be 1..1000000, got %v", prefix, c.Capacity)
	case !(c.MinPerSecond >= 0 && c.MinPerSecond <= 1000):
		return fmt.Errorf("%sBudget min_per_second must be 0..1000, got %v", prefix, c.MinPerSecond)
	}
	return nil
}

// unit is one token in the bucket's fixed-point counter.
const unit = 1000

// Budget is one pipeline's budget. It is safe for concurrent use.
type Budget struct {
	tokens   atomic.Int64 // in 1/unit tokens
	earn     int64        // Ratio in 1/unit tokens
	capacity int64        // Capacity in 1/unit tokens

	clock     clock.Clock
	origin    time.Time
	interval  int64        // ns between floor attempts; 0: no floor
	floorNext atomic.Int64 // ns since origin when the next floor attempt is allowed
}

// New returns a full Budget for cfg, which must be valid (Config.Validate),
// timed by c.
func New(cfg Config, c clock.Clock) *Budget {
	b := &Budget{
		earn:     int64(math.Round(cfg.Ratio * unit)),
		capacity: int64(math.Round(cfg.Capacity * unit)),
		clock:    c,
		origin:   c.Now(),
	}
	if cfg.MinPerSecond > 0 {
		b.interval = int64(float64(time.Second) / cfg.MinPerSecond)
	}
	b.tokens.Store(b.capacity)
	return b
}

// Earn credits a call the dependency answered. While the bucket is full it is
// one atomic load.
func (b *Budget) Earn() { b.add(b.earn) }

func (b *Budget) add(n int64) {
	for {
		t := b.tokens.Load()
		if t >= b.capacity || n <= 0 {
			return
		}
		if b.tokens.CompareAndSwap(t, min(t+n, b.capacity)) {
			return
		}
	}
}

// Ticket is what Allow granted, for Spend or Cancel.
type Ticket struct {
	n     int64 // the cost, in 1/unit tokens
	floor bool  // the floor allowed it instead
	// The floor's next slot before and after this ticket took it.
	floorPrev, floorNext int64
}

// Allow asks for one extra attempt costing cost tokens (>= 1): from the
// floor when its next slot is due, else while the bucket holds cost. Nothing
// is taken yet: call Spend if the attempt fails, Cancel if it never reaches
// the dependency, and nothing if it succeeds.
func (b *Budget) Allow(cost int) (Ticket, bool) {
	if prev, next, ok := b.floor(); ok {
		return Ticket{floor: true, floorPrev: prev, floorNext: next}, true
	}
	n := int64(max(cost, 1)) * unit
	if b.tokens.Load() < n {
		return Ticket{}, false
	}
	return Ticket{n: n}, true
}

// floor takes the floor's slot if it is due: one extra attempt per interval,
// never saved up while unused. It returns the next slot before and after.
func (b *Budget) floor() (prev, next int64, ok bool) {
	if b.interval == 0 {
		return 0, 0, false
	}
	now := int64(b.clock.Since(b.origin))
	for {
		prev = b.floorNext.Load()
		if prev > now {
			return 0, 0, false
		}
		if next = now + b.interval; b.floorNext.CompareAndSwap(prev, next) {
			return prev, next, true
		}
	}
}

// Spend takes t's cost: its extra attempt reached the dependency and
// failed. A floor attempt costs no token. The bucket never goes below
// -Capacity.
func (b *Budget) Spend(t Ticket) {
	if t.floor || t.n == 0 {
		return
	}
	for {
		cur := b.tokens.Load()
		next := max(cur-t.n, -b.capacity)
		if next == cur || b.tokens.CompareAndSwap(cur, next) {
			return
		}
	}
}

// Cancel gives back what t was granted when its attempt never reached the
// dependency (our own policy refused it, or the caller gave up during the
// backoff): a floor slot goes back if no other attempt took the next one
// since. Tokens were never taken.
func (b *Budget) Cancel(t Ticket) {
	if t.floor {
		b.floorNext.CompareAndSwap(t.floorNext, t.floorPrev)
	}
}

// Tokens returns the tokens in the bucket now, for tests and telemetry.
func (b *Budget) Tokens() float64 { return float64(b.tokens.Load()) / unit }
