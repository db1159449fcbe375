package policy

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"google.golang.org/grpc/codes"
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
		kinds += checkWireFault(c, p, f)
		if kinds != 1 {
			c.add(p, "must set exactly one fault: error, latency, latency_median with latency_p99, hang: true, http_status, grpc_code or reset: true", strconv.Itoa(kinds)+" set")
		}
		c.floatRange(p+".rate", f.Rate, 0, 1, false, false)
	}
}

// checkWireFault checks the wire's fault fields of f and returns how many
// faults they set.
func checkWireFault(c *checker, p string, f Fault) int {
	kinds := 0
	if f.HTTPStatus != 0 {
		kinds++
		c.intRange(p+".http_status", f.HTTPStatus, 400, 599)
	}
	switch {
	case f.RetryAfter != 0 && f.HTTPStatus == 0:
		c.add(p+".retry_after", "is set only with http_status", fmtDur(f.RetryAfter))
	case f.RetryAfter != 0:
		c.durRange(p+".retry_after", f.RetryAfter, 0, time.Hour)
	}
	if f.GRPCCode != "" {
		kinds++
		if _, ok := grpcCodeOf(f.GRPCCode); !ok {
			c.add(p+".grpc_code", "must be a gRPC status code other than ok, by name: "+strings.Join(grpcCodeNames(), ", "), strconv.Quote(f.GRPCCode))
		}
	}
	switch {
	case f.Pushback != 0 && f.GRPCCode == "":
		c.add(p+".pushback", "is set only with grpc_code", fmtDur(f.Pushback))
	case f.Pushback != 0:
		c.durRange(p+".pushback", f.Pushback, -time.Hour, time.Hour)
	}
	if f.Reset {
		kinds++
	}
	return kinds
}

// grpcCodes are the codes a grpc_code may name (their canonical names, in
// lower case), in code order.
var grpcCodes = []struct {
	name string
	code codes.Code
}{
	{"cancelled", codes.Canceled}, {"unknown", codes.Unknown}, {"invalid_argument", codes.InvalidArgument},
	{"deadline_exceeded", codes.DeadlineExceeded}, {"not_found", codes.NotFound},
	{"already_exists", codes.AlreadyExists}, {"permission_denied", codes.PermissionDenied},
	{"resource_exhausted", codes.ResourceExhausted}, {"failed_precondition", codes.FailedPrecondition},
	{"aborted", codes.Aborted}, {"out_of_range", codes.OutOfRange}, {"unimplemented", codes.Unimplemented},
	{"internal", codes.Internal}, {"unavailable", codes.Unavailable}, {"data_loss", codes.DataLoss},
	{"unauthenticated", codes.Unauthenticated},
}

// grpcCodeOf is the code named name, in any case (unavailable, UNAVAILABLE).
func grpcCodeOf(name string) (codes.Code, bool) {
	for _, c := range grpcCodes {
		if strings.EqualFold(c.name, name) {
			return c.code, true
		}
	}
	return 0, false
}

func grpcCodeNames() []string {
	names := make([]string, len(grpcCodes))
	for i, c := range grpcCodes {
		names[i] = c.name
	}
	return names
}
