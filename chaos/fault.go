package chaos

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/telemetry"
)

// ErrInjected matches, with errors.Is, every error a Chaos injects on the
// client side (a pipeline's attempts, chaoshttp.NewTransport, chaosgrpc's
// client interceptors), so a test can tell a rehearsed failure from a real
// one; a server's faults reach its clients as real answers do. The error of
// an ErrorOutcome fault reports the error.type "chaos_injected" in
// telemetry; an Error(err) fault reports err's, as the failure it rehearses
// would, and every injection is also a chaos_injected event.
var ErrInjected = paved.NamedError(injectedType, "chaos: injected fault")

// injectedType is the error.type of ErrInjected and of ErrorOutcome's errors.
const injectedType = "chaos_injected"

// Fault is what a Chaos does to a call it picks. The faults of this package
// (Error, ErrorOutcome, Latency, LatencyFrom, LatencyLogNormal, Hang) work wherever a Chaos
// does; the transport packages add their own (chaoshttp.Status,
// chaoshttp.Reset, chaosgrpc.Code, chaosgrpc.Reset), which only their
// transport's wrappers can apply.
//
// A Fault with a Validate() error method (the transport packages' faults
// have one) is validated by New.
type Fault interface {
	// Name names the fault in events (the resilience.chaos.fault attribute):
	// "error", "latency", "hang", "http_status", ...
	Name() string
}

// Error is the fault of failing the call with err, without running it: the
// call never reaches the dependency. The error returned matches both err and
// ErrInjected with errors.Is and classifies as err does (an unmarked error is
// Transient, as any unknown error is). err must not be nil.
func Error(err error) Fault { return errorFault{err: err} }

// ErrorOutcome is Error with an error that classifies as o: OutcomeTransient
// for a flaky dependency, OutcomeFault for a broken one, OutcomeOverload for
// one that pushes back. o must be a failure outcome (not OutcomeSuccess).
// The error's error.type is "chaos_injected", and a Chaos in an HTTP server
// pipeline (pavedhttp.NewHandler) is answered with the status of o, as
// chaoshttp.NewHandler answers it.
func ErrorOutcome(o paved.Outcome) Fault {
	return errorFault{err: &outcomeError{o: o}}
}

type errorFault struct{ err error }

func (errorFault) Name() string { return "error" }

// Latency is the fault of delaying the call by d, then running it. A call
// whose context ends during the delay returns the context's error without
// running. d must be positive.
func Latency(d time.Duration) Fault { return latencyFault{fixed: d} }

// LatencyFrom is Latency with delays drawn from dist: each picked call is
// delayed by dist(u), u uniform in [0, 1) from the Chaos's seeded source, so
// dist is the distribution's quantile function (inverse CDF). A negative
// delay counts as none. dist must not be nil.
func LatencyFrom(dist Distribution) Fault { return latencyFault{dist: dist, custom: true} }

// LatencyLogNormal is Latency with log-normal delays whose median is median
// and whose 99th percentile is p99: most calls near the median, a few far
// out, as measured service latencies are. It needs 0 < median <= p99.
func LatencyLogNormal(median, p99 time.Duration) Fault {
	f := latencyFault{median: median, p99: p99}
	if median > 0 && p99 >= median {
		f.dist = logNormal(median, p99)
	}
	return f
}

type latencyFault struct {
	fixed       time.Duration
	dist        Distribution
	custom      bool // LatencyFrom
	median, p99 time.Duration
}

func (latencyFault) Name() string { return "latency" }

func (f latencyFault) delay(u float64) time.Duration {
	if f.dist != nil {
		return max(f.dist(u), 0)
	}
	return f.fixed
}

// Distribution is a quantile function: the delay at quantile u, for u in
// [0, 1). It must be safe for concurrent use.
type Distribution func(u float64) time.Duration

// logNormal is the log-normal quantile function with the given median and
// 99th percentile.
func logNormal(median, p99 time.Duration) Distribution {
	mu := math.Log(float64(median))
	sigma := math.Log(float64(p99)/float64(median)) / z99
	return func(u float64) time.Duration {
		z := math.Sqrt2 * math.Erfinv(2*u-1)
		d := math.Exp(mu + sigma*z)
		if d >= float64(math.MaxInt64) || math.IsNaN(d) {
			return time.Duration(math.MaxInt64)
		}
		return time.Duration(d)
	}
}

// z99 is the standard normal's 99th percentile.
const z99 = 2.3263478740408408

// Hang is the fault of a dependency that never answers: the call blocks
// until its context ends and returns the context's error
// (context.DeadlineExceeded under a timeout), without running. Put a
// timeout around it (STANDARDS.md RS-1), or the call waits forever.
func Hang() Fault { return hangFault{} }

type hangFault struct{}

func (hangFault) Name() string { return "hang" }

// IsGeneric reports whether f is one of this package's faults (Error,
// ErrorOutcome, Latency, LatencyFrom, LatencyLogNormal, Hang), which every
// wrapper applies through Injection.Wait and Injection.Err: a paved
// pipeline, chaoshttp and chaosgrpc alike.
func IsGeneric(f Fault) bool {
	switch f.(type) {
	case errorFault, latencyFault, hangFault:
		return true
	}
	return false
}

// InjectedError is the error an Error fault returns. It matches ErrInjected
// and unwraps to the fault's error, whose outcome it keeps.
type InjectedError struct {
	Err error
}

func (e *InjectedError) Error() string { return e.Err.Error() }

// Unwrap returns the fault's error and ErrInjected.
func (e *InjectedError) Unwrap() []error { return []error{e.Err, ErrInjected} }

// ErrorType reports the fault's error's type in telemetry.
func (e *InjectedError) ErrorType() string { return telemetry.ErrorType(e.Err) }

// outcomeError is the error of an ErrorOutcome fault (the Err of its
// InjectedError): a failure of outcome o and nothing else, whose error.type
// is "chaos_injected".
type outcomeError struct{ o paved.Outcome }

func (e *outcomeError) Error() string          { return fmt.Sprintf("chaos: injected %s failure", e.o) }
func (e *outcomeError) Outcome() paved.Outcome { return e.o }
func (e *outcomeError) ErrorType() string      { return injectedType }

// HTTPStatus is the status a server answers the error with when a Chaos in
// its pipeline injects it (pavedhttp.NewHandler reads it through
// pavedhttp.StatusFor), as chaoshttp.StatusForOutcome gives for the outcome:
// 503 for Transient, 429 for Overload, 400 for Permanent, 500 for the rest.
// An Error(err) fault's error has no status of its own: a server answers it
// as it would answer err.
func (e *outcomeError) HTTPStatus() int {
	switch e.o {
	case paved.OutcomeTransient:
		return 503
	case paved.OutcomeOverload:
		return 429
	case paved.OutcomePermanent:
		return 400
	}
	return 500
}

// validateFault says what is wrong with f, if anything.
func validateFault(f Fault) error {
	switch f := f.(type) {
	case nil:
		return errors.New("chaos: Fault must not be nil")
	case errorFault:
		if oe, ok := f.err.(*outcomeError); ok && !validOutcome(oe.o) {
			return fmt.Errorf("chaos: ErrorOutcome must be a failure outcome (transient, overload, fault, permanent, canceled, rejected), got %s", outcomeName(oe.o))
		}
		if f.err == nil {
			return errors.New("chaos: Error needs a non-nil error")
		}
	case latencyFault:
		switch {
		case f.custom && f.dist == nil:
			return errors.New("chaos: LatencyFrom needs a non-nil Distribution")
		case f.custom:
		case f.median != 0 || f.p99 != 0:
			if f.dist == nil {
				return fmt.Errorf("chaos: LatencyLogNormal needs 0 < median <= p99, got median %v, p99 %v", f.median, f.p99)
			}
		case f.fixed <= 0:
			return fmt.Errorf("chaos: Latency must be > 0, got %v", f.fixed)
		}
	case interface{ Validate() error }:
		return f.Validate()
	}
	return nil
}

// validOutcome reports whether o is a failure outcome paved knows.
func validOutcome(o paved.Outcome) bool {
	switch o {
	case paved.OutcomeTransient, paved.OutcomeOverload, paved.OutcomeFault,
		paved.OutcomePermanent, paved.OutcomeCanceled, paved.OutcomeRejected:
		return true
	}
	return false
}

// outcomeName is o's name, or Outcome(n) for one paved does not know.
func outcomeName(o paved.Outcome) string {
	if o == paved.OutcomeSuccess || validOutcome(o) {
		return o.String()
	}
	return fmt.Sprintf("Outcome(%d)", uint8(o))
}
