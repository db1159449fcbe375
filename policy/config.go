package policy

import (
	"maps"
	"slices"
	"time"
)

// Config is a validated configuration, every field resolved: what a
// dependency does when its own section and defaults leave a field out is the
// built-in default (BuiltinDefaults). A Config is immutable once Parse
// returns it; Set.Config returns the one in force.
type Config struct {
	// Defaults is what every dependency inherits, field by field, and what a
	// name that is not configured gets.
	Defaults Dependency
	// Dependencies are the configured dependencies, each with defaults
	// filled in.
	Dependencies map[string]Dependency
	// Server is the server side: admission of the service's own callers.
	Server Server
}

// Dependency returns the settings of the dependency called name, and
// whether it is configured; a name that is not gets Defaults.
func (c *Config) Dependency(name string) (Dependency, bool) {
	if d, ok := c.Dependencies[name]; ok {
		return d, true
	}
	return c.Defaults, false
}

// Names returns the configured dependencies' names, sorted.
func (c *Config) Names() []string { return slices.Sorted(maps.Keys(c.Dependencies)) }

// Dependency is the resolved policy of one dependency: the settings of each
// step of its pipeline (docs/policy.md has every field with its default and
// range).
type Dependency struct {
	Timeout  Timeout
	Retry    Retry
	Hedge    Hedge
	Breaker  Breaker
	Bulkhead Bulkhead
	Limit    RateLimit // YAML: rate_limit
	Throttle Throttle
	Fallback Fallback
	Chaos    Chaos
}

// Bulkhead is the bulkhead step (STANDARDS.md RS-9): package bulkhead. A
// bulkhead section turns it on. YAML: bulkhead.
type Bulkhead struct {
	Enabled       bool
	MaxConcurrent int           // fixed limit: 1..1000000, default 100
	MaxWait       time.Duration // 0..1m, default 0 (refuse at once)
	MaxQueue      int           // 0..1000000; default -1: the maximum concurrency
	Adaptive      bool          // default false; true: bulkhead.NewAdaptive
	Algorithm     string        // gradient2, vegas or aimd; default gradient2
	InitialLimit  int           // MinLimit..MaxLimit, default 20
	MinLimit      int           // 1..MaxLimit, default 1
	MaxLimit      int           // ..1000000, default 200
}

// RateLimit is a token bucket (STANDARDS.md RS-8): package ratelimit; for
// a dependency the client limit (ratelimit.New), for the server one limit
// per caller key (ratelimit.PerKey). A rate_limit section turns it on.
type RateLimit struct {
	Enabled        bool
	Rate           float64       // tokens a second: (0, 1e9], default 100
	Burst          int           // 1..1000000000, default 100
	MaxWait        time.Duration // 0..1h; default 1s for a client, 0 for the server
	ServerFeedback bool          // client: slow down on the server's RateLimit fields; default true
	MaxKeys        int           // server: callers kept, 1..16777216, default 100000
	// Store is "memory" (default: each process has its own limit) or a
	// redis:// or rediss:// URL: one limit shared by the fleet
	// (ratelimit/redisrate, opened through package policy/stores). With a
	// Redis store a call over the limit is refused at once: MaxWait must be
	// 0 and ServerFeedback false (their defaults then).
	Store           string
	KeyPrefix       string        // Redis keys' prefix, without '{' or '}'; default "paved:ratelimit:"
	Key             string        // client, Redis: the key every replica shares; default the dependency's name
	FailClosed      bool          // Redis: refuse while Redis cannot decide; default false (a local limit decides)
	Replicas        int           // Redis, fail open: the fleet's size, 1..10000; the local limit is rate/replicas. Default 1
	DecisionTimeout time.Duration // Redis: each decision's bound, 1ms..10s; default 50ms
	StoreRetry      time.Duration // Redis: how long the local fallback decides after a failure, 10ms..1m; default 1s
}

// Throttle is client-side adaptive throttling (STANDARDS.md RS-10):
// loadshed.NewThrottle, beside the breaker. A throttle section turns it on.
type Throttle struct {
	Enabled              bool
	K                    float64       // 1..10, default 2
	Window               time.Duration // 1s..1h, default 2m
	MaxRejectProbability float64       // 0..1, default 0.9
	MinRate              float64       // 0..1000000, default 1
}

// LoadShed is server load shedding (STANDARDS.md RS-10): loadshed.New. A
// load_shed section turns it on. YAML: server.load_shed.
type LoadShed struct {
	Enabled       bool
	Algorithm     string        // gradient2, vegas or aimd; default gradient2
	InitialLimit  int           // default 20
	MinLimit      int           // default 1
	MaxLimit      int           // default 1000
	MaxQueue      int           // 0..100000, default 100
	CoDelTarget   time.Duration // 0 < target < interval <= 10s; default 5ms
	CoDelInterval time.Duration // default 100ms
	RetryAfter    time.Duration // 0..1h, default 1s
}

// Idempotency is server-side idempotency (STANDARDS.md RS-11): an
// idempotency.Guard behind pavedhttp.NewIdempotencyHandler and
// pavedgrpc.UnaryServerIdempotency. An idempotency section turns it on.
// YAML: server.idempotency.
type Idempotency struct {
	Enabled        bool
	Store          string        // "memory" (default), or a redis:// or postgres:// URL (package policy/stores); WithIdempotencyStore overrides it
	Lease          time.Duration // 1ms..24h, default 1m
	Retention      time.Duration // Lease..8760h, default 24h
	StoreTimeout   time.Duration // 1ms..1m, default 1s
	MaxStoredBytes int           // 0..1GiB, default 1MiB
	FailOpen       bool          // default false: a store that fails refuses (503)
	Required       bool          // default false: a POST/PATCH without a key runs unguarded
}

// Timeout is the pipeline's two deadlines (STANDARDS.md RS-1): Total bounds
// everything the caller waits for (attempts and the waits between them),
// Attempt each attempt. YAML: timeout.total, timeout.attempt.
type Timeout struct {
	Total   time.Duration // 1ms..24h, default 10s
	Attempt time.Duration // 1ms..Total, default 2s
}

// Retry is the retry step (STANDARDS.md RS-2): package retry. YAML: retry.
type Retry struct {
	MaxAttempts    int // 1..10, the first included; 1 turns retrying off. Default 3
	Backoff        Backoff
	Budget         Budget
	MinAttemptTime time.Duration // 0..1h, default 1ms
}

// Backoff is retry's exponential backoff. YAML: retry.backoff.
type Backoff struct {
	Base   time.Duration // 1ms..1h, default 100ms
	Max    time.Duration // Base..1h, default 10s
	Jitter string        // full, equal, decorrelated or none; default full
}

// Budget is a retry or hedge budget. YAML: retry.budget, hedge.budget.
type Budget struct {
	Enabled      bool    // default true; false lets every call use every attempt
	Ratio        float64 // 0..1; default 0.2 for retry, 0.1 for hedge
	MinPerSecond float64 // 0..1000, default 1
	Capacity     float64 // 1..1000000, default 20
}

// Hedge is the hedging step (STANDARDS.md RS-7): package hedge. When
// Enabled, it takes the place of retry. YAML: hedge; a hedge section turns
// it on unless it says enabled: false.
type Hedge struct {
	Enabled     bool
	Adaptive    bool          // default true: the delay is the Quantile of recent latencies
	Delay       time.Duration // fixed delay, or the adaptive one's fallback: 1ms..1h, < Timeout.Attempt; default 100ms
	Quantile    float64       // (0, 1), default 0.95
	MinSamples  int           // 1..512, default 100
	MaxHedges   int           // 1..4, default 1
	MaxPushback time.Duration // 1ms..1h, default 10s
	Budget      Budget
}

// Breaker is the circuit breaker step (STANDARDS.md RS-6): package breaker.
// YAML: breaker.
type Breaker struct {
	Enabled             bool          // default true
	FailureRatio        float64       // (0, 1], default 0.5
	MinRequests         int           // 1..1000000, default 20
	Window              time.Duration // 10ms..1h, >= 2 x Timeout.Attempt; default 10s
	ConsecutiveFailures int           // 0..1000000, 0 off; default 0
	OpenFor             time.Duration // 1ms..1h, default 5s
	Jitter              float64       // 0..0.5, default 0.2
	HalfOpenRequests    int           // 1..1000, default 5
	SlowCallThreshold   time.Duration // 0..1h, 0 off; default 0
	CountOverload       bool          // default false
	// PerKey keeps one breaker per key (breaker.PerKey): "" (default, one
	// breaker), "operation" (HTTP: method and host; gRPC: the method) or
	// "caller" (the call's caller key: on a client, the key of the server
	// call it runs within, or of paved.WithCallInfo; calls without one
	// share the breaker of the empty key).
	PerKey      string
	MaxKeys     int           // PerKey: breakers kept, 1..1048576; default 1024
	IdleTimeout time.Duration // PerKey: a breaker unused this long is dropped, 1s..24h; default 10m
	// Store is "memory" (default: each process decides alone) or a redis://
	// or rediss:// URL: the fleet shares its trips (breaker/redisbreaker,
	// opened through package policy/stores). Not with PerKey.
	Store      string
	KeyPrefix  string        // Redis keys' prefix; default "paved:breaker:"
	SyncPeriod time.Duration // Redis: how often counts are shared, 10ms..10s; default 200ms
}

// Server is the server side's admission. YAML: server.
type Server struct {
	// Name is the server pipeline's name in telemetry. Default "server".
	Name string
	// Deadline bounds every request (STANDARDS.md RS-12). YAML:
	// server.deadline.
	Deadline Deadline
	// CallerKey says where the caller's identity is read from, for per-caller
	// limits and idempotency scoping. YAML: server.caller_key.
	CallerKey CallerKey
	// LoadShed, Limit (per caller) and Idempotency are the server's
	// admission policies. YAML: server.load_shed, server.rate_limit,
	// server.idempotency.
	LoadShed    LoadShed
	Limit       RateLimit
	Idempotency Idempotency
	// Chaos injects faults into the requests the server admits, for game
	// days. Off unless chaos.enabled is true. YAML: server.chaos.
	Chaos Chaos
}

// Deadline is the server's request deadline: a client's deadline header,
// capped by Max, and Max when the header is absent
// (pavedhttp.WithServerDeadlineHeader). A deadline section turns it on.
type Deadline struct {
	Enabled bool
	Header  string        // default "X-Envoy-Expected-Rq-Timeout-Ms"
	Max     time.Duration // 1ms..24h, default 30s
}

// CallerKey names the request header (HTTP) and metadata key (gRPC) that
// identify the caller; empty means no key.
type CallerKey struct {
	Header   string
	Metadata string
}

// BuiltinDefaults returns what a field no file sets resolves to: the
// defaults of the policy packages, with the pipeline timeouts of
// docs/design.md.
func BuiltinDefaults() Dependency {
	return Dependency{
		Timeout: Timeout{Total: 10 * time.Second, Attempt: 2 * time.Second},
		Retry: Retry{
			MaxAttempts:    3,
			Backoff:        Backoff{Base: 100 * time.Millisecond, Max: 10 * time.Second, Jitter: "full"},
			Budget:         Budget{Enabled: true, Ratio: 0.2, MinPerSecond: 1, Capacity: 20},
			MinAttemptTime: time.Millisecond,
		},
		Hedge: Hedge{
			Adaptive: true, Delay: 100 * time.Millisecond, Quantile: 0.95, MinSamples: 100,
			MaxHedges: 1, MaxPushback: 10 * time.Second,
			Budget: Budget{Enabled: true, Ratio: 0.1, MinPerSecond: 1, Capacity: 20},
		},
		Breaker: Breaker{
			Enabled: true, FailureRatio: 0.5, MinRequests: 20, Window: 10 * time.Second,
			OpenFor: 5 * time.Second, Jitter: 0.2, HalfOpenRequests: 5,
			MaxKeys: 1024, IdleTimeout: 10 * time.Minute,
			Store: "memory", KeyPrefix: "paved:breaker:", SyncPeriod: 200 * time.Millisecond,
		},
		Bulkhead: Bulkhead{MaxConcurrent: 100, MaxQueue: -1, Algorithm: "gradient2", InitialLimit: 20, MinLimit: 1, MaxLimit: 200},
		Limit:    builtinLimit(time.Second, true),
		Throttle: Throttle{K: 2, Window: 2 * time.Minute, MaxRejectProbability: 0.9, MinRate: 1},
		Fallback: Fallback{Outcomes: defaultOutcomes(), Stale: Stale{MaxAge: 10 * time.Minute, MaxEntries: 1000, MaxBody: 1 << 20}},
		Chaos:    Chaos{Rate: 0.001},
	}
}

func builtinServer() Server {
	return Server{
		Name:     "server",
		Deadline: Deadline{Header: "X-Envoy-Expected-Rq-Timeout-Ms", Max: 30 * time.Second},
		LoadShed: LoadShed{Algorithm: "gradient2", InitialLimit: 20, MinLimit: 1, MaxLimit: 1000, MaxQueue: 100,
			CoDelTarget: 5 * time.Millisecond, CoDelInterval: 100 * time.Millisecond, RetryAfter: time.Second},
		Limit: builtinLimit(0, false),
		Chaos: Chaos{Rate: 0.001},
		Idempotency: Idempotency{Store: "memory", Lease: time.Minute, Retention: 24 * time.Hour,
			StoreTimeout: time.Second, MaxStoredBytes: 1 << 20},
	}
}

func builtinLimit(maxWait time.Duration, feedback bool) RateLimit {
	return RateLimit{Rate: 100, Burst: 100, MaxWait: maxWait, ServerFeedback: feedback, MaxKeys: 100_000,
		Store: "memory", KeyPrefix: "paved:ratelimit:", Replicas: 1,
		DecisionTimeout: 50 * time.Millisecond, StoreRetry: time.Second}
}
