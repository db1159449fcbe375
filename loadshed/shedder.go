package loadshed

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/clock"
	"github.com/paved-go/paved/internal/limit"
	"github.com/paved-go/paved/telemetry"
)

// Shedder is server-side load shedding: admission control for the requests a
// server takes, in front of its handlers (pavedhttp.NewHandler, the pavedgrpc
// server interceptors). It admits a request while fewer than an adaptive
// concurrency limit are in flight; the others wait in a CoDel-managed queue,
// most important first, and those that cannot be served in time are shed
// with ErrShed: a 503 with Retry-After, or UNAVAILABLE with
// grpc-retry-pushback-ms. See the package doc for the whole story.
//
// A Shedder is safe for concurrent use. Use one per server (or per pool of
// handlers that share a resource), in every pipeline that admits requests to
// it.
type Shedder struct {
	cfg    config
	lim    *limit.Limiter
	fair   [4]*fairShare // per criticality level: shares are within one criticality
	clk    clock.Clock
	origin time.Time
	shed   error // the refusal, with cfg.retryAfter: one value for every shed request
	// observed is set by the first request, which makes its pipeline's
	// resilience.concurrency.* gauges read this Shedder at collection.
	observed atomic.Bool

	// nwait counts the requests queued or about to queue. It is raised
	// under mu before a queuing request's last TryAcquire and read after
	// every release, so a release either sees the waiter or the waiter sees
	// the freed slot: no wake-up is lost.
	nwait   atomic.Int64
	mu      sync.Mutex
	q       queue
	codel   codel
	timer   clock.Timer   // sweeps expired waiters; nil until first needed
	timerAt time.Duration // when timer fires; 0: not armed
}

var _ paved.Middleware = (*Shedder)(nil)

// New returns a Shedder configured by opts, or an error naming the option
// out of range.
func New(opts ...Option) (*Shedder, error) {
	cfg, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	lim, err := cfg.limiter()
	if err != nil {
		return nil, err
	}
	s := &Shedder{
		cfg:    cfg,
		lim:    lim,
		clk:    cfg.clk,
		origin: cfg.clk.Now(),
		shed:   paved.NewRejection(ErrShed, cfg.retryAfter),
	}
	s.codel = codel{target: cfg.target, interval: cfg.interval}
	for i := range s.fair {
		s.fair[i] = newFairShare(cfg.fairWindow, cfg.maxKeys, cfg.tolerance)
	}
	return s, nil
}

// MustNew is New that panics on an invalid option: for options fixed in code.
func MustNew(opts ...Option) *Shedder {
	s, err := New(opts...)
	if err != nil {
		panic(err)
	}
	return s
}

// Limit is the concurrency limit in force.
func (s *Shedder) Limit() int { return s.lim.Limit() }

// Inflight is how many admitted requests are running.
func (s *Shedder) Inflight() int { return s.lim.Inflight() }

// Queued is how many requests wait for a slot.
func (s *Shedder) Queued() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.q)
}

func (s *Shedder) now() time.Duration { return s.clk.Since(s.origin) }

// Wrap returns next behind the Shedder. The returned Op is safe for
// concurrent use.
func (s *Shedder) Wrap(next paved.Op) paved.Op {
	return func(ctx context.Context) error { return s.run(ctx, next) }
}

func (s *Shedder) run(ctx context.Context, next paved.Op) error {
	if !s.observed.Load() && s.observed.CompareAndSwap(false, true) {
		if c := paved.CallFrom(ctx); c != nil {
			telemetry.ObserveConcurrency(c.Telemetry(), c.Pipeline(), "loadshed", s)
		}
	}
	// Below the share of the lowest rank, every request is admitted as it
	// comes, without looking at its rank.
	if s.nwait.Load() == 0 && float64(s.lim.Inflight()) < threshold(0, s.lim.Limit()) {
		if tok, ok := s.lim.TryAcquire(); ok {
			return s.serve(ctx, next, tok)
		}
	}
	tok, err := s.wait(ctx)
	if err != nil {
		return err
	}
	return s.serve(ctx, next, tok)
}

// serve runs next holding tok, then releases it: with the request's latency
// as a sample, a drop if it timed out, no sample if it was canceled or
// another policy refused it. A panic releases the slot too.
func (s *Shedder) serve(ctx context.Context, next paved.Op, tok limit.Token) (err error) {
	res := limit.Ignored
	u := usageOf(ctx)
	if u.key != "" {
		u.start = s.now()
	}
	defer func() { s.release(ctx, tok, res, u) }()
	err = next(ctx)
	res = s.result(ctx, err)
	return err
}

// user is whom a request's slot time is counted against for the fair share.
type user struct {
	key   string // "": nobody
	level int8
	start time.Duration
}

func usageOf(ctx context.Context) user {
	if c := paved.CallFrom(ctx); c != nil && c.Key() != "" {
		return user{key: c.Key(), level: level(c.Priority())}
	}
	return user{}
}

func (s *Shedder) result(ctx context.Context, err error) limit.Result {
	if err == nil {
		return limit.Success
	}
	if paved.IsTimeout(err) {
		return limit.Dropped
	}
	var o paved.Outcome
	if c := paved.CallFrom(ctx); c != nil {
		o = c.Classify(err)
	} else {
		o = paved.DefaultClassifier.Classify(err)
	}
	switch o {
	case paved.OutcomeCanceled, paved.OutcomeRejected:
		return limit.Ignored
	}
	return limit.Success
}

// release frees tok's slot with res, records the time u's key held it, and
// hands freed slots to waiters.
func (s *Shedder) release(ctx context.Context, tok limit.Token, res limit.Result, u user) {
	lim, changed := s.lim.Release(tok, res)
	var now time.Duration
	if u.key != "" {
		now = s.now()
		s.fair[u.level].record(u.key, now-u.start, now)
	}
	if s.nwait.Load() > 0 {
		if u.key == "" {
			now = s.now()
		}
		s.mu.Lock()
		s.codel.released(now)
		s.dispatch(now)
		s.mu.Unlock()
	}
	if changed {
		s.limitChanged(ctx, lim)
	}
}

// wait queues the request until a slot frees, CoDel sheds it, a more
// important request takes its place in a full queue, or ctx ends.
func (s *Shedder) wait(ctx context.Context) (limit.Token, error) {
	prio, key := paved.PriorityCritical, ""
	if c := paved.CallFrom(ctx); c != nil {
		prio, key = c.Priority(), c.Key()
	}
	now := s.now()
	lvl := level(prio)
	over := key != "" && s.fair[lvl].over(key, now)
	w := &waiter{rank: rank(lvl, over), enq: now, idx: -1}

	s.mu.Lock()
	s.nwait.Add(1)
	// Waiters wait because they do not fit their share of the limit; a
	// request more important than all of them may still fit its own.
	if s.q.top() < w.rank {
		if tok, ok := s.tryAcquire(w.rank); ok {
			s.nwait.Add(-1)
			s.mu.Unlock()
			return tok, nil
		}
	}
	if v := &s.codel.lv[lvl]; v.n == 0 {
		// A queue that stayed empty for an interval is no standing queue,
		// however it was emptied: an idle server keeps up.
		if v.shedEmpty && now-v.emptyAt > s.codel.interval {
			v.shedEmpty = false
		}
		if !v.shedEmpty {
			v.lastEmpty = now // empty until this request
		}
	}
	s.sweep(now)
	if len(s.q) >= s.cfg.maxQueue {
		victim := s.q.worst()
		if victim == nil || victim.rank >= w.rank {
			s.nwait.Add(-1)
			s.mu.Unlock()
			return limit.Token{}, s.refuse(ctx, "queue_full")
		}
		s.decide(victim, "evicted", now)
	}
	w.done = make(chan struct{})
	s.q.push(w)
	s.codel.lv[lvl].n++
	s.arm(now)
	s.mu.Unlock()

	select {
	case <-w.done:
	case <-ctx.Done():
		s.mu.Lock()
		if w.idx >= 0 { // still queued: leave
			s.q.remove(w)
			s.codel.lv[lvl].n--
			s.nwait.Add(-1)
			s.emptied(s.now(), w, "")
			s.mu.Unlock()
			return limit.Token{}, ctx.Err()
		}
		s.mu.Unlock()
		if w.shed == "" { // granted as ctx ended: give the slot back
			s.release(ctx, w.tok, limit.Ignored, user{})
			return limit.Token{}, ctx.Err()
		}
	}
	if w.shed != "" {
		return limit.Token{}, s.refuse(ctx, w.shed)
	}
	return w.tok, nil
}

// decide removes w from the queue, granting it a slot (why == "") or
// shedding it, and wakes it. Under mu.
func (s *Shedder) decide(w *waiter, why string, now time.Duration) {
	s.q.remove(w)
	s.codel.lv[w.rank/2].n--
	s.nwait.Add(-1)
	w.shed = why
	close(w.done)
	s.emptied(now, w, why)
}

// emptied notes when w's level's queue becomes empty, for CoDel, w being its
// last waiter to leave it. It was empty then only if the server emptied it
// in good time: by serving w (or w leaving of its own accord) within the
// target. A queue emptied by shedding, or only by serving a request that
// had waited longer, is a standing queue and stays congested until a
// request queued after it is served in time. Under mu.
func (s *Shedder) emptied(now time.Duration, w *waiter, why string) {
	v := &s.codel.lv[w.rank/2]
	if v.n != 0 {
		return
	}
	v.emptyAt = now
	v.shedEmpty = why != "" || now-w.enq > s.codel.target
	if !v.shedEmpty {
		v.lastEmpty = now
	}
}

// tryAcquire takes a slot for a request of rank r if fewer than r's
// threshold are in flight. Under mu, so that the queue sees a consistent
// share; the limit itself is enforced by the Limiter, atomically.
func (s *Shedder) tryAcquire(r int8) (limit.Token, bool) {
	if float64(s.lim.Inflight()) >= threshold(r, s.lim.Limit()) {
		return limit.Token{}, false
	}
	return s.lim.TryAcquire()
}

// dispatch hands freed slots to the best waiters, after shedding those CoDel
// says waited too long. Under mu.
func (s *Shedder) dispatch(now time.Duration) {
	s.sweep(now)
	for len(s.q) > 0 {
		w := s.q.best(&s.codel, now)
		tok, ok := s.tryAcquire(w.rank)
		if !ok {
			return // the best waiter has the largest share: no other fits either
		}
		w.tok = tok
		s.decide(w, "", now)
	}
}

// sweep sheds the waiters that have waited longer than CoDel allows at now.
// Under mu.
func (s *Shedder) sweep(now time.Duration) {
	if len(s.q) == 0 {
		return
	}
	s.codel.observe(now)
	var maxWait [levels]time.Duration
	for l := range maxWait {
		maxWait[l] = s.codel.maxWait(int8(l), now)
	}
	for i := 0; i < len(s.q); {
		if w := s.q[i]; now-w.enq > maxWait[w.rank/2] {
			s.decide(w, "queue_timeout", now) // moves the last waiter to i
			continue
		}
		i++
	}
}

// arm makes the sweep timer fire by the next time a waiter may expire.
// Under mu.
func (s *Shedder) arm(now time.Duration) {
	if len(s.q) == 0 {
		return
	}
	at := s.codel.nextCheck(s.q.oldest()) + 1 // strictly past the limit
	if s.timerAt != 0 && s.timerAt <= at {
		return
	}
	d := max(at-now, 0)
	s.timerAt = at
	if s.timer == nil {
		s.timer = s.clk.AfterFunc(d, s.onTimer)
		return
	}
	s.timer.Reset(d)
}

func (s *Shedder) onTimer() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.timerAt = 0
	now := s.now()
	s.dispatch(now) // a slot may have been freed by a raised limit
	s.arm(now)
}

// refuse returns the shed error and reports it.
func (s *Shedder) refuse(ctx context.Context, why string) error {
	paved.Emit(ctx, telemetry.Event{Name: telemetry.EventShed, Policy: "loadshed", Err: s.shed,
		Attrs: []attribute.KeyValue{attribute.String(attrShedReason, why)}})
	return s.shed
}

func (s *Shedder) limitChanged(ctx context.Context, lim int) {
	paved.Emit(ctx, telemetry.Event{Name: telemetry.EventLimitChanged, Policy: "loadshed",
		Attrs: []attribute.KeyValue{attribute.Int(attrLimit, lim), attribute.String(attrAlgorithm, s.cfg.alg.String())}})
}

// Attribute keys of loadshed's events.
const (
	attrShedReason = "resilience.shed.reason" // on shed: queue_full, queue_timeout, evicted
	attrLimit      = telemetry.AttrLimit
	attrAlgorithm  = telemetry.AttrAlgorithm
)
