package paved

import (
	"context"
	"sync/atomic"
)

// Attempt is one try at a call. Because hedged attempts run at once, what an
// attempt produced (an *http.Response, a gRPC reply, the T of Do) is recorded
// on the attempt itself; the policy that starts attempts marks which one is
// final (Call.SetFinal), and the others are discarded (their bodies closed).
// An Attempt is safe for concurrent use.
type Attempt struct {
	call   *Call
	n      int32       // 0 for the implicit first attempt
	unsent atomic.Bool // MarkUnsent

	// The attempt's state is guarded by call.mu: one lock per call, taken only
	// when a result is recorded or released.
	hasResult bool
	discarded bool
	released  bool
	result    any
	discard   func(any) // frees result when nobody takes it
	hold      func()    // runs on Release; see Hold
}

// AttemptFrom returns the attempt ctx belongs to, or nil outside a Pipeline
// run. Outside retry and hedge this is the call's only attempt, number 1.
func AttemptFrom(ctx context.Context) *Attempt {
	a, _ := ctx.Value(attemptKey{}).(*Attempt)
	return a
}

// Number returns the attempt's ordinal, 1 for the first.
func (a *Attempt) Number() int {
	if a.n == 0 {
		return 1 // the implicit first attempt
	}
	return int(a.n)
}

// Call returns the call the attempt belongs to.
func (a *Attempt) Call() *Call { return a.call }

// MarkUnsent records that the attempt never left this process: it failed
// before any server could see it (the connection could not be made:
// refused, no route, a DNS failure). Retry then repeats the call whatever
// its repeatability, as gRPC's transparent retries and Envoy's
// connect-failure do, within its attempts and budget. The adapters mark
// such attempts; the mark belongs to this attempt alone, so an error that
// travels on into an outer pipeline carries none.
func (a *Attempt) MarkUnsent() { a.unsent.Store(true) }

// Unsent reports whether the attempt was marked with MarkUnsent.
func (a *Attempt) Unsent() bool { return a.unsent.Load() }

// SetResult records what the attempt produced. discard, if not nil, frees v
// (drains and closes a body): discard(v) runs when the result is discarded, as a
// retry moves on, a hedge loses, or the call ends without it. It takes v so a
// static func serves, with no closure to allocate per call. A result recorded
// after its attempt was discarded is discarded at once.
//
// A result recorded over an earlier one of the same attempt discards the
// earlier: a middleware that knows nothing of attempts (a retry loop of a
// user's that calls next again with the same context) leaks nothing, and the
// last result stands.
func (a *Attempt) SetResult(v any, discard func(v any)) {
	a.call.mu.Lock()
	if a.discarded {
		a.call.mu.Unlock()
		if discard != nil {
			discard(v)
		}
		return
	}
	prev, prevDiscard := a.result, a.discard
	replaced := a.hasResult && prevDiscard != nil
	a.result, a.discard, a.hasResult = v, discard, true
	if discard != nil {
		a.call.flags.Or(flagFreeable) // before Unlock: Hold's fast path relies on it
	}
	a.call.mu.Unlock()
	if replaced && !sameValue(prev, v) {
		prevDiscard(prev)
	}
}

// sameValue reports whether a and b are the same value, false when they
// cannot be compared. Only for the rare path of a result recorded twice.
func sameValue(a, b any) (same bool) {
	defer func() {
		if recover() != nil {
			same = false
		}
	}()
	return a == b
}

// Result returns the recorded result, if any. The caller that takes the final
// result owns it, and calls Release when done with it.
func (a *Attempt) Result() (any, bool) {
	a.call.mu.Lock()
	defer a.call.mu.Unlock()
	return a.result, a.hasResult && !a.discarded
}

// Hold asks that f run when the attempt's result is released instead of now,
// and reports whether it will: true only while the attempt holds a result that
// needs freeing (one recorded with a discard func). An attempt timeout uses it
// to keep the winning attempt's context alive until its response body is closed:
//
//	if !paved.AttemptFrom(ctx).Hold(cancel) { cancel() }
func (a *Attempt) Hold(f func()) bool {
	if a.call.flags.Load()&flagFreeable == 0 {
		return false // no attempt of the call holds a result that needs freeing
	}
	a.call.mu.Lock()
	defer a.call.mu.Unlock()
	if !a.hasResult || a.discard == nil || a.discarded || a.released {
		return false
	}
	if prev := a.hold; prev != nil {
		a.hold = func() { prev(); f() }
	} else {
		a.hold = f
	}
	return true
}

// Release is called by the owner of the final result when it is done with it
// (the response body was closed): it runs the held funcs. Safe to call twice.
func (a *Attempt) Release() {
	a.call.mu.Lock()
	if a.released {
		a.call.mu.Unlock()
		return
	}
	a.released = true
	hold := a.hold
	a.hold = nil
	a.call.mu.Unlock()
	if hold != nil {
		hold()
	}
}

// Discard frees the attempt's result, now if it has one, or when it lands:
// retry calls it before trying again, hedge on the losers. Safe to call twice.
func (a *Attempt) Discard() {
	a.call.mu.Lock()
	if a.discarded {
		a.call.mu.Unlock()
		return
	}
	a.discarded = true
	discard, v := a.discard, a.result
	has := a.hasResult
	a.result, a.discard = nil, nil
	a.call.mu.Unlock()
	if has && discard != nil {
		discard(v)
	}
	a.Release()
}
