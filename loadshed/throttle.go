package loadshed

import (
	"context"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/telemetry"
)

// Throttle is client-side adaptive throttling, as Google's SRE book
// ("Handling Overload") describes it: each client keeps, over the last
// Window (default two minutes),
//
//	requests  the calls the application attempted, those the Throttle
//	          refused itself included
//	accepts   the calls the dependency accepted
//
// and refuses a new call locally, with ErrThrottled, with probability
//
//	max(0, (requests - K*accepts) / (requests + 1))     K = 2 by default
//
// capped at MaxRejectProbability (default 0.9), once the window holds at
// least MinRate (default 1 a second) times its length in requests. While the dependency accepts
// everything the probability is 0 and the Throttle costs a lock and two
// counter updates per call. When it refuses, what reaches it falls toward
// K times what it accepts: a dependency that can serve C calls a second,
// offered 5C, is sent about 2C, not 5C, and spends far less of its capacity
// saying no. Larger K is more lenient (more is sent in hope); K = 1 sends
// only what is accepted.
//
// A call counts as accepted unless its outcome (the call's classifier, see
// paved.Outcome) is Overload or Transient — 429, 503, RESOURCE_EXHAUSTED,
// UNAVAILABLE, timeouts, connection failures — the answers of a dependency
// that could not take the call. Permanent and Fault answers were served, so
// they are accepts; Canceled and Rejected (another policy refused the call
// before it reached the dependency) count as neither request nor accept.
// WithAcceptedFunc changes the rule.
//
// The cap keeps some calls flowing whatever the history, so the Throttle sees
// the dependency recover: without it, a window full of refusals would refuse
// nearly everything until it aged out. As accepts come back the probability
// falls, and once the refusals leave the window it is 0.
//
// # Where it goes, and breakers
//
// Put the Throttle inside retry, beside the breaker (STANDARDS.md RS-10),
// so that every attempt counts and a locally refused attempt — Rejected —
// is not retried. The two split the work: a breaker (package breaker)
// excludes Overload outcomes by default, because an overloaded dependency is
// alive and an on/off breaker would take its goodput to nothing, while the
// Throttle answers exactly that case by sending less in proportion. A
// breaker still opens on Transient and Fault failures of a dependency that
// is down.
//
// A Throttle is safe for concurrent use; share one per dependency.
type Throttle struct {
	cfg throttleConfig

	mu     sync.Mutex
	origin time.Time
	win    counts
	rnd    *rand.Rand
}

var _ paved.Middleware = (*Throttle)(nil)

// NewThrottle returns a Throttle configured by opts, or an error naming the
// option out of range.
func NewThrottle(opts ...ThrottleOption) (*Throttle, error) {
	cfg, err := newThrottleConfig(opts)
	if err != nil {
		return nil, err
	}
	t := &Throttle{cfg: cfg, origin: cfg.clk.Now()}
	t.win.init(throttleBuckets, cfg.window)
	seed := cfg.seed
	if !cfg.seeded {
		seed = rand.Uint64()
	}
	t.rnd = rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	return t, nil
}

// MustNewThrottle is NewThrottle that panics on an invalid option: for
// options fixed in code.
func MustNewThrottle(opts ...ThrottleOption) *Throttle {
	t, err := NewThrottle(opts...)
	if err != nil {
		panic(err)
	}
	return t
}

// throttleBuckets is how many buckets the window is kept in: the counts
// age out a sixtieth of the window at a time (2 s of the default 2 m).
const throttleBuckets = 60

// Wrap returns next guarded by the Throttle. The returned Op is safe for
// concurrent use.
func (t *Throttle) Wrap(next paved.Op) paved.Op {
	return func(ctx context.Context) error { return t.run(ctx, next) }
}

func (t *Throttle) run(ctx context.Context, next paved.Op) error {
	now := t.now()
	t.mu.Lock()
	t.win.advance(now)
	p := t.probabilityLocked()
	refuse := p > 0 && t.rnd.Float64() < p
	if refuse {
		t.win.add(now, 1, 0)
	}
	t.mu.Unlock()
	if refuse {
		err := paved.NewRejection(ErrThrottled, 0)
		paved.Emit(ctx, telemetry.Event{Name: telemetry.EventShed, Policy: "throttle", Err: err})
		return err
	}
	err := next(ctx)
	var o paved.Outcome
	if err != nil {
		if c := paved.CallFrom(ctx); c != nil {
			o = c.Classify(err)
		} else {
			o = paved.DefaultClassifier.Classify(err)
		}
		if o == paved.OutcomeCanceled || o == paved.OutcomeRejected {
			return err
		}
	}
	var acc int64
	if t.cfg.accepted(o) {
		acc = 1
	}
	now = t.now()
	t.mu.Lock()
	t.win.add(now, 1, acc)
	t.mu.Unlock()
	return err
}

// probabilityLocked is the SRE book's formula over the window, capped.
func (t *Throttle) probabilityLocked() float64 {
	req, acc := t.win.sum()
	if req < t.cfg.minReq {
		return 0
	}
	p := (float64(req) - t.cfg.k*float64(acc)) / float64(req+1)
	return min(max(0, p), t.cfg.maxP)
}

// Probability returns the probability with which the Throttle refuses a call
// now.
func (t *Throttle) Probability() float64 {
	now := t.now()
	t.mu.Lock()
	defer t.mu.Unlock()
	t.win.advance(now)
	return t.probabilityLocked()
}

// Counts returns the requests and accepts in the window now: for tests,
// dashboards and diagnostics.
func (t *Throttle) Counts() (requests, accepts int64) {
	now := t.now()
	t.mu.Lock()
	defer t.mu.Unlock()
	t.win.advance(now)
	return t.win.sum()
}

func (t *Throttle) now() time.Duration { return t.cfg.clk.Since(t.origin) }
