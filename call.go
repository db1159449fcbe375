package paved

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"

	"github.com/paved-go/paved/telemetry"
)

// Priority is a call's criticality (Google's scheme): load shedding drops the
// lowest first, and a server's callers' priority reaches the calls it makes. The
// zero value, PriorityUnset, means "inherit from the context, else
// PriorityCritical".
type Priority int8

// Priorities, from most to least important.
const (
	PriorityCriticalPlus  Priority = 2
	PriorityCritical      Priority = 1
	PriorityUnset         Priority = 0
	PrioritySheddablePlus Priority = -1
	PrioritySheddable     Priority = -2
)

// String returns the priority's name ("critical_plus", "critical", ...).
func (p Priority) String() string {
	switch p {
	case PriorityCriticalPlus:
		return "critical_plus"
	case PriorityCritical, PriorityUnset:
		return "critical"
	case PrioritySheddablePlus:
		return "sheddable_plus"
	case PrioritySheddable:
		return "sheddable"
	}
	return "unknown"
}

// CallInfo is what the caller or an adapter knows about a call before it runs.
// Attach it with WithCallInfo (or pass it to Pipeline.ExecuteWith); the
// pipeline reads it when the call starts.
type CallInfo struct {
	// Operation names what is called, such as "POST /v1/charges" or
	// "/pkg.Svc/Method". It appears in spans and events.
	Operation string
	// Unrepeatable marks a call that must not be sent twice, such as a POST without
	// an Idempotency-Key: retry and hedge make exactly one attempt. The zero value
	// means the call is safe to repeat, which is what a plain Go function run
	// through a Pipeline is assumed to be.
	Unrepeatable bool
	// Sequential marks a call that may be repeated, but never while an earlier
	// attempt may still run: a write made safe by an Idempotency-Key, which a
	// server answers with 409 Conflict while the first attempt is in flight.
	// Retry repeats it; hedge makes one attempt.
	Sequential bool
	// UnsafeReason says why the call is Unrepeatable or Sequential, such as
	// "POST without Idempotency-Key": retry and hedge report it when they
	// decline to repeat the call. Keep it to a few fixed phrases; it is
	// recorded on span events and logs.
	UnsafeReason string
	// Key identifies the caller (tenant, principal) for per-key limits and
	// idempotency scoping. Empty means unknown. Inherited by nested calls.
	Key string
	// Priority is the call's criticality; PriorityUnset inherits the caller's,
	// else PriorityCritical. Inherited by nested calls.
	Priority Priority
	// Classifier classifies this call's errors; nil means the pipeline's.
	Classifier Classifier
	// Data is the adapter's own per-call state, opaque to policies: an adapter's
	// Op reads it back with Call.Data instead of capturing it in a closure.
	Data any
	// CallerAttempt is, on a server, which attempt of its caller's this
	// request is (1 for the first; 0 when the caller did not say), from the
	// Paved-Attempt header or paved-attempt metadata the client adapters send
	// on resends. It is the call's own, never inherited.
	CallerAttempt int
}

type callInfoKey struct{}

// WithCallInfo returns a copy of ctx that carries info for the calls run with
// it. Key and Priority left empty are inherited from the call or CallInfo ctx
// already carries, so a server's caller key and priority reach the calls it
// makes downstream; every other field is the call's own.
func WithCallInfo(ctx context.Context, info CallInfo) context.Context {
	inherit(ctx, &info)
	return context.WithValue(ctx, callInfoKey{}, &info)
}

// inherit fills info's empty Key and Priority from ctx.
func inherit(ctx context.Context, info *CallInfo) {
	if info.Key != "" && info.Priority != PriorityUnset {
		return
	}
	if prev, ok := ctx.Value(callInfoKey{}).(*CallInfo); ok {
		if info.Key == "" {
			info.Key = prev.Key
		}
		if info.Priority == PriorityUnset {
			info.Priority = prev.Priority
		}
	}
}

// CallInfoFrom returns the CallInfo ctx carries, or the zero CallInfo. Inside
// a call, that is only what nested calls inherit: its Key and Priority.
func CallInfoFrom(ctx context.Context) CallInfo {
	if info, ok := ctx.Value(callInfoKey{}).(*CallInfo); ok {
		return *info
	}
	return CallInfo{}
}

// Call is one logical call through a Pipeline: what the adapters know about it,
// and its attempts. Its fields are fixed when the call starts, so a Call is safe
// for concurrent use by the attempts of one call (hedges run at once).
type Call struct {
	pipeline *Pipeline
	op       Op
	info     *CallInfo // never nil; shared with the context, never written

	// first is the implicit first attempt, embedded so a call that never retries
	// allocates no Attempt.
	first   Attempt
	retries atomic.Int32 // attempts started after the implicit first
	// flags holds flagSealed and flagMore in one word so a single-attempt call
	// ends without taking mu: NewAttempt sets flagMore, seal sets flagSealed, and
	// whichever comes second sees the other's bit and takes the slow path.
	flags atomic.Uint32
	mu    sync.Mutex // guards more, flagSealedLocked, and the state of every attempt
	more  *callMore
}

const (
	flagSealed       = 1 << iota // Run has returned
	flagMore                     // more is or is about to be set
	flagFreeable                 // some attempt recorded a result with a discard func
	flagSealedLocked             // seal took the slow path: no attempt may join more (set under mu)
	flagGaveUpBelow              // a call made with this call's context gave up: see DownstreamGaveUp
)

// callMore is the part of a Call only retries and hedges need, allocated by
// the first NewAttempt or SetFinal so the common single-attempt call stays small.
type callMore struct {
	extra []*Attempt
	final *Attempt
	sub   *Attempt // Substitute's: final whatever SetFinal says
}

var noCallInfo = &CallInfo{}

// callCtx is the context a Pipeline runs its middleware with: the caller's
// context plus the Call, in one allocation.
type callCtx struct {
	context.Context
	call Call
}

type callKey struct{}
type attemptKey struct{}

func (c *callCtx) Value(key any) any {
	switch key.(type) {
	case callKey:
		return &c.call
	case attemptKey:
		return &c.call.first
	case callInfoKey:
		// Calls nested in this one (a server handler's downstream calls) inherit
		// only who is calling and how much it matters, never this call's
		// operation, repeatability, classifier or caller attempt.
		return &CallInfo{Key: c.call.info.Key, Priority: c.call.info.Priority}
	}
	return c.Context.Value(key)
}

// CallFrom returns the Call that ctx belongs to, or nil outside a Pipeline run.
func CallFrom(ctx context.Context) *Call {
	c, _ := ctx.Value(callKey{}).(*Call)
	return c
}

// Pipeline returns the name of the pipeline running the call.
func (c *Call) Pipeline() string { return c.pipeline.name }

// Operation returns what is called, such as "POST /v1/charges"; empty if unknown.
func (c *Call) Operation() string { return c.info.Operation }

// SafeToRepeat reports whether the call may be sent more than once.
func (c *Call) SafeToRepeat() bool { return !c.info.Unrepeatable }

// Key returns the caller's key for per-key limits and idempotency scoping.
func (c *Call) Key() string { return c.info.Key }

// Priority returns the call's criticality, PriorityCritical when unset.
func (c *Call) Priority() Priority {
	if c.info.Priority == PriorityUnset {
		return PriorityCritical
	}
	return c.info.Priority
}

// UnsafeReason says why the call is not safe to repeat or hedge
// (CallInfo.UnsafeReason); empty when it is safe, or when nobody said why.
func (c *Call) UnsafeReason() string { return c.info.UnsafeReason }

// Concurrent reports whether attempts of the call may run at once (hedging):
// it is safe to repeat and not Sequential.
func (c *Call) Concurrent() bool { return !c.info.Unrepeatable && !c.info.Sequential }

// CallerAttempt returns which attempt of its caller's this server call is
// (CallInfo.CallerAttempt): 2 or more for a resend, 1 or 0 otherwise.
func (c *Call) CallerAttempt() int { return c.info.CallerAttempt }

// DownstreamGaveUp reports whether a call made through a paved Pipeline with
// this call's context (a server handler's downstream call) gave up after
// retrying, or was refused by paved's own policies (a breaker open). The
// server adapters read it to tell their caller not to retry: the retrying
// was done at the tier below, and another retry from above would multiply it
// (the "retry at one layer" rule). A downstream call gave up when it
// returned an error that is Rejected, or that has a GaveUp() bool method
// answering true (retry's ExhaustedError, unless no retry was allowed at all).
func (c *Call) DownstreamGaveUp() bool { return c.flags.Load()&flagGaveUpBelow != 0 }

// noteGaveUp marks the call that ctx belongs to, the one a call of p's with
// info was made within, when err says that call gave up. Only on the error
// path: a context lookup. A nil info is the one ctx carries.
func (p *Pipeline) noteGaveUp(ctx context.Context, info *CallInfo, err error) {
	if parent := CallFrom(ctx); parent != nil {
		p.noteGaveUpIn(ctx, parent, info, err)
	}
}

// noteGaveUpIn is noteGaveUp once parent, the call ctx belongs to, is found.
func (p *Pipeline) noteGaveUpIn(ctx context.Context, parent *Call, info *CallInfo, err error) {
	if parent.flags.Load()&flagGaveUpBelow != 0 {
		return
	}
	if info == nil {
		info = callInfo(ctx)
	}
	gaveUp := classify(p, info, err) == OutcomeRejected
	if !gaveUp {
		var g interface{ GaveUp() bool }
		gaveUp = errors.As(err, &g) && g.GaveUp()
	}
	if gaveUp {
		parent.flags.Or(flagGaveUpBelow)
	}
}

// Data returns the adapter's per-call state (CallInfo.Data).
func (c *Call) Data() any { return c.info.Data }

// Info returns everything known about the call before it ran.
func (c *Call) Info() CallInfo { return *c.info }

// Classify says what kind of outcome err is for this call: the pipeline's
// classifier (WithClassifier) if it has one, else the call's (set by the
// adapter), else DefaultClassifier. A nil err is OutcomeSuccess.
func (c *Call) Classify(err error) Outcome { return classify(c.pipeline, c.info, err) }

// classify is Classify for a call of p's with info, built or not.
func classify(p *Pipeline, info *CallInfo, err error) Outcome {
	if err == nil {
		return OutcomeSuccess
	}
	var o Outcome
	switch {
	case p.classifier != nil:
		o = p.classifier.Classify(err)
	case info.Classifier != nil:
		o = info.Classifier.Classify(err)
	default:
		return classifyDefault(err)
	}
	if o >= numOutcomes { // a user classifier's bug must not become a panic downstream
		return OutcomeFault
	}
	return o
}

// Telemetry returns the telemetry of the pipeline running the call, for
// policies that report outside paved.Emit (a breaker's state gauge).
func (c *Call) Telemetry() *telemetry.Telemetry { return c.pipeline.tel }

// Attempts returns how many attempts the call has started so far.
func (c *Call) Attempts() int { return 1 + int(c.retries.Load()) }

// NewAttempt starts another attempt of the call (the first is implicit: a policy
// that makes attempts runs the first with the context it was given). It returns a
// context that carries the new Attempt; run the attempt with it. Safe for
// concurrent use.
func (c *Call) NewAttempt(ctx context.Context) (context.Context, *Attempt) {
	ac := &attemptCtx{Context: ctx}
	a := &ac.attempt
	a.call = c
	a.n = 1 + c.retries.Add(1)
	// Either seal's fast path came first (old has flagSealed), or seal will see
	// flagMore and decide under mu (flagSealedLocked).
	old := c.flags.Or(flagMore)
	c.mu.Lock()
	if old&flagSealed != 0 || c.flags.Load()&flagSealedLocked != 0 {
		// A late hedge after Run returned: its result is discarded when it lands.
		a.discarded = true
	} else {
		if c.more == nil {
			c.more = &callMore{}
		}
		c.more.extra = append(c.more.extra, a)
	}
	c.mu.Unlock()
	return ac, a
}

// SetFinal marks a as the attempt whose result the call returns. Retry marks
// its last attempt, hedge the winner. A call with a single attempt needs no mark.
func (c *Call) SetFinal(a *Attempt) {
	c.flags.Or(flagMore)
	c.mu.Lock()
	if c.more == nil {
		c.more = &callMore{}
	}
	c.more.final = a
	c.mu.Unlock()
}

// Final returns the attempt whose result the call returns: the Substitute's
// if there is one, else the one marked with SetFinal, or the only attempt
// when there was one. It returns nil when several
// attempts ran and none was marked (the call failed before any result was kept).
func (c *Call) Final() *Attempt {
	if c.flags.Load()&flagMore == 0 {
		return &c.first // no other attempt, no mark: more is nil (NewAttempt and SetFinal set flagMore first)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.finalLocked()
}

func (c *Call) finalLocked() *Attempt {
	switch {
	case c.more == nil:
		return &c.first
	case c.more.sub != nil:
		return c.more.sub
	case c.more.final != nil:
		return c.more.final
	case len(c.more.extra) == 0:
		return &c.first
	}
	return nil
}

// seal ends the call: every attempt but the final one has its result
// discarded, now or when it lands.
func (c *Call) seal() {
	if c.flags.Or(flagSealed)&flagMore == 0 { // the common case: one attempt, and it is final
		return
	}
	c.mu.Lock()
	c.flags.Or(flagSealedLocked)
	if c.more == nil {
		c.mu.Unlock()
		return
	}
	final := c.finalLocked()
	extra := c.more.extra
	c.mu.Unlock()
	if final != &c.first {
		c.first.Discard()
	}
	for _, a := range extra {
		if a != final {
			a.Discard()
		}
	}
}

type attemptCtx struct {
	context.Context
	attempt Attempt
}

func (c *attemptCtx) Value(key any) any {
	if _, ok := key.(attemptKey); ok {
		return &c.attempt
	}
	return c.Context.Value(key)
}
