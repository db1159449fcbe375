package paved_test

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/breaker"
	"github.com/paved-go/paved/hedge"
	"github.com/paved-go/paved/loadshed"
	"github.com/paved-go/paved/ratelimit"
	"github.com/paved-go/paved/retry"
	"github.com/paved-go/paved/telemetry"
	"github.com/paved-go/paved/telemetry/telemetrytest"
	"github.com/paved-go/paved/timeout"
)

func TestCheck(t *testing.T) {
	total := timeout.MustNew(10 * time.Second)
	attempt := timeout.MustNew(2 * time.Second)
	r := retry.MustNew()
	h := hedge.MustNew()
	b := breaker.MustNew("b")
	th := loadshed.MustNewThrottle()
	shed := loadshed.MustNew()
	keyed := ratelimit.MustPerKey(100, 10)
	other := paved.MiddlewareFunc(func(next paved.Op) paved.Op { return next })
	cases := []struct {
		name string
		ms   []paved.Middleware
		want []string
	}{
		{"the paved order", []paved.Middleware{total, r, b, attempt}, nil},
		{"hedge in place of retry", []paved.Middleware{total, h, b, attempt}, nil},
		{"empty", nil, nil},
		{"timeouts only", []paved.Middleware{total}, nil},
		{"unknown middleware is skipped", []paved.Middleware{other, total, other, r, other, attempt}, nil},
		{"options are skipped", []paved.Middleware{total, paved.WithClassifier(paved.DefaultClassifier), r, attempt}, nil},
		{"nested chains are flattened", []paved.Middleware{paved.Chain(total, r), paved.Chain(b, attempt)}, nil},
		{"retry in retry", []paved.Middleware{total, r, b, r, attempt}, []string{
			"RS-4: middleware 4 (retry) is a second retry or hedge in the pipeline (the first is middleware 2, retry): attempts multiply; retry at one layer",
		}},
		{"hedge and retry", []paved.Middleware{total, h, r, attempt}, []string{
			"RS-4: middleware 3 (retry) is a second retry or hedge in the pipeline (the first is middleware 2, hedge): attempts multiply; retry at one layer",
		}},
		{"per-attempt timeout outside retry", []paved.Middleware{total, attempt, r, b}, []string{
			"RS-15: middleware 2 (timeout) is a second timeout outside the retry: a per-attempt timeout belongs inside it, or a hung attempt leaves no time to try again",
		}},
		{"no timeout", []paved.Middleware{r, b}, []string{
			"RS-1: the retry has no timeout around it or its attempts: add a total timeout outside it and a per-attempt timeout inside",
		}},
		{"attempt longer than total", []paved.Middleware{attempt, r, total}, []string{
			"RS-1: middleware 3 (timeout, 10s per attempt) is longer than the total timeout (2s): an attempt can never use it",
		}},
		{"rate limit outside breaker", []paved.Middleware{total, r, limiter{}, b, attempt}, []string{
			"RS-15: middleware 3 (rate limit) is outside middleware 4 (breaker): the order, outermost first, is breaker (or throttle), bulkhead, rate limit",
		}},
		{"breaker outside retry", []paved.Middleware{total, b, r, attempt}, []string{
			"RS-15: middleware 2 (breaker) is outside the retry: put it inside, so each attempt is admitted and counted on its own",
		}},
		{"throttle beside the breaker", []paved.Middleware{total, r, b, th, limiter{}, attempt}, nil},
		{"throttle before the breaker", []paved.Middleware{total, r, th, b, attempt}, nil},
		{"throttle outside retry", []paved.Middleware{total, th, r, attempt}, []string{
			"RS-15: middleware 2 (throttle) is outside the retry: put it inside, so each attempt is admitted and counted on its own",
		}},
		{"rate limit outside throttle", []paved.Middleware{total, r, limiter{}, th, attempt}, []string{
			"RS-15: middleware 3 (rate limit) is outside middleware 4 (throttle): the order, outermost first, is breaker (or throttle), bulkhead, rate limit",
		}},
		{"server admission in order", []paved.Middleware{total, keyed, shed}, nil},
		{"per-key limit inside the shedder", []paved.Middleware{total, shed, keyed}, []string{
			"RS-15: middleware 3 (per-key rate limit) is inside middleware 2 (load shedder): put it outside, so a caller over its quota is refused before it takes a place in the shedder",
		}},
		{"per-key limit outside retry", []paved.Middleware{total, keyed, r, attempt}, []string{
			"RS-15: middleware 2 (per-key rate limit) is outside the retry: put it inside, so each attempt is admitted and counted on its own",
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := paved.Check(c.ms...)
			if c.want == nil {
				assert.NoError(t, err)
				return
			}
			require.ErrorIs(t, err, paved.ErrComposition)
			var ce *paved.CompositionError
			require.True(t, errors.As(err, &ce))
			assert.Equal(t, c.want, ce.Problems)
		})
	}
}

func TestRoles(t *testing.T) {
	assert.Equal(t, paved.RoleThrottle, loadshed.MustNewThrottle().Role())
	assert.Equal(t, paved.RoleLoadShed, loadshed.MustNew().Role())
	assert.Equal(t, paved.RoleKeyedRateLimit, ratelimit.MustPerKey(1, 1).Role())
	for r, name := range map[paved.Role]string{paved.RoleThrottle: "throttle", paved.RoleKeyedRateLimit: "per-key rate limit", paved.RoleLoadShed: "load shedder"} {
		assert.Equal(t, name, r.String())
	}
}

func TestNewReportsComposition(t *testing.T) {
	log, tel := telemetrytest.New()
	paved.New("nested", timeout.MustNew(time.Second), retry.MustNew(), retry.MustNew(), paved.WithTelemetry(tel))
	evs := log.Events(telemetry.EventPipelineMisordered)
	require.Len(t, evs, 1)
	assert.Equal(t, "RS-4", evs[0].Attrs[telemetry.AttrRule])
	assert.Equal(t, "nested", evs[0].Attrs[telemetry.AttrPipeline])

	paved.New("fine", timeout.MustNew(time.Second), retry.MustNew(), paved.WithTelemetry(tel))
	assert.Len(t, log.Events(telemetry.EventPipelineMisordered), 1, "a good pipeline reports nothing")
}

// limiter stands for a rate limit: a Middleware that says its role.
type limiter struct{}

func (limiter) Wrap(next paved.Op) paved.Op { return next }
func (limiter) Role() paved.Role            { return paved.RoleRateLimit }
