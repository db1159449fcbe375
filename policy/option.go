package policy

import (
	"time"

	"github.com/paved-go/paved/clock"
	"github.com/paved-go/paved/idempotency"
	"github.com/paved-go/paved/telemetry"
)

// Option configures a Set (New, Open, FromEnv).
type Option func(*options)

type options struct {
	tel      *telemetry.Telemetry
	clock    clock.Clock
	poll     time.Duration
	onReload func(*Config, error)
	store    idempotency.Store

	// fleet is state, not a setting: the Set's shared fleet store clients
	// (fleetclient.go), one pool per Set.
	fleet *fleetClients
}

func newOptions(opts []Option) *options {
	o := &options{clock: clock.Real(), poll: 2 * time.Second, fleet: newFleetClients()}
	for _, f := range opts {
		if f != nil {
			f(o)
		}
	}
	if o.tel == nil {
		o.tel = telemetry.New()
	}
	if o.clock == nil {
		o.clock = clock.Real()
	}
	if o.poll <= 0 {
		o.poll = 2 * time.Second
	}
	return o
}

// WithTelemetry makes every pipeline of the Set, and the Set's own events
// (config_reloaded, config_rejected, unknown_dependency, config_degraded), report through t.
// Default: telemetry.New(), the global OpenTelemetry providers and no logger.
func WithTelemetry(t *telemetry.Telemetry) Option { return func(o *options) { o.tel = t } }

// WithClock makes the policies time everything on c. For tests
// (clock.NewFake); default clock.Real().
func WithClock(c clock.Clock) Option { return func(o *options) { o.clock = c } }

// WithPollInterval sets how often Watch reads the file for a change. Default
// 2s; a value <= 0 keeps the default.
func WithPollInterval(d time.Duration) Option { return func(o *options) { o.poll = d } }

// WithReloadFunc calls f after every reload Watch attempts because the file
// changed: with the new Config when it is in force, or with the error that
// kept the old one. Reload and Apply return their error instead. f runs on
// Watch's goroutine. Default none.
func WithReloadFunc(f func(cfg *Config, err error)) Option {
	return func(o *options) { o.onReload = f }
}

// WithIdempotencyStore makes server.idempotency keep its keys in store:
// a store shared by every replica (idempotency/redisstore,
// idempotency/pgstore), so that a key runs once across them. Default: a
// memory store of the Set's, which protects one process only.
func WithIdempotencyStore(store idempotency.Store) Option {
	return func(o *options) { o.store = store }
}
