package breaker

import (
	"time"

	"github.com/paved-go/paved"
)

// openError is the refusal of a breaker whose open period runs: what
// paved.NewRejection(ErrOpen, remaining) would be (it matches ErrOpen and
// paved.ErrRejected, classifies as paved.OutcomeRejected, reads as ErrOpen,
// and its error.type is "breaker_open"), except that its RetryAfter hint is
// the time left of that period when asked. So one value serves every call
// refused in the period (Breaker.refusal), and a refused call allocates
// nothing of the breaker's.
type openError struct {
	b     *Breaker
	until int64   // the period's end, since b.origin
	errs  []error // Unwrap's, built once
}

func (e *openError) Error() string             { return ErrOpen.Error() }
func (e *openError) Unwrap() []error           { return e.errs }
func (e *openError) Outcome() paved.Outcome    { return paved.OutcomeRejected }
func (e *openError) ErrorType() string         { return "breaker_open" }
func (e *openError) RetryAfter() time.Duration { return max(0, time.Duration(e.until-e.b.now())) }

// refusal returns the refusal of the open period that ends at until,
// making it the first time that period refuses a call.
func (b *Breaker) refusal(until int64) error {
	e := b.refused.Load()
	if e.until != until {
		e = b.firstRefusal(until)
	}
	return e
}

// firstRefusal is refusal the first time the period ending at until refuses
// a call.
func (b *Breaker) firstRefusal(until int64) *openError {
	e := &openError{b: b, until: until, errs: []error{ErrOpen, paved.ErrRejected}}
	b.refused.Store(e)
	return e
}

// Refusals with no hint are the same for every breaker and every call.
var (
	errForcedOpen     = paved.NewRejection(ErrOpen, 0)
	errHalfOpenIsFull = paved.NewRejection(ErrTooManyRequests, 0)
)
