package chaos

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/clock"
	"github.com/paved-go/paved/telemetry"
)

// Chaos disturbs a share of the calls that pass through it with one Fault.
// As a paved.Middleware it disturbs the attempts of a pipeline (put it
// innermost, where the dependency would fail); chaoshttp and chaosgrpc put
// it in a transport, a handler or an interceptor. Make one with New. It is
// safe for concurrent use, and its switch and rate may change while calls
// run.
//
// Which calls are picked depends only on the seed and on the call's number
// (the n-th call the Chaos saw), never on timing: the same seed and the same
// calls give the same picks, run after run.
type Chaos struct {
	fault Fault
	cfg   config
	attrs []attribute.KeyValue

	on    atomic.Bool
	rate  atomic.Uint64 // the rate's threshold on a uint64 draw: rate * 2^64, saturated
	rateF atomic.Uint64 // math.Float64bits of the rate, for Rate
	seen  atomic.Uint64 // calls considered (counter for the draws)
	hits  atomic.Uint64 // calls disturbed
}

// New returns a Chaos that disturbs calls with f, by default one call in a
// thousand (WithRate), switched on (WithEnabled), with a random seed
// (WithSeed). It returns an error naming the option or fault parameter that
// is out of range.
func New(f Fault, opts ...Option) (*Chaos, error) {
	if err := validateFault(f); err != nil {
		return nil, err
	}
	cfg, err := newConfig(opts)
	if err != nil {
		return nil, err
	}
	c := &Chaos{fault: f, cfg: cfg, attrs: []attribute.KeyValue{
		attribute.String(telemetry.AttrChaosFault, f.Name()),
		attribute.String(telemetry.AttrChaosName, cfg.name),
	}}
	c.on.Store(!cfg.off)
	c.storeRate(cfg.rate)
	return c, nil
}

// MustNew is New that panics on an invalid option: for options fixed in the
// program, where that is a programmer error.
func MustNew(f Fault, opts ...Option) *Chaos {
	c, err := New(f, opts...)
	if err != nil {
		panic(err)
	}
	return c
}

// Fault returns the fault the Chaos injects.
func (c *Chaos) Fault() Fault { return c.fault }

// Enable switches the Chaos on: from the next call, it disturbs its share.
func (c *Chaos) Enable() { c.on.Store(true) }

// Disable switches the Chaos off: from the next call, it disturbs none, and
// costs an atomic load per call. Calls already delayed or hung stay so.
func (c *Chaos) Disable() { c.on.Store(false) }

// SetEnabled switches the Chaos on or off.
func (c *Chaos) SetEnabled(on bool) { c.on.Store(on) }

// Enabled reports whether the Chaos is on.
func (c *Chaos) Enabled() bool { return c.on.Load() }

// SetRate changes the share of calls disturbed, from the next call. It
// returns an error, and changes nothing, unless rate is in [0, 1].
func (c *Chaos) SetRate(rate float64) error {
	if !(rate >= 0 && rate <= 1) {
		return fmt.Errorf("chaos: Rate must be in [0, 1], got %v", rate)
	}
	c.storeRate(rate)
	return nil
}

// Rate returns the share of calls disturbed.
func (c *Chaos) Rate() float64 { return math.Float64frombits(c.rateF.Load()) }

func (c *Chaos) storeRate(rate float64) {
	var threshold uint64
	switch {
	case rate >= 1:
		threshold = math.MaxUint64
	case rate > 0:
		if t := rate * (1 << 64); t < 1<<64 {
			threshold = uint64(t)
		} else {
			threshold = math.MaxUint64
		}
	}
	c.rate.Store(threshold)
	c.rateF.Store(math.Float64bits(rate))
}

// Calls returns how many calls the Chaos has considered while on (those a
// WithFilter refused are not counted).
func (c *Chaos) Calls() uint64 { return c.seen.Load() }

// Injected returns how many calls the Chaos has disturbed.
func (c *Chaos) Injected() uint64 { return c.hits.Load() }

// Injection is what Pick decided for one call: the fault, and for latency
// faults the delay drawn.
type Injection struct {
	// Fault is the Chaos's fault.
	Fault Fault
	// Delay is the wait a latency fault adds before the call; 0 for other faults.
	Delay time.Duration
	clk   clock.Clock
}

// Wait applies the injection's waiting: a latency fault's delay, or a hang
// until ctx ends. It returns ctx's error if ctx ended the wait (always, for
// a hang), else nil.
func (in Injection) Wait(ctx context.Context) error {
	if _, ok := in.Fault.(hangFault); ok {
		<-ctx.Done()
		return ctx.Err()
	}
	return clock.Sleep(ctx, in.clk, in.Delay)
}

// Err returns the error an Error or ErrorOutcome fault fails the call with
// (an *InjectedError), or nil for other faults.
func (in Injection) Err() error {
	if f, ok := in.Fault.(errorFault); ok {
		return &InjectedError{Err: f.err}
	}
	return nil
}

// Pick decides whether the call ctx belongs to is disturbed; when it is, it
// reports the injection (a chaos_injected event) and returns what to do. It
// is for transport wrappers such as chaoshttp and chaosgrpc, which apply
// their own faults; a Chaos used as a paved.Middleware calls it itself.
func (c *Chaos) Pick(ctx context.Context) (Injection, bool) {
	if !c.on.Load() {
		return Injection{}, false
	}
	if c.cfg.filter != nil && !c.cfg.filter(ctx) {
		return Injection{}, false
	}
	n := c.seen.Add(1)
	threshold := c.rate.Load()
	if threshold == 0 {
		return Injection{}, false
	}
	if draw := mix(c.cfg.seed, n, 0); threshold != math.MaxUint64 && draw >= threshold {
		return Injection{}, false
	}
	c.hits.Add(1)
	in := Injection{Fault: c.fault, clk: c.cfg.clk}
	if lf, ok := c.fault.(latencyFault); ok {
		u := float64(mix(c.cfg.seed, n, 1)>>11) / (1 << 53) // uniform in [0, 1)
		in.Delay = lf.delay(u)
	}
	c.report(ctx, in)
	return in, true
}

// report emits the chaos_injected event: through the call in ctx when there
// is one, else through the Chaos's telemetry.
func (c *Chaos) report(ctx context.Context, in Injection) {
	ev := telemetry.Event{Name: telemetry.EventChaosInjected, Policy: "chaos", Delay: in.Delay, Err: in.Err(), Attrs: c.attrs}
	if paved.CallFrom(ctx) != nil {
		paved.Emit(ctx, ev)
		return
	}
	c.cfg.tel.Emit(ctx, c.cfg.name, ev)
}

// Wrap makes c a paved.Middleware: each attempt it picks fails with the
// Error fault's error without reaching next, is delayed before next runs
// (Latency, LatencyFrom, LatencyLogNormal), or hangs until its context ends
// (Hang). Put it innermost, where the dependency would be, so retries,
// breakers and timeouts see the fault as they would a real one.
//
// Wrap panics if c's fault belongs to a transport package (chaoshttp.Status,
// chaosgrpc.Code, either Reset): only that package's wrappers can apply it, and using it
// here is a programmer error found when the pipeline is built.
func (c *Chaos) Wrap(next paved.Op) paved.Op {
	if !IsGeneric(c.fault) {
		panic(fmt.Sprintf("chaos: fault %q is applied by its transport package's wrappers, not by a paved.Middleware", c.fault.Name()))
	}
	return func(ctx context.Context) error {
		in, ok := c.Pick(ctx)
		if !ok {
			return next(ctx)
		}
		if err := in.Err(); err != nil {
			return err
		}
		if err := in.Wait(ctx); err != nil {
			return err
		}
		return next(ctx)
	}
}

// mix returns the draw number stream of call n under seed: splitmix64's
// finalizer over the three, so each call's draws are independent of every
// other call's and of the order calls arrive in.
func mix(seed, n, stream uint64) uint64 {
	z := seed + n*0x9e3779b97f4a7c15 + stream*0xd1b54a32d192ed03
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// randomSeed returns a seed for a Chaos built without WithSeed.
func randomSeed() uint64 { return rand.Uint64() }
