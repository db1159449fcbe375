package paved

import (
	"context"
	"database/sql"
	"errors"
	"io/fs"
	"strconv"
	"syscall"

	"github.com/paved-go/paved/telemetry"
)

// Outcome is the kind of result a call or attempt produced. Every policy asks the
// same classifier, so a retry and a breaker never disagree about one error.
//
//	Outcome           retry                       breaker
//	OutcomeSuccess    no                          success
//	OutcomeTransient  yes, if safe to repeat      failure
//	OutcomeOverload   after its delay, in budget  excluded (an option counts it)
//	OutcomeFault      no                          failure
//	OutcomePermanent  no                          success (the caller's fault)
//	OutcomeCanceled   no                          excluded
//	OutcomeRejected   no                          excluded
//
// A breaker leaves Overload out by default because an overloaded server is
// alive and has said when to come back: retry honours its delay, and
// client-side throttling is the tool for sustained overload. An on/off
// breaker in front of a server that sheds half its load would take the
// caller's goodput from half to nothing.
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

// Failed reports whether the outcome is a failure of the dependency
// (OutcomeTransient, OutcomeOverload, OutcomeFault). A circuit breaker counts
// these against it, except Overload unless told to (see the table above).
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
//   - errors of the standard library that repeating cannot cure (see
//     ClassifyKnown: sql.ErrNoRows, fs.ErrNotExist, fs.ErrPermission, ...):
//     OutcomePermanent;
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
// classifiers add only their own cases. In order of precedence:
//
//   - nil is Success;
//   - an error with an Outcome() Outcome method in its chain (Permanent,
//     Transient, Mark, status errors, refusals) is that outcome, the first
//     such error found depth first (as errors.As would find it, though an
//     error's own As method is not consulted);
//   - ErrRejected is Rejected;
//   - context.Canceled is Canceled;
//   - the standard library's errors that no repeat can cure are Permanent:
//     sql.ErrNoRows, sql.ErrTxDone, fs.ErrNotExist, fs.ErrExist,
//     fs.ErrPermission, fs.ErrInvalid, fs.ErrClosed, strconv.ErrSyntax,
//     strconv.ErrRange and errors.ErrUnsupported (matched as errors.Is does, so
//     an *os.PathError for ENOENT is fs.ErrNotExist) — unless the chain holds
//     a net.Error (a *net.OpError, a *url.Error): a connect to a Unix socket
//     that is not there yet (ENOENT) or that a policy forbids (EACCES) is a
//     network failure, worth another try.
//
// ok is false for any other error. It walks err's chain once, with type
// assertions rather than errors.As, so classifying costs a few nanoseconds
// per wrapped error (BenchmarkRetryPermanent in package retry).
func ClassifyKnown(err error) (_ Outcome, ok bool) {
	if err == nil {
		return OutcomeSuccess, true
	}
	var found knownFlags
	if o, ok := found.walk(err); ok {
		return o, true
	}
	switch {
	case found&foundRejected != 0:
		return OutcomeRejected, true
	case found&foundCanceled != 0:
		return OutcomeCanceled, true
	case found&foundPermanent != 0 && found&foundNetwork == 0:
		return OutcomePermanent, true
	}
	return 0, false
}

// permanentErrors are the standard library's errors that repeating the same
// call cannot cure: a missing row or file, a permission, a syntax error.
var permanentErrors = [...]error{
	sql.ErrNoRows, sql.ErrTxDone,
	fs.ErrNotExist, fs.ErrExist, fs.ErrPermission, fs.ErrInvalid, fs.ErrClosed,
	strconv.ErrSyntax, strconv.ErrRange,
	errors.ErrUnsupported,
}

// knownFlags records which sentinels a walk of an error chain met.
type knownFlags uint8

const (
	foundRejected knownFlags = 1 << iota
	foundCanceled
	foundPermanent
	foundNetwork // a net.Error in the chain: its errno speaks of a socket, not a file
)

// walk visits err's chain depth first, as errors.As and errors.Is do, and
// returns the outcome of the first error with an Outcome method; on the way
// it records the sentinels it meets. Unlike errors.As it does not call As
// methods: every error paved classifies states its outcome by a method of
// its own. Every sentinel compared is a pointer, so
// == never panics on an error of an incomparable type.
func (f *knownFlags) walk(err error) (Outcome, bool) {
	for err != nil {
		if o, ok := err.(outcomer); ok {
			return o.Outcome(), true
		}
		f.match(err)
		switch u := err.(type) {
		case interface{ Unwrap() error }:
			err = u.Unwrap()
		case interface{ Unwrap() []error }:
			for _, e := range u.Unwrap() {
				if o, ok := f.walk(e); ok {
					return o, true
				}
			}
			return 0, false
		default:
			return 0, false
		}
	}
	return 0, false
}

// match records the sentinels err is, by identity or by its Is method.
func (f *knownFlags) match(err error) {
	is, hasIs := err.(interface{ Is(error) bool })
	if err == ErrRejected || (hasIs && is.Is(ErrRejected)) {
		*f |= foundRejected
	}
	if err == context.Canceled || (hasIs && is.Is(context.Canceled)) {
		*f |= foundCanceled
	}
	if _, ok := err.(interface {
		Timeout() bool
		Temporary() bool
	}); ok {
		// syscall.Errno has both methods too, for files and sockets alike:
		// it is the wrapper (a *net.OpError, not a *fs.PathError) that tells.
		if _, errno := err.(syscall.Errno); !errno {
			*f |= foundNetwork
		}
	}
	if *f&foundPermanent != 0 {
		return
	}
	for _, target := range permanentErrors {
		if err == target || (hasIs && is.Is(target)) {
			*f |= foundPermanent
			return
		}
	}
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
