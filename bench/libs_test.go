package bench

import (
	"time"

	"github.com/failsafe-go/failsafe-go/circuitbreaker"
	"github.com/sony/gobreaker/v2"

	"github.com/paved-go/paved/breaker"
)

// Every library's breaker is set up alike, as paved's defaults are: open at a
// failure ratio of 0.5 over at least 20 calls in a 10 s rolling window, stay
// open 5 s, close after 5 successful probes. openFor is the open time of the
// open-breaker rows (long enough never to go half-open while measured).
const (
	ratio    = 0.5
	minCalls = 20
	window   = 10 * time.Second
	openFor  = 5 * time.Second
	probes   = 5

	longOpen = time.Hour

	totalTimeout   = 10 * time.Second // the README pipeline's
	attemptTimeout = 2 * time.Second
)

func gobreakerSettings(open time.Duration) gobreaker.Settings {
	return gobreaker.Settings{
		Name:         "bench",
		MaxRequests:  probes,
		Interval:     window,
		BucketPeriod: window / 10,
		Timeout:      open,
		ReadyToTrip: func(c gobreaker.Counts) bool {
			total := c.TotalSuccesses + c.TotalFailures
			return total >= minCalls && float64(c.TotalFailures) >= ratio*float64(total)
		},
	}
}

func newGobreaker(open time.Duration) *gobreaker.CircuitBreaker[any] {
	return gobreaker.NewCircuitBreaker[any](gobreakerSettings(open))
}

func newFailsafeBreaker[R any](open time.Duration) circuitbreaker.CircuitBreaker[R] {
	return circuitbreaker.NewBuilder[R]().
		WithFailureRateThreshold(ratio, minCalls, window).
		WithDelay(open).
		WithSuccessThreshold(probes).
		Build()
}

func newPavedBreaker(open time.Duration) *breaker.Breaker {
	return breaker.MustNew("bench", breaker.WithOpenDuration(open))
}
