package rs15

import (
	"time"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/breaker"
	"github.com/paved-go/paved/bulkhead"
	"github.com/paved-go/paved/hedge"
	"github.com/paved-go/paved/ratelimit"
	"github.com/paved-go/paved/retry"
	"github.com/paved-go/paved/timeout"
)

func good() {
	paved.New("quickstart",
		timeout.MustNew(10*time.Second),
		retry.MustNew(),
		breaker.MustNew("b"),
		timeout.MustNew(300*time.Millisecond),
		paved.WithTelemetry(nil),
	)
	paved.New("full", timeout.MustNew(10*time.Second), hedge.MustNew(), breaker.MustNew("b"), bulkhead.MustNew(10), ratelimit.MustNew(100, 10), timeout.MustNew(time.Second))
	paved.New("no retry", breaker.MustNew("b"), timeout.MustNew(time.Second)) // a lone timeout inside: per call
	paved.New("lone total", timeout.MustNew(time.Second), breaker.MustNew("b"))
	paved.New("one", retry.MustNew())
}

func twoRetries() {
	paved.New("x", retry.MustNew(), breaker.MustNew("b"), retry.MustNew()) // want `RS-15: a second retry layer: this retry \(argument 3\) repeats each attempt of the retry \(argument 1\)`
	paved.New("y", hedge.MustNew(), retry.MustNew())                       // want `RS-15: a second retry layer: this retry \(argument 2\) repeats each attempt of the hedge`
}

func retryInsideAttemptTimeout() {
	paved.New("x", retry.MustNew(), timeout.MustNew(time.Second), breaker.MustNew("b"))                          // want `RS-15: breaker \(argument 3\) is inside the attempt timeout \(argument 2\)`
	paved.New("y", breaker.MustNew("b"), retry.MustNew(), timeout.MustNew(time.Second))                          // want `RS-15: retry \(argument 2\) is inside the breaker \(argument 1\): the breaker sees one call however many attempts the retry makes`
	paved.New("z", ratelimit.MustNew(1, 1), bulkhead.MustNew(1), paved.WithTelemetry(nil), breaker.MustNew("b")) // want `RS-15: bulkhead \(argument 2\) is inside the rate limit \(argument 1\)`
}

func durations() {
	paved.New("inverted", timeout.MustNew(300*time.Millisecond), retry.MustNew(), timeout.MustNew(10*time.Second)) // want `RS-15: the total timeout \(300ms, argument 1\) is not longer than the attempt timeout \(10s, argument 3\)`
	attempt := timeout.MustNew(2 * time.Second)
	paved.New("via variables", timeout.MustNew(2*time.Second), retry.MustNew(), attempt) // want `the total timeout \(2s, argument 1\) is not longer than the attempt timeout \(2s, argument 3\)`
}

// The two-value constructors, as most code calls them.
func durationsWithErrors() error {
	total, err := timeout.New(time.Second)
	if err != nil {
		return err
	}
	attempt, err := timeout.New(3 * time.Second)
	if err != nil {
		return err
	}
	paved.New("checked", total, retry.MustNew(), attempt) // want `the total timeout \(1s, argument 1\) is not longer than the attempt timeout \(3s, argument 3\)`
	return nil
}

func chained() {
	inner := paved.Chain(breaker.MustNew("b"), timeout.MustNew(time.Second))
	paved.New("chain", timeout.MustNew(5*time.Second), retry.MustNew(), inner) // inner is a Middleware: not visible here, no finding
	paved.New("nested", paved.Chain(breaker.MustNew("b"), retry.MustNew()))    // want `RS-15: retry \(argument 2\) is inside the breaker`
	paved.Chain(breaker.MustNew("b"), retry.MustNew())                         // want `RS-15: retry \(argument 2\) is inside the breaker`
}

func unknown(m paved.Middleware, ms []paved.Middleware) {
	paved.New("a", m, retry.MustNew())
	paved.New("b", ms...)
	paved.New("c", breaker.MustNew("b"), m, retry.MustNew()) // want `RS-15: retry \(argument 3\) is inside the breaker`
	//pavedvet:ignore RS-15 this breaker guards the whole retried call on purpose: one outage report per user request
	paved.New("d", breaker.MustNew("b"), retry.MustNew())
}
