package limit

import (
	"fmt"
	"math"
	"time"
)

// AIMDConfig is AIMD's shape. The defaults (DefaultAIMD) are those of
// Netflix concurrency-limits' AIMDLimit.
type AIMDConfig struct {
	// Backoff is the factor a drop multiplies the limit by. [0.5, 1);
	// default 0.9.
	Backoff float64
	// Timeout is the RTT above which a sample counts as a drop. Must be
	// > 0; default 5s.
	Timeout time.Duration
}

// DefaultAIMD is Netflix's AIMDLimit defaults.
var DefaultAIMD = AIMDConfig{Backoff: 0.9, Timeout: 5 * time.Second}

// Validate reports the first out-of-range field.
func (c AIMDConfig) Validate() error {
	switch {
	case !(c.Backoff >= 0.5 && c.Backoff < 1):
		return fmt.Errorf("AIMD Backoff must be in [0.5, 1), got %v", c.Backoff)
	case c.Timeout <= 0:
		return fmt.Errorf("AIMD Timeout must be > 0, got %v", c.Timeout)
	}
	return nil
}

// AIMD is Netflix concurrency-limits' AIMDLimit, loss-based:
//
//	dropped or RTT > Timeout    limit = max(1, min(limit-1, floor(limit*Backoff)))
//	inflight*2 >= limit         limit = limit + 1
//	otherwise                   unchanged (app-limited)
//
// It ignores latency below Timeout, so it suits dependencies that say when
// they are overloaded (429, RESOURCE_EXHAUSTED) better than those that only
// slow down.
type AIMD struct{ cfg AIMDConfig }

// NewAIMD returns an AIMD for c, or an error naming the field out of range.
func NewAIMD(c AIMDConfig) (*AIMD, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return &AIMD{cfg: c}, nil
}

// Name is "aimd".
func (a *AIMD) Name() string { return "aimd" }

// Update implements Algorithm.
func (a *AIMD) Update(limit float64, s Sample) float64 {
	cur := math.Floor(limit)
	switch {
	case s.Dropped || s.RTT > a.cfg.Timeout:
		return max(1, min(cur-1, math.Floor(cur*a.cfg.Backoff)))
	case float64(s.Inflight)*2 >= cur:
		return cur + 1
	}
	return limit
}
