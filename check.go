package paved

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"

	"github.com/paved-go/paved/telemetry"
)

// Role is the step of a paved pipeline a Middleware takes (docs/design.md,
// "The order of a paved pipeline"). A policy says its role with a method
// Role() Role; Check reads it. Middleware without one is RoleOther, which
// Check leaves alone.
type Role uint8

// Roles, in the order of a paved pipeline, outermost first. A timeout's
// role is positional: outside the retry or hedge it is the total timeout,
// inside it the per-attempt one.
const (
	RoleOther          Role = iota // not a step Check knows
	RoleTimeout                    // timeout.Timeout
	RoleRetry                      // retry.Retry
	RoleHedge                      // hedge.Hedge
	RoleBreaker                    // breaker.Breaker
	RoleBulkhead                   // a bulkhead or adaptive concurrency limit
	RoleRateLimit                  // a client rate limit
	RoleThrottle                   // client-side adaptive throttling (loadshed.Throttle), beside the breaker
	RoleKeyedRateLimit             // a rate limit per key (ratelimit.Keyed, redisrate.Limiter)
	RoleLoadShed                   // server load shedding (loadshed.Shedder)
)

var roleNames = [...]string{"middleware", "timeout", "retry", "hedge", "breaker", "bulkhead", "rate limit",
	"throttle", "per-key rate limit", "load shedder"}

// String returns the role's name: "retry", "breaker", ...
func (r Role) String() string {
	if int(r) < len(roleNames) {
		return roleNames[r]
	}
	return "middleware"
}

// rank is the step's place in the documented order; 0 for steps whose place
// Check does not enforce (timeouts are checked on their own).
func (r Role) rank() int {
	switch r {
	case RoleRetry, RoleHedge:
		return 1
	case RoleBreaker, RoleThrottle:
		return 2
	case RoleBulkhead:
		return 3
	case RoleRateLimit, RoleKeyedRateLimit:
		return 4
	}
	return 0
}

type roler interface{ Role() Role }

// ErrComposition is what every error of Check matches with errors.Is.
var ErrComposition = errors.New("paved: pipeline composition")

// CompositionError is Check's error: every problem found, each naming the
// STANDARDS.md rule it breaks.
type CompositionError struct {
	Problems []string // "RS-4: middleware 3 (retry) is a second retry: ..."
}

func (e *CompositionError) Error() string {
	return "paved: pipeline composition: " + strings.Join(e.Problems, "; ")
}

// Is makes errors.Is(err, ErrComposition) hold.
func (e *CompositionError) Is(target error) bool { return target == ErrComposition }

// Check reports what is wrong with a pipeline made of ms (as New would
// build it, the first outermost), and nil when nothing is:
//
//   - a second retry or hedge (STANDARDS.md RS-4): attempts multiply, three
//     attempts around three attempts make nine;
//   - a timeout outside the retry or hedge other than the outermost one
//     (RS-15): a per-attempt timeout placed there bounds all the attempts
//     and the waits between them, so a hung attempt leaves no time to try
//     again; it belongs inside the retry;
//   - a total timeout shorter than a per-attempt timeout (RS-1);
//   - a retry or hedge with no timeout at all (RS-1): retries and backoff
//     with no deadline can hold the caller without bound;
//   - a breaker, throttle, bulkhead or rate limit (per key or not) outside
//     the retry or hedge, or these out of their order (RS-15): a breaker or
//     throttle outside retry counts a call once whatever its attempts, a
//     rate limit outside retry lets retries spend no tokens;
//   - a per-key rate limit inside a load shedder (RS-8, RS-15): a caller
//     over its quota takes a place in the shedder (a slot, a queue place)
//     before it is refused, so one noisy caller still crowds out the
//     others; the server order is deadline, per-caller limit, shedder.
//
// Middleware whose role Check does not know (a Role() method says it)
// is skipped. New runs Check too and reports what it finds as a
// pipeline_misordered event (a warning when the telemetry has a logger) but
// builds the pipeline anyway; call Check in a test, or at start-up, to fail
// instead.
func Check(ms ...Middleware) error {
	var flat []Middleware
	for _, m := range Chain(ms...).(chain) {
		if _, ok := m.(*Option); !ok {
			flat = append(flat, m)
		}
	}
	return check(flat)
}

func roleOf(m Middleware) Role {
	if r, ok := m.(roler); ok {
		return r.Role()
	}
	return RoleOther
}

func check(ms []Middleware) error {
	var problems []string
	add := func(rule, format string, args ...any) {
		problems = append(problems, rule+": "+fmt.Sprintf(format, args...))
	}
	attempts := -1 // index of the first retry or hedge
	timeouts := 0
	for i, m := range ms {
		switch r := roleOf(m); r {
		case RoleRetry, RoleHedge:
			if attempts >= 0 {
				add("RS-4", "middleware %d (%s) is a second retry or hedge in the pipeline (the first is middleware %d, %s): attempts multiply; retry at one layer",
					i+1, r, attempts+1, roleOf(ms[attempts]))
				continue
			}
			attempts = i
		case RoleTimeout:
			timeouts++
		}
	}
	if attempts >= 0 && timeouts == 0 {
		add("RS-1", "the %s has no timeout around it or its attempts: add a total timeout outside it and a per-attempt timeout inside", roleOf(ms[attempts]))
	}
	if attempts >= 0 {
		outer := -1
		var total time.Duration
		for i, m := range ms[:attempts] {
			switch roleOf(m) {
			case RoleTimeout:
				if outer >= 0 {
					add("RS-15", "middleware %d (timeout) is a second timeout outside the %s: a per-attempt timeout belongs inside it, or a hung attempt leaves no time to try again", i+1, roleOf(ms[attempts]))
					continue
				}
				outer = i
				total = durationOf(m)
			case RoleBreaker, RoleThrottle, RoleBulkhead, RoleRateLimit, RoleKeyedRateLimit:
				add("RS-15", "middleware %d (%s) is outside the %s: put it inside, so each attempt is admitted and counted on its own", i+1, roleOf(m), roleOf(ms[attempts]))
			}
		}
		for i, m := range ms[attempts+1:] {
			if roleOf(m) == RoleTimeout {
				if d := durationOf(m); total > 0 && d > total {
					add("RS-1", "middleware %d (timeout, %v per attempt) is longer than the total timeout (%v): an attempt can never use it", attempts+i+2, d, total)
				}
			}
		}
	}
	last, lastAt := 0, 0
	for i, m := range ms {
		r := roleOf(m)
		if k := r.rank(); k > 1 {
			if k < last {
				add("RS-15", "middleware %d (%s) is outside middleware %d (%s): the order, outermost first, is breaker (or throttle), bulkhead, rate limit", lastAt+1, roleOf(ms[lastAt]), i+1, r)
				continue
			}
			last, lastAt = k, i
		}
	}
	shed := -1
	for i, m := range ms {
		switch roleOf(m) {
		case RoleLoadShed:
			if shed < 0 {
				shed = i
			}
		case RoleKeyedRateLimit:
			if shed >= 0 {
				add("RS-15", "middleware %d (per-key rate limit) is inside middleware %d (load shedder): put it outside, so a caller over its quota is refused before it takes a place in the shedder", i+1, shed+1)
			}
		}
	}
	if len(problems) == 0 {
		return nil
	}
	return &CompositionError{Problems: problems}
}

func durationOf(m Middleware) time.Duration {
	if d, ok := m.(interface{ Duration() time.Duration }); ok {
		return d.Duration()
	}
	return 0
}

// reportComposition emits New's pipeline_misordered events.
func reportComposition(p *Pipeline, ms []Middleware) {
	err := check(ms)
	if err == nil {
		return
	}
	for _, pr := range err.(*CompositionError).Problems {
		rule, _, _ := strings.Cut(pr, ":")
		p.tel.Emit(context.Background(), p.name, telemetry.Event{
			Name:   telemetry.EventPipelineMisordered,
			Policy: "pipeline",
			Attrs: []attribute.KeyValue{
				attribute.String(telemetry.AttrRule, rule),
				attribute.String(telemetry.AttrProblem, pr),
			},
		})
	}
}
