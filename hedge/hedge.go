package hedge

import (
	"context"
	"fmt"
	"log/slog"
	"runtime"
	"runtime/debug"
	"sync/atomic"
	"time"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/internal/budget"
	"github.com/paved-go/paved/internal/quantile"
	"github.com/paved-go/paved/telemetry"
	"go.opentelemetry.io/otel/attribute"
)

// Hedge is a paved.Middleware that starts another attempt when the previous
// one is slow, and keeps the first success. Build it with New. It is safe for
// concurrent use; each pipeline it is built into (each Wrap) gets its own
// budget and latency tracker.
type Hedge struct {
	cfg    config
	shared *sharedState // WithSharedState; nil: new state per Wrap
}

var _ paved.Middleware = (*Hedge)(nil)

// New returns a Hedge with the defaults (see the package doc) changed by
// opts. An invalid option gives an error naming the field and its range.
func New(opts ...Option) (*Hedge, error) {
	cfg, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	h := &Hedge{cfg: cfg}
	if cfg.shared {
		s := newState(&h.cfg)
		h.shared = &s
	}
	return h, nil
}

// MustNew is New that panics on an invalid option: for pipelines built from
// constants, where a bad option is a programmer error.
func MustNew(opts ...Option) *Hedge {
	h, err := New(opts...)
	if err != nil {
		panic(err)
	}
	return h
}

// Wrap returns next with hedging.
func (h *Hedge) Wrap(next paved.Op) paved.Op {
	w := &wrapped{cfg: &h.cfg, next: next}
	s := h.shared
	if s == nil {
		st := newState(&h.cfg)
		s = &st
	}
	w.budget, w.latency = s.budget, s.latency
	return w.run
}

// wrapped is one pipeline's hedge.
type wrapped struct {
	cfg     *config
	next    paved.Op
	budget  *budget.Budget    // nil: WithoutBudget
	latency *quantile.Tracker // nil: fixed delay
}

func (w *wrapped) delay() time.Duration {
	if w.latency != nil {
		if q, ok := w.latency.Quantile(); ok {
			return q
		}
	}
	return w.cfg.delay
}

// result is what an attempt's goroutine reports.
type result struct {
	i   int
	err error
	p   *attemptPanic // non-nil: the attempt panicked or called runtime.Goexit
	end time.Time
}

// attemptPanic is an attempt that did not return: a panic, with its value and
// the attempt's stack, or a runtime.Goexit (as t.FailNow does).
type attemptPanic struct {
	value  any
	stack  []byte
	goexit bool
	// taken is set by the caller when it raises the panic itself, before the
	// call is over; an attempt whose panic was not taken raises it again in
	// its own goroutine.
	taken atomic.Bool
}

// attempt is one started attempt of a hedged call.
type attempt struct {
	a       *paved.Attempt
	cancel  context.CancelFunc
	start   time.Time
	done    bool
	ticket  budget.Ticket // what the budget granted the hedge
	pending bool          // ticket granted, not yet settled
	retry   bool          // started at once after a failure: a retry, free if it answers
}

func (w *wrapped) run(ctx context.Context) error {
	call := paved.CallFrom(ctx)
	if call == nil || !call.Concurrent() {
		return w.single(ctx)
	}
	h := &hedged{w: w, call: call, ctx: ctx, results: make(chan result, 1+w.cfg.maxHedges), over: make(chan struct{})}
	defer close(h.over)
	return h.run()
}

// single runs a call that may not be hedged, still feeding the latency
// tracker. A retryable failure of a call that is not safe to repeat is
// reported (unsafe_to_repeat), since a hedge would have followed it; a
// Sequential call (a keyed POST) is not, since a retry may still repeat it,
// nor an attempt that never left the process.
func (w *wrapped) single(ctx context.Context) error {
	var start time.Time
	if w.latency != nil {
		start = w.cfg.clock.Now()
	}
	err := w.next(ctx)
	o := paved.OutcomeSuccess
	c := paved.CallFrom(ctx)
	if err != nil {
		if c != nil {
			o = c.Classify(err)
		} else {
			o = paved.DefaultClassifier.Classify(err)
		}
	}
	if w.latency != nil && answered(o) {
		w.latency.Record(w.cfg.clock.Since(start))
	}
	if c != nil && o.Retryable() && !c.SafeToRepeat() && !paved.AttemptFrom(ctx).Unsent() {
		reason := c.UnsafeReason()
		if reason == "" {
			reason = "the call is marked unrepeatable"
		}
		paved.Emit(ctx, telemetry.Event{Name: telemetry.EventUnsafeToRepeat, Policy: "hedge", Err: err,
			Attrs: []attribute.KeyValue{attribute.String(telemetry.AttrUnsafeReason, reason)}})
	}
	return err
}

// answered reports whether an attempt's latency is the dependency's time to
// answer, which the adaptive delay learns from: a success or a Permanent
// answer. Failures are left out: a fast "unavailable" or "connection refused"
// during an outage would pull the quantile down to the failure latency, and
// hedges would fire at once just when the dependency is weakest.
func answered(o paved.Outcome) bool {
	return o == paved.OutcomeSuccess || o == paved.OutcomePermanent
}

// hedged is the state of one hedged call, owned by the caller's goroutine.
type hedged struct {
	w        *wrapped
	call     *paved.Call
	ctx      context.Context
	results  chan result   // buffered for every attempt: no goroutine blocks on it
	over     chan struct{} // closed when the call returns (or panics)
	attempts []attempt
	pending  int
	raised   atomic.Bool // the caller re-raised an attempt's panic
}

func (h *hedged) run() error {
	cfg := h.w.cfg
	maxN := 1 + cfg.maxHedges
	h.start(paved.AttemptFrom(h.ctx), h.ctx, budget.Ticket{}, false, false)
	delay := h.w.delay()
	timer := cfg.clock.NewTimer(delay)
	defer timer.Stop()
	noMore := false
	// notBefore is when the server's pushback (a Retry-After, a
	// grpc-retry-pushback-ms) lets the next hedge start; zero: now.
	var notBefore time.Time
	// last is the latest retryable failure: the call's answer unless a later
	// attempt does better. It is kept, not discarded, until one does, so that
	// a hedge our own policies refuse leaves the caller the real answer.
	var last result
	hasLast := false
	for {
		var tick <-chan time.Time
		if !noMore && len(h.attempts) < maxN {
			tick = timer.C()
		}
		select {
		case r := <-h.results:
			h.pending--
			h.attempts[r.i].done = true
			if r.p != nil {
				h.raise(r)
			}
			o := h.call.Classify(r.err)
			h.settle(r.i, o)
			if answered(o) && h.w.latency != nil {
				h.w.latency.Record(r.end.Sub(h.attempts[r.i].start))
			}
			if o == paved.OutcomeRejected && len(h.attempts) > 1 {
				// One of our own policies inside the hedge (a full bulkhead, a
				// limiter, a half-open breaker) refused an extra attempt: the
				// system is saturated, so hedge no more, and let the attempts
				// still running answer. Canceling them would turn a slow
				// success into a failure just when load is highest. The
				// refused attempt cost the dependency nothing, nor the budget.
				noMore = true
				h.attempts[r.i].a.Discard()
				if h.pending > 0 {
					continue
				}
				if hasLast {
					return h.commit(last) // the dependency's own answer says more than our refusal
				}
				return h.commit(r)
			}
			if !o.Retryable() { // a success, or an answer another attempt cannot improve
				if answered(o) {
					h.earn()
				}
				return h.commit(r)
			}
			switch {
			case hasLast && h.attempts[r.i].a.Unsent() && !h.attempts[last.i].a.Unsent():
				// r never reached the dependency: it says nothing in place
				// of the last real answer, which stands.
				h.attempts[r.i].a.Discard()
			default:
				if hasLast {
					h.attempts[last.i].a.Discard() // r answers in its place
				}
				last, hasLast = r, true
			}
			if push, ok := paved.RetryAfter(r.err); ok {
				// gRFC A6: pushback applies to hedges. "Do not retry" stops
				// them; a delay postpones the next one.
				if push < 0 {
					if !noMore {
						// The server, or the tier below, already retried:
						// repeating would multiply its attempts.
						paved.Emit(h.ctx, telemetry.Event{Name: telemetry.EventRetriesExhausted, Policy: "hedge", Attempt: h.attempts[r.i].a.Number(), Err: r.err,
							Attrs: []attribute.KeyValue{attribute.String(telemetry.AttrRetryReason, "pushback")}})
					}
					noMore = true
				} else if at := cfg.clock.Now().Add(min(push, cfg.maxPushback)); at.After(notBefore) {
					notBefore = at
					if dl, ok := h.ctx.Deadline(); ok && !notBefore.Before(dl) {
						noMore = true // the caller will not wait that long
					}
				}
			}
			if !noMore && len(h.attempts) < maxN {
				if wait := notBefore.Sub(cfg.clock.Now()); wait > 0 {
					// The timer starts the next hedge when the pushback ends.
					timer.Reset(wait)
					if h.pending == 0 {
						continue
					}
				} else if t, granted, ok := h.allow(); ok {
					// A transient failure: the next hedge starts at once
					// (gRFC A6), as a retry of this one.
					h.hedge(0, r.err, t, granted, true)
					timer.Reset(delay)
					continue
				} else {
					noMore = true
				}
			}
			if h.pending == 0 && (noMore || len(h.attempts) >= maxN) {
				return h.commit(last)
			}
		case <-tick:
			if wait := notBefore.Sub(cfg.clock.Now()); wait > 0 {
				timer.Reset(wait)
				continue
			}
			t, granted, ok := h.allow()
			if !ok {
				noMore = true
				if h.pending == 0 && hasLast {
					return h.commit(last)
				}
				continue
			}
			h.hedge(delay, nil, t, granted, hasLast && h.pending == 0)
			if len(h.attempts) < maxN {
				timer.Reset(delay)
			}
		case <-h.ctx.Done():
			h.cancelAll(-1)
			return h.ctx.Err()
		}
	}
}

// allow asks the budget for one hedge.
func (h *hedged) allow() (t budget.Ticket, granted, ok bool) {
	if h.w.budget == nil {
		return budget.Ticket{}, false, true
	}
	t, ok = h.w.budget.Allow(1)
	return t, ok, ok
}

// settle pays for hedge i by its outcome o, once: nothing if our own policy
// refused it (it never reached the dependency) or if it was a retry that
// answered; its cost otherwise, since a hedge on delay is an extra request
// whichever attempt wins.
func (h *hedged) settle(i int, o paved.Outcome) {
	at := &h.attempts[i]
	if !at.pending {
		return
	}
	at.pending = false
	switch {
	case o == paved.OutcomeRejected:
		h.w.budget.Cancel(at.ticket)
	case at.retry && answered(o):
	default:
		h.w.budget.Spend(at.ticket)
	}
}

func (h *hedged) earn() {
	if h.w.budget != nil {
		h.w.budget.Earn()
	}
}

// hedge starts another attempt and reports it.
func (h *hedged) hedge(delay time.Duration, cause error, t budget.Ticket, granted, retry bool) {
	actx, a := h.call.NewAttempt(h.ctx)
	paved.Emit(h.ctx, telemetry.Event{Name: telemetry.EventHedge, Policy: "hedge", Attempt: a.Number(), Delay: delay, Err: cause})
	h.start(a, actx, t, granted, retry)
}

// start runs an attempt in its own goroutine with its own cancelable context.
func (h *hedged) start(a *paved.Attempt, actx context.Context, t budget.Ticket, granted, retry bool) {
	actx, cancel := context.WithCancel(actx)
	i := len(h.attempts)
	h.attempts = append(h.attempts, attempt{a: a, cancel: cancel, start: h.w.cfg.clock.Now(), ticket: t, pending: granted, retry: retry})
	h.pending++
	clk, next, results, over := h.w.cfg.clock, h.w.next, h.results, h.over
	go func() {
		r := result{i: i}
		returned := false
		defer func() {
			if !returned {
				// recover() is nil only for runtime.Goexit: since Go 1.21
				// panic(nil) panics with a *runtime.PanicNilError.
				v := recover()
				r.p = &attemptPanic{value: v, goexit: v == nil}
				if v != nil {
					r.p.stack = debug.Stack()
				}
			}
			r.end = clk.Now()
			results <- r
			if r.p == nil || r.p.goexit {
				return // a loser's Goexit ends only its own goroutine, as it would unhedged
			}
			<-over
			if !r.p.taken.Load() && h.raised.Load() {
				// The caller already re-raised another attempt's panic (and may
				// have recovered it, as net/http does): one crash report is
				// enough, and a second would kill a process that survived the first.
				h.logPanic("hedge: another attempt of a call that panicked also panicked", r)
				return
			}
			if !r.p.taken.Load() {
				// The call was decided without this attempt and nobody will
				// read its result: crash, as a panic in any goroutine does,
				// rather than let it vanish. Raised here, inside the deferred
				// call, the panicking frames are still on the stack, so the
				// crash report shows where the attempt panicked.
				panic(r.p.value)
			}
		}()
		r.err = next(actx)
		returned = true
	}()
}

// raise ends the call with r's panic (or Goexit), in the caller's goroutine
// as if the attempt had run there, after the other attempts were canceled.
// The panic value is unchanged; the attempt's own stack, which the re-raised
// panic no longer shows, is logged at Error level (the pipeline telemetry's
// logger, else slog's default).
func (h *hedged) raise(r result) {
	r.p.taken.Store(true)
	h.raised.Store(true)
	h.cancelAll(-1)
	if r.p.goexit {
		runtime.Goexit()
	}
	h.logPanic("hedge: attempt panicked; raising it in the caller", r)
	panic(r.p.value)
}

// logPanic logs an attempt's panic with its own stack at Error level, to the
// pipeline telemetry's logger, else slog's default.
func (h *hedged) logPanic(msg string, r result) {
	log := h.call.Telemetry().Logger()
	if log == nil {
		log = slog.Default()
	}
	log.ErrorContext(h.ctx, msg,
		slog.String("pipeline", h.call.Pipeline()),
		slog.Int("attempt", r.i+1),
		slog.String("panic", fmt.Sprint(r.p.value)),
		slog.String("stack", string(r.p.stack)))
}

// commit makes r's attempt the call's result: the others are canceled and
// discarded (their responses closed when they land), and the winner's
// context lives until its result is released.
func (h *hedged) commit(r result) error {
	win := h.attempts[r.i]
	if len(h.attempts) > 1 {
		h.call.SetFinal(win.a)
	}
	h.cancelAll(r.i)
	if !win.a.Hold(win.cancel) {
		win.cancel()
	}
	return r.err
}

// cancelAll cancels and discards every attempt but keep (-1: all). A loser
// still running is canceled first, so it stops, and its result is discarded
// when it lands; a loser that already finished (a transient failure) is
// discarded first, while its context is alive, because discarding drains an
// HTTP body, and a body read under a canceled context fails and closes its
// connection instead of returning it to the pool. A loser still running is
// recorded at its elapsed time, a lower bound of its latency, so that the slow
// tail the hedge cut short still shapes the adaptive delay.
func (h *hedged) cancelAll(keep int) {
	now := h.w.cfg.clock.Now()
	for i := range h.attempts {
		if i == keep {
			continue
		}
		at := &h.attempts[i]
		if at.done {
			at.a.Discard()
			at.cancel()
			continue
		}
		// A loser still running was sent: the dependency pays for it, so
		// the budget does.
		h.settle(i, paved.OutcomeCanceled)
		at.cancel()
		at.a.Discard()
		if h.w.latency != nil {
			h.w.latency.Record(now.Sub(at.start))
		}
	}
}
