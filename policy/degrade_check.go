package policy

import (
	"slices"
	"strconv"
	"strings"
	"time"
)

var outcomeNames = []string{"transient", "overload", "fault", "permanent", "canceled", "rejected"}

func checkFallback(c *checker, x Fallback) {
	if len(x.Outcomes) == 0 {
		c.add("fallback.outcomes", "must name at least one of "+strings.Join(outcomeNames, ", "), "[]")
	}
	for i, o := range x.Outcomes {
		if !slices.Contains(outcomeNames, o) {
			c.add("fallback.outcomes["+strconv.Itoa(i)+"]", "must be one of "+strings.Join(outcomeNames, ", "), strconv.Quote(o))
		}
	}
	c.durRange("fallback.stale.max_age", x.Stale.MaxAge, time.Millisecond, 8760*time.Hour)
	c.intRange("fallback.stale.max_entries", x.Stale.MaxEntries, 1, 1_000_000)
	c.intRange("fallback.stale.max_body", x.Stale.MaxBody, 1, 1<<30)
}

// chaosErrors are the outcomes an error fault can have.
var chaosErrors = []string{"transient", "overload", "fault", "permanent"}

// checkChaos checks a chaos section, on or off: a game day's file is
// checked before the day, not when it is switched on.
func checkChaos(c *checker, path string, x Chaos) {
	c.floatRange(path+".rate", x.Rate, 0, 1, false, false)
	if x.Enabled && len(x.Faults) == 0 {
		c.add(path+".faults", "must list at least one fault when chaos is enabled", "[]")
	}
	for i, f := range x.Faults {
		p := path + ".faults[" + strconv.Itoa(i) + "]"
		kinds := 0
		if f.Error != "" {
			kinds++
			if !slices.Contains(chaosErrors, f.Error) {
				c.add(p+".error", "must be one of "+strings.Join(chaosErrors, ", "), strconv.Quote(f.Error))
			}
		}
		if f.Latency != 0 {
			kinds++
			if f.Latency < 0 || f.Latency > time.Hour {
				c.add(p+".latency", "must be more than 0s and at most 1h", fmtDur(f.Latency))
			}
		}
		if f.LatencyMedian != 0 || f.LatencyP99 != 0 {
			kinds++
			switch {
			case f.LatencyP99 == 0: // reported at the half the file has, with its line
				c.add(p+".latency_median", "must come with latency_p99 (latency_median ≤ latency_p99 ≤ 1h)", fmtDur(f.LatencyMedian))
			case f.LatencyMedian == 0:
				c.add(p+".latency_p99", "must come with latency_median (0s < latency_median ≤ latency_p99)", fmtDur(f.LatencyP99))
			default:
				if f.LatencyMedian < 0 || f.LatencyMedian > time.Hour {
					c.add(p+".latency_median", "must be more than 0s and at most 1h", fmtDur(f.LatencyMedian))
				}
				if f.LatencyP99 < f.LatencyMedian || f.LatencyP99 > time.Hour {
					c.add(p+".latency_p99", "must be at least latency_median ("+fmtDur(f.LatencyMedian)+") and at most 1h", fmtDur(f.LatencyP99))
				}
			}
		}
		if f.Hang {
			kinds++
		}
		if kinds != 1 {
			c.add(p, "must set exactly one fault: error, latency, latency_median with latency_p99, or hang: true", strconv.Itoa(kinds)+" set")
		}
		c.floatRange(p+".rate", f.Rate, 0, 1, false, false)
	}
}
