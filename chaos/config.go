package chaos

import (
	"context"
	"fmt"

	"github.com/paved-go/paved/clock"
	"github.com/paved-go/paved/telemetry"
)

// DefaultRate is the share of calls a Chaos disturbs unless WithRate says
// otherwise: one in a thousand, Polly Simmy's default, small enough that a
// strategy switched on by mistake in production harms little.
const DefaultRate = 0.001

// Option configures a Chaos.
type Option func(*config)

type config struct {
	name    string
	rate    float64
	off     bool
	seed    uint64
	seeded  bool
	clk     clock.Clock
	tel     *telemetry.Telemetry
	telSet  bool
	filter  func(ctx context.Context) bool
	nameSet bool
}

// WithRate disturbs the share rate of the calls: 0 none, 1 every one. Must
// be in [0, 1]. Default DefaultRate (0.001). SetRate changes it at run time.
func WithRate(rate float64) Option { return func(c *config) { c.rate = rate } }

// WithEnabled(false) builds the Chaos switched off: it disturbs nothing
// until Enable. Default on.
func WithEnabled(on bool) Option { return func(c *config) { c.off = !on } }

// WithSeed makes the picks reproducible: with the same seed, the n-th call
// through the Chaos is picked (and, for LatencyFrom, delayed) the same way in
// every run, whatever the goroutines and the timing. Default a random seed.
func WithSeed(seed uint64) Option { return func(c *config) { c.seed, c.seeded = seed, true } }

// WithName names the Chaos in events (resilience.chaos.name) and, for
// injections outside a pipeline's call, as their resilience.pipeline.
// Must not be empty. Default "chaos".
func WithName(name string) Option { return func(c *config) { c.name, c.nameSet = name, true } }

// WithFilter limits the Chaos to the calls f accepts (an operation, a
// caller key, a share of tenants): a call f refuses is neither counted nor
// disturbed. f runs on every call and must be fast and safe for concurrent
// use. Default: every call.
func WithFilter(f func(ctx context.Context) bool) Option { return func(c *config) { c.filter = f } }

// WithClock sets the clock latency faults wait on. For tests; default
// clock.Real().
func WithClock(clk clock.Clock) Option { return func(c *config) { c.clk = clk } }

// WithTelemetry is where injections outside a pipeline's call are reported
// (a chaoshttp transport under a plain http.Client, a chaosgrpc interceptor
// with no paved interceptor around it). Injections inside a call go to its
// pipeline through paved.Emit. Default telemetry.New(): the global
// OpenTelemetry providers, no logger.
func WithTelemetry(t *telemetry.Telemetry) Option { return func(c *config) { c.tel = t } }

func newConfig(opts []Option) (config, error) {
	c := config{name: "chaos", rate: DefaultRate}
	for _, o := range opts {
		if o != nil {
			o(&c)
		}
	}
	c.telSet = c.tel != nil
	if c.tel == nil {
		c.tel = telemetry.New()
	}
	if c.clk == nil {
		c.clk = clock.Real()
	}
	if !c.seeded {
		c.seed = randomSeed()
	}
	switch {
	case !(c.rate >= 0 && c.rate <= 1):
		return c, fmt.Errorf("chaos: Rate must be in [0, 1], got %v", c.rate)
	case c.nameSet && c.name == "":
		return c, fmt.Errorf("chaos: Name must not be empty")
	}
	return c, nil
}
