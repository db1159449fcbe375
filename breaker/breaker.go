package breaker

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/clock"
	"github.com/paved-go/paved/telemetry"
	"github.com/sony/gobreaker/v2"
	"go.opentelemetry.io/otel/attribute"
)

// gate is gobreaker's own open duration. The open period is owned by the
// Breaker (openUntil, on the injected clock, jittered per period), so
// gobreaker's fixed Timeout is set as short as it allows: by the time our
// deadline passes, gobreaker is ready to go half-open.
const gate = time.Nanosecond

type cbreaker = gobreaker.CircuitBreaker[struct{}]

const (
	modeAuto int32 = iota
	modeForcedOpen
	modeForcedClosed
)

// Breaker is a circuit breaker middleware built on gobreaker's
// CircuitBreaker. See the package doc for its states and defaults.
// A Breaker is safe for concurrent use; one Breaker keeps one state however
// many pipelines it is wrapped into.
type Breaker struct {
	name  string
	cfg   config
	attrs []attribute.KeyValue

	cb   atomic.Pointer[cbreaker]
	mode atomic.Int32
	// origin is when the breaker was made, read from cfg.clk. Times are kept
	// as durations since it (cfg.clk.Since), which use the monotonic clock:
	// a wall-clock step (NTP, a VM resumed) neither stretches nor cuts an
	// open period. UnixNano would drop the monotonic reading.
	origin    time.Time
	realClock bool                      // cfg.clk is clock.Real(): now need not call through the interface
	openUntil atomic.Int64              // since origin; 0: no open period of ours is running
	refused   atomic.Pointer[openError] // the refusal of the latest open period (refusal); never nil
	// late is a state gobreaker went to while our open period still ran
	// (half-open: a call passed our gate just before the trip; closed: a
	// probe succeeded under TripFor's period), plus 1; 0: none. It is
	// reported when the period really ends, so the last state reported is
	// the state the breaker is in.
	late        atomic.Int32
	tripMu      sync.Mutex   // serializes TripFor, so readyToTrip sees its own tripFor
	tripFor     atomic.Int64 // TripFor's duration while it trips gobreaker
	pipeline    atomic.Pointer[string]
	pipelineTel atomic.Pointer[telemetry.Telemetry] // the first pipeline's, when WithTelemetry was not given

	// State changes are queued under qmu by gobreaker's OnStateChange, which
	// runs under gobreaker's mutex, and reported after the call that caused
	// them returns from gobreaker (flush), never from inside the callback.
	pending atomic.Bool
	qmu     sync.Mutex
	queue   []State
	emitMu  sync.Mutex // keeps reports in order

	rmu sync.Mutex
	rnd *rand.Rand
}

var _ paved.Middleware = (*Breaker)(nil)

// New returns a Breaker named name (the resilience.breaker attribute of its
// events and gauge) configured by opts. It returns an error naming the field
// when an option is out of range.
func New(name string, opts ...Option) (*Breaker, error) {
	cfg, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	return newBreaker(name, cfg), nil
}

func newBreaker(name string, cfg config) *Breaker {
	b := &Breaker{
		name:   name,
		cfg:    cfg,
		attrs:  []attribute.KeyValue{attribute.String(telemetry.AttrBreaker, name)},
		origin: cfg.clk.Now(),
	}
	b.realClock = cfg.clk == clock.Real()
	b.refused.Store(&openError{b: b}) // of no period: until 0 is none (openUntil)
	seed := cfg.seed
	if !cfg.seeded {
		seed = rand.Uint64()
	}
	b.rnd = rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	b.cb.Store(b.newGobreaker())
	return b
}

// MustNew is New that panics on an invalid option: for options fixed in code.
func MustNew(name string, opts ...Option) *Breaker {
	b, err := New(name, opts...)
	if err != nil {
		panic(err)
	}
	return b
}

// now is the time on the breaker's clock, as a duration since its origin.
func (b *Breaker) now() int64 {
	if b.realClock {
		return int64(time.Since(b.origin))
	}
	return int64(b.cfg.clk.Since(b.origin))
}

// Name returns the breaker's name.
func (b *Breaker) Name() string { return b.name }

func (b *Breaker) newGobreaker() *cbreaker {
	var self *cbreaker
	bucket := b.cfg.window / 10
	self = gobreaker.NewCircuitBreaker[struct{}](gobreaker.Settings{
		Name:         b.name,
		MaxRequests:  uint32(b.cfg.probes),
		Interval:     b.cfg.window,
		BucketPeriod: bucket,
		Timeout:      gate,
		ReadyToTrip:  b.readyToTrip,
		IsSuccessful: func(err error) bool { return err == nil },
		IsExcluded:   func(err error) bool { return err == errExcluded },
		OnStateChange: func(_ string, _, to gobreaker.State) {
			// Runs under gobreaker's mutex: touch only our own atomics and
			// queue, never the gobreaker instance.
			if b.cb.Load() == self {
				b.onStateChange(fromGobreaker(to))
			}
		},
	})
	return self
}

func (b *Breaker) readyToTrip(c gobreaker.Counts) bool {
	if b.tripFor.Load() != 0 {
		return true
	}
	if b.cfg.consecutive > 0 && c.ConsecutiveFailures >= uint32(b.cfg.consecutive) {
		return true
	}
	// Requests counts calls still in flight and excluded ones; the ratio is
	// over completed, counted calls only.
	total := c.TotalSuccesses + c.TotalFailures
	return total >= uint32(b.cfg.minCalls) && float64(c.TotalFailures) >= b.cfg.ratio*float64(total)
}

func (b *Breaker) onStateChange(to State) {
	now := b.now()
	switch to {
	case StateOpen:
		d := b.jittered(b.cfg.openFor, -b.cfg.jitter)
		if t := time.Duration(b.tripFor.Load()); t > 0 {
			// A fleet-wide trip: at least the shared time, jittered upward only
			// so no instance probes before the fleet's open state expires.
			d = max(d, b.jittered(t, 0))
		}
		b.late.Store(0)
		b.openUntil.Store(max(1, now+int64(d))) // never 0, which means "not open"
	default:
		u := b.openUntil.Load()
		if u != 0 && now < u {
			b.late.Store(int32(to) + 1)
			return
		}
		// Our open period is over but no call has ended it yet: this change
		// supersedes whatever it would report late, so that the last state
		// reported is the state the breaker is in.
		if u != 0 && b.openUntil.CompareAndSwap(u, 0) {
			b.late.Store(0)
		}
	}
	b.enqueue(to)
}

// jittered returns d scaled by a factor uniform in [1+lo, 1+jitter].
func (b *Breaker) jittered(d time.Duration, lo float64) time.Duration {
	j := b.cfg.jitter
	if j == 0 {
		return d
	}
	b.rmu.Lock()
	f := b.rnd.Float64()
	b.rmu.Unlock()
	return time.Duration(float64(d) * (1 + lo + f*(j-lo)))
}

func (b *Breaker) enqueue(s State) {
	b.qmu.Lock()
	b.queue = append(b.queue, s)
	b.qmu.Unlock()
	b.pending.Store(true)
}

// Wrap returns next guarded by the breaker. The returned Op is safe for
// concurrent use.
func (b *Breaker) Wrap(next paved.Op) paved.Op {
	return func(ctx context.Context) error { return b.run(ctx, next) }
}

func (b *Breaker) run(ctx context.Context, next paved.Op) error {
	if b.pipeline.Load() == nil {
		b.rememberPipeline(ctx)
	}
	if m := b.mode.Load(); m != modeAuto {
		if m == modeForcedClosed {
			return next(ctx)
		}
		return b.refuse(ctx, errForcedOpen, 0)
	}
	// Closed: openUntil is 0 and the clock is not read at all.
	if u := b.openUntil.Load(); u != 0 {
		now := b.now()
		if now < u {
			return b.refuse(ctx, b.refusal(u), time.Duration(u-now))
		}
		if b.openUntil.CompareAndSwap(u, 0) {
			if s := b.late.Swap(0); s != 0 {
				b.enqueue(State(s - 1))
			}
		}
	}
	// gobreaker's Execute rather than its two-step Allow, whose done func
	// is a closure allocated per call: pass below stays on the stack. A
	// panic in next is counted a failure by Execute, and goes on; the
	// deferred flush then reports what that failure changed. On every
	// other way out it reports what the call changed, after the outcome
	// funcs, or finds nothing left to report (refuse has).
	defer b.flushPending(ctx)
	ps := pass{b: b, ctx: ctx, next: next}
	_, gerr := b.cb.Load().Execute(ps.run)
	switch {
	case !ps.ran:
		sentinel := ErrOpen
		if errors.Is(gerr, gobreaker.ErrTooManyRequests) {
			sentinel = ErrTooManyRequests
		}
		return b.reject(ctx, sentinel, b.remaining())
	case ps.gated:
		return b.reject(ctx, ErrOpen, ps.after)
	}
	if ps.report != errExcluded && len(b.cfg.onOutcome) > 0 {
		for _, f := range b.cfg.onOutcome {
			f(ps.report != nil)
		}
	}
	return ps.err
}

// flushPending reports the queued state changes, if any.
func (b *Breaker) flushPending(ctx context.Context) {
	if b.pending.Load() {
		b.flush(ctx)
	}
}

// pass is one call admitted by gobreaker: its run is what Execute runs.
type pass struct {
	b      *Breaker
	ctx    context.Context
	next   paved.Op
	err    error         // what next returned
	report error         // what gobreaker was told
	after  time.Duration // what remained of our open period, when gated
	ran    bool          // gobreaker admitted the call
	gated  bool          // our open period refused it after gobreaker admitted it
}

func (p *pass) run() (struct{}, error) {
	b := p.b
	p.ran = true
	// A trip between our gate and gobreaker's: gobreaker's 1ns open
	// state has already passed, but our open period runs. Give the slot
	// back.
	if u := b.openUntil.Load(); u != 0 {
		if now := b.now(); now < u {
			p.gated, p.after = true, time.Duration(u-now)
			p.report = errExcluded
			return struct{}{}, errExcluded
		}
	}
	b.flushPending(p.ctx)
	if b.cfg.slow == 0 {
		p.err = p.next(p.ctx)
		if p.err != nil {
			p.report = b.outcome(p.ctx, p.err, time.Time{})
		}
		return struct{}{}, p.report
	}
	start := b.cfg.clk.Now()
	p.err = p.next(p.ctx)
	p.report = b.outcome(p.ctx, p.err, start)
	return struct{}{}, p.report
}

// outcome maps err to what gobreaker counts: nil (success), errFailure or
// errExcluded, per the outcome table in package paved.
func (b *Breaker) outcome(ctx context.Context, err error, start time.Time) error {
	if err != nil {
		var o paved.Outcome
		if c := paved.CallFrom(ctx); c != nil {
			o = c.Classify(err)
		} else {
			o = paved.DefaultClassifier.Classify(err)
		}
		switch {
		case o == paved.OutcomeCanceled || o == paved.OutcomeRejected:
			return errExcluded
		case o == paved.OutcomeOverload && !b.cfg.overload:
			return errExcluded // alive, and asking us to wait: see WithCountOverload
		case o.Failed():
			return errFailure
		}
	}
	// Success or Permanent: the dependency answered, but maybe too slowly.
	if b.cfg.slow > 0 && b.cfg.clk.Since(start) > b.cfg.slow {
		return errFailure
	}
	return nil
}

func (b *Breaker) remaining() time.Duration {
	if u := b.openUntil.Load(); u != 0 {
		if d := time.Duration(u - b.now()); d > 0 {
			return d
		}
	}
	return 0
}

func (b *Breaker) reject(ctx context.Context, sentinel error, after time.Duration) error {
	switch {
	case after > 0:
		return b.refuse(ctx, paved.NewRejection(sentinel, after), after)
	case sentinel == ErrTooManyRequests:
		return b.refuse(ctx, errHalfOpenIsFull, 0)
	}
	return b.refuse(ctx, errForcedOpen, 0)
}

// refuse reports the refusal err, whose hint is after, and returns it.
func (b *Breaker) refuse(ctx context.Context, err error, after time.Duration) error {
	if b.pending.Load() {
		b.flush(ctx)
	}
	paved.Emit(ctx, b.rejected(err, after))
	return err
}

func (b *Breaker) rememberPipeline(ctx context.Context) {
	if c := paved.CallFrom(ctx); c != nil {
		name := c.Pipeline()
		b.pipeline.CompareAndSwap(nil, &name)
		b.pipelineTel.CompareAndSwap(nil, c.Telemetry())
	}
}

// telemetry is where reports outside paved.Emit go: WithTelemetry's if given,
// else the telemetry of the first pipeline the breaker ran in, else the
// global providers.
func (b *Breaker) telemetry() *telemetry.Telemetry {
	if !b.cfg.telSet {
		if t := b.pipelineTel.Load(); t != nil {
			return t
		}
	}
	return b.cfg.tel
}

func (b *Breaker) pipelineName() string {
	if p := b.pipeline.Load(); p != nil {
		return *p
	}
	return ""
}

// flush reports the queued state changes: through the call in ctx when there
// is one (paved.Emit), else through the breaker's telemetry.
func (b *Breaker) flush(ctx context.Context) {
	if !b.pending.Swap(false) {
		return
	}
	b.emitMu.Lock()
	defer b.emitMu.Unlock()
	b.qmu.Lock()
	q := b.queue
	b.queue = nil
	b.qmu.Unlock()
	inCall := paved.CallFrom(ctx) != nil
	for _, s := range q {
		b.report(ctx, s, inCall)
	}
}

func (b *Breaker) report(ctx context.Context, s State, inCall bool) {
	ev := telemetry.Event{Name: s.event(), Policy: "breaker", Attrs: b.attrs}
	if inCall {
		paved.Emit(ctx, ev)
	} else {
		b.telemetry().Emit(ctx, b.pipelineName(), ev)
	}
	if !b.cfg.noGauge {
		b.telemetry().RecordBreakerState(ctx, b.pipelineName(), b.name, int64(s))
	}
}

// State returns the breaker's state now: forced states as forced, open while
// an open period runs, else gobreaker's closed or half-open.
func (b *Breaker) State() State {
	switch b.mode.Load() {
	case modeForcedOpen:
		return StateOpen
	case modeForcedClosed:
		return StateClosed
	}
	if b.remaining() > 0 {
		return StateOpen
	}
	return fromGobreaker(b.cb.Load().State())
}

// Counts returns gobreaker's counts for the current window (or half-open
// period): for tests and diagnostics.
func (b *Breaker) Counts() gobreaker.Counts { return b.cb.Load().Counts() }
