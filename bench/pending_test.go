package bench

import "errors"

// The floor's refusals (never returned while measured: the rows admit every call).
var (
	errLimited = errors.New("rate limited")
	errFull    = errors.New("bulkhead full")
)

// pavedRateLimiter and pavedBulkhead are paved's rows of BenchmarkRateLimiter
// and BenchmarkBulkhead, added when package ratelimit and bulkhead land.
func pavedRateLimiter() []impl { return nil }
func pavedBulkhead() []impl    { return nil }

// pavedFullPipeline is paved's row of BenchmarkFullPipeline, which needs both.
func pavedFullPipeline() []impl { return nil }
