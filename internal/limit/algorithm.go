package limit

import "time"

// Sample is what one finished request (or one window of them, see Window)
// tells an Algorithm.
type Sample struct {
	// RTT is how long the request took, from admission to release: for a
	// window, the mean of its samples' RTTs.
	RTT time.Duration
	// Inflight is how many requests were in flight when this one was
	// admitted, itself included: for a window, the largest of its samples'.
	Inflight int
	// Dropped says the request timed out or the dependency refused it as
	// overloaded: for a window, whether any of its samples was dropped.
	Dropped bool
}

// Algorithm turns samples into a concurrency limit. Update is given the
// limit in force and one sample and returns the new limit, unclamped: the
// Limiter clamps it to its bounds and passes the clamped value back next
// time, so an Algorithm keeps only its latency measurements, never the
// limit itself. The limit is a float so that smoothed algorithms
// (Gradient2) can move by less than one request per update.
//
// Implementations are not safe for concurrent use: a Limiter calls Update
// under its lock. Gradient2, Vegas and AIMD are the implementations.
type Algorithm interface {
	Update(limit float64, s Sample) float64
	// Name is the algorithm's name in telemetry: "gradient2", "vegas", "aimd".
	Name() string
}
