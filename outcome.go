package paved

import (
	"context"
	"errors"

	"github.com/paved-go/paved/telemetry"
)

// Outcome is the kind of result a call or attempt produced. Every policy asks the
// same classifier, so a retry and a breaker never disagree about one error.
//
//	Outcome    retry                       breaker
//	OutcomeSuccess    no                          success
//	OutcomeTransient  yes, if safe to repeat      failure
//	OutcomeOverload   after its delay, in budget  failure
//	OutcomeFault      no                          failure
//	OutcomePermanent  no                          success (the caller's fault)
//	OutcomeCanceled   no                          excluded
//	OutcomeRejected   no                          excluded
type Outcome uint8

// The outcomes, in the order of telemetry.OutcomeNames.
const (
	// OutcomeSuccess: the dependency did its job.
	OutcomeSuccess Outcome = iota
	// OutcomeTransient: failed, and trying again may work (503, UNAVAILABLE, connection reset).
	OutcomeTransient
	// OutcomeOverload: the dependency asked us to back off (429, 503 with Retry-After, RESOURCE_EXHAUSTED).
	OutcomeOverload
	// OutcomeFault: failed, and repeating will not help here (INTERNAL, UNKNOWN).
	OutcomeFault
	// OutcomePermanent: the caller's fault (400, 404, INVALID_ARGUMENT).
	OutcomePermanent
	// OutcomeCanceled: the caller gave up.
	OutcomeCanceled
	// OutcomeRejected: one of our own policies refused the call (breaker open, bulkhead full, limited, shed).
	OutcomeRejected

	numOutcomes = iota
)

var outcomeNames = [numOutcomes]string{"success", "transient", "overload", "fault", "permanent", "canceled", "rejected"}

// String returns the outcome's name as it appears in telemetry ("success", "transient", ...).
func (o Outcome) String() string {
	if int(o) < len(outcomeNames) {
		return outcomeNames[o]
	}
	return "unknown"
}

// Failed reports whether the outcome counts as a failure of the dependency
// (OutcomeTransient, OutcomeOverload, OutcomeFault): what a circuit breaker counts against it.
func (o Outcome) Failed() bool {
	return o == OutcomeTransient || o == OutcomeOverload || o == OutcomeFault
}

// Retryable reports whether trying again may help (OutcomeTransient, OutcomeOverload).
// Whether the call is safe to repeat is a separate question: see Call.SafeToRepeat.
func (o Outcome) Retryable() bool { return o == OutcomeTransient || o == OutcomeOverload }

// A Classifier says what kind of outcome an error is. A nil error is always
// OutcomeSuccess; classifiers are not asked about it. Implementations must be safe for
// concurrent use.
type Classifier interface {
	Classify(err error) Outcome
}

// ClassifierFunc adapts a function to a Classifier.
type ClassifierFunc func(err error) Outcome

// Classify calls f(err).
func (f ClassifierFunc) Classify(err error) Outcome { return f(err) }

// DefaultClassifier classifies plain Go errors:
//
//   - an error that has an Outcome() Outcome method anywhere in its chain (the markers
//     Permanent and Transient, the adapters' status errors) is that outcome;
//   - errors.Is(err, ErrRejected): OutcomeRejected;
//   - context.Canceled: OutcomeCanceled;
//   - context.DeadlineExceeded: OutcomeTransient (a timed-out attempt may succeed next time);
//   - anything else: OutcomeTransient, as failsafe-go, resilience4j and Polly also assume of
//     an unknown error. Mark errors Permanent where repeating cannot help.
var DefaultClassifier Classifier = ClassifierFunc(classifyDefault)

type outcomer interface{ Outcome() Outcome }

func classifyDefault(err error) Outcome {
	if o, ok := ClassifyKnown(err); ok {
		return o
	}
	return OutcomeTransient
}

// ClassifyKnown answers what every classifier agrees on, so transport
// classifiers add only their own cases: nil is Success; an error with an
// Outcome() Outcome method in its chain (Permanent, Transient, Mark, status
// errors, refusals) is that outcome; ErrRejected is Rejected; context.Canceled
// is Canceled. ok is false for any other error.
func ClassifyKnown(err error) (_ Outcome, ok bool) {
	if err == nil {
		return OutcomeSuccess, true
	}
	var o outcomer
	if errors.As(err, &o) {
		return o.Outcome(), true
	}
	switch {
	case errors.Is(err, ErrRejected):
		return OutcomeRejected, true
	case errors.Is(err, context.Canceled):
		return OutcomeCanceled, true
	}
	return 0, false
}

// Permanent marks err as the caller's fault: no policy retries it and breakers do
// not count it. It returns nil for a nil err. The mark unwraps to err.
func Permanent(err error) error { return Mark(err, OutcomePermanent) }

// Transient marks err as worth trying again (if the call is safe to repeat). It
// returns nil for a nil err. The mark unwraps to err.
func Transient(err error) error { return Mark(err, OutcomeTransient) }

// Mark returns err marked with outcome o, which DefaultClassifier (and every
// classifier the adapters install) reports for it. It returns nil for a nil err.
func Mark(err error, o Outcome) error {
	if err == nil {
		return nil
	}
	return &markedError{err: err, outcome: o}
}

type markedError struct {
	err     error
	outcome Outcome
}

func (e *markedError) Error() string    { return e.err.Error() }
func (e *markedError) Unwrap() error    { return e.err }
func (e *markedError) Outcome() Outcome { return e.outcome }

// ErrorType reports the marked error's own type in telemetry, not the mark's.
func (e *markedError) ErrorType() string { return telemetry.ErrorType(e.err) }
