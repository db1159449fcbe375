// Package budget is the retry budget that retry and hedge share. It bounds
// wasted extra attempts, not useful ones: a token bucket that successful calls
// fill and failing extra attempts drain (docs/reference.md, "Retry budgets";
// the anchors are the AWS SDKs' standard retry mode, gRPC's retry throttling
// and Finagle's RetryBudget).
//
//   - Every call the dependency answered (a success, or an answer repeating
//     cannot change) earns Ratio tokens, up to Capacity. The bucket starts
//     full, so a new process can retry its first failures.
//   - An extra attempt takes Cost tokens before it starts (the caller passes
//     the cost: retry charges twice for a retry after a timeout).
//   - An extra attempt that succeeds, that our own policies refused before it
//     reached the dependency, or that was abandoned before it started, gives
//     its tokens back. Only extra attempts that failed keep them spent.
//   - Besides the tokens, one extra attempt every 1/MinPerSecond seconds is
//     always allowed: a floor for callers too quiet to earn, spread evenly, so
//     at most MinPerSecond of them in any second and never a burst.
//
// So a dependency failing at random keeps its useful retries (the successful
// ones cost nothing in the end), while in a full outage nothing is earned:
// after the saved Capacity tokens, extra attempts stop but for the floor.
//
// The success path (Earn) is lock-free and allocates nothing: one atomic load
// while the bucket is full, a compare-and-swap otherwise. Reserve and Refund
// are compare-and-swap loops too; only the floor reads the clock.
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

// RetryConfig is retry's default: a successful call earns a fifth of a
// retry (the AWS SDKs' standard mode: a retry costs 5 tokens, a success
// refunds 1), 100 retries saved, and one retry a second always allowed.
var RetryConfig = Config{Ratio: 0.2, Capacity: 100, MinPerSecond: 1}

// HedgeConfig is hedge's default: a hedge is an extra request whichever
// attempt wins, so hedges may add a tenth of the answered calls, 100 saved,
// one a second always allowed.
var HedgeConfig = Config{Ratio: 0.1, Capacity: 100, MinPerSecond: 1}

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

// Receipt is what Reserve took, for Refund.
type Receipt struct {
	n     int64 // tokens taken, in 1/unit tokens
	floor bool  // the floor allowed it instead
	// The floor's next slot before and after this reservation took it.
	floorPrev, floorNext int64
}

// Reserve asks for one extra attempt costing cost tokens (>= 1), and counts
// it if allowed: from the floor when its next slot is due, else from the
// tokens. It reserves before the attempt waits its backoff, so attempts
// waiting at once can never overspend.
func (b *Budget) Reserve(cost int) (Receipt, bool) {
	if prev, next, ok := b.floor(); ok {
		return Receipt{floor: true, floorPrev: prev, floorNext: next}, true
	}
	n := int64(max(cost, 1)) * unit
	for {
		t := b.tokens.Load()
		if t < n {
			return Receipt{}, false
		}
		if b.tokens.CompareAndSwap(t, t-n) {
			return Receipt{n: n}, true
		}
	}
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

// Refund gives back what r took: the attempt succeeded, was refused by our
// own policies before it reached the dependency, or never started. A floor
// attempt gives its slot back if no other attempt has taken the next one
// since; it never turns into tokens, so in an outage nothing but answered
// calls fills the bucket. Nothing goes past Capacity.
func (b *Budget) Refund(r Receipt) {
	if r.floor {
		b.floorNext.CompareAndSwap(r.floorNext, r.floorPrev)
		return
	}
	b.add(r.n)
}

// Tokens returns the tokens in the bucket now, for tests and telemetry.
func (b *Budget) Tokens() float64 { return float64(b.tokens.Load()) / unit }
