package telemetry

// Metric instrument names. No OpenTelemetry semantic convention exists for
// resilience yet; these follow its naming rules.
const (
	MetricCallDuration        = "resilience.call.duration"    // histogram, s: one logical call
	MetricAttemptDuration     = "resilience.attempt.duration" // histogram, s: one attempt
	MetricEvents              = "resilience.events"           // counter: policy decisions
	MetricBreakerState        = "resilience.breaker.state"    // gauge: 0 closed, 1 half-open, 2 open
	MetricConcurrencyLimit    = "resilience.concurrency.limit"
	MetricConcurrencyInflight = "resilience.concurrency.inflight"
)

// Attribute keys.
const (
	AttrPipeline  = "resilience.pipeline"
	AttrOperation = "resilience.operation"
	AttrPolicy    = "resilience.policy"
	AttrEvent     = "resilience.event"
	AttrOutcome   = "resilience.outcome"
	AttrAttempt   = "resilience.attempt"
	AttrAttempts  = "resilience.attempts" // on the call span: attempts made
	AttrDelay     = "resilience.delay_ms" // a duration in ms: on retry and hedge events the wait chosen, on timeout the timeout, on breaker_rejected and rate_limited the wait asked for, on chaos latency the delay
	AttrBreaker   = "resilience.breaker"  // on breaker gauges and events: the breaker's name
	AttrErrorType = "error.type"
	// AttrUnsafeReason is on unsafe_to_repeat events: why the call may not
	// be repeated, such as "POST without Idempotency-Key".
	AttrUnsafeReason = "resilience.unsafe_reason"
	// AttrCallerAttempt is on a server's call span when it serves a resend:
	// which attempt of its caller's the request is.
	AttrCallerAttempt = "resilience.caller_attempt"
	// AttrRetryReason is on retries_exhausted events: why no further
	// attempt was made ("max_attempts", "budget", "pushback", ...).
	AttrRetryReason = "resilience.retry.reason"
	// AttrDependency is on unknown_dependency and config_degraded events: the name asked for
	// that the configuration does not have.
	AttrDependency = "resilience.dependency"
	// AttrProblems is on config_rejected events: how many problems the
	// rejected configuration had.
	AttrProblems = "resilience.config.problems"
	// AttrConfigSection is on chaos_enabled and chaos_disabled events: the
	// section of the file (defaults, dependencies.<name>, server).
	AttrConfigSection = "resilience.config.section"
	// AttrRule and AttrProblem are on pipeline_misordered events: the
	// STANDARDS.md rule broken ("RS-4") and what is wrong. AttrProblem is
	// also on config_rejected events: the first problem, as "line N: path:
	// rule", without the value found. Neither is counted in resilience.events.
	AttrRule    = "resilience.rule"
	AttrProblem = "resilience.problem"
	// AttrChaosFault is on chaos_injected events: the fault injected
	// ("error", "latency", "hang", "http_status", "reset", "grpc_code").
	AttrChaosFault = "resilience.chaos.fault"
	// AttrChaosName is on chaos_injected events: the name of the Chaos
	// that injected it (chaos.WithName).
	AttrChaosName = "resilience.chaos.name"
	// AttrRateLimitPolicy is on rate_limited events: the limit's name
	// (ratelimit.WithName), never the caller's key.
	AttrRateLimitPolicy = "resilience.ratelimit.policy"
)

// Attribute keys of concurrency limits (bulkhead, loadshed): on their
// events, beside the resilience.concurrency.* gauges.
const (
	AttrBulkhead  = "resilience.bulkhead"  // the bulkhead's name (WithName)
	AttrLimit     = "resilience.limit"     // on limit_changed: the new limit
	AttrAlgorithm = "resilience.algorithm" // on limit_changed: gradient2, vegas, aimd
)

// Event names: every policy decision is one of these.
const (
	EventRetry               = "retry"
	EventRetriesExhausted    = "retries_exhausted"
	EventHedge               = "hedge"
	EventUnsafeToRepeat      = "unsafe_to_repeat" // retry or hedge declined to repeat a call that is not safe to repeat
	EventTimeout             = "timeout"
	EventBreakerOpened       = "breaker_opened"
	EventBreakerHalfOpened   = "breaker_half_opened"
	EventBreakerClosed       = "breaker_closed"
	EventBreakerRejected     = "breaker_rejected"
	EventRateLimited         = "rate_limited"
	EventBulkheadRejected    = "bulkhead_rejected"
	EventShed                = "shed"
	EventLimitChanged        = "limit_changed"
	EventIdempotentReplay    = "idempotent_replay"
	EventIdempotencyConflict = "idempotency_conflict"
	// EventIdempotencyStoreError: the idempotency store failed or timed out
	// (claiming a key, or storing a response); error.type says which.
	EventIdempotencyStoreError = "idempotency_store_error"
	// EventChaosInjected: a chaos strategy disturbed the call (a rehearsed
	// failure, never a real one).
	EventChaosInjected = "chaos_injected"
	// EventFallback: a fallback policy answered a failed call with a
	// substitute result.
	EventFallback = "fallback"
	// Package policy's events, and paved.New's.
	EventConfigReloaded     = "config_reloaded"     // a new configuration is in force
	EventConfigRejected     = "config_rejected"     // a new configuration was invalid; the old one stays
	EventUnknownDependency  = "unknown_dependency"  // a pipeline was asked for a name the configuration lacks: it got the defaults
	EventPipelineMisordered = "pipeline_misordered" // paved.New found a composition problem (paved.Check)
	EventChaosEnabled       = "chaos_enabled"       // a configuration put in force turned a section's chaos on
	EventChaosDisabled      = "chaos_disabled"      // a configuration put in force turned a section's chaos off
	// EventConfigDegraded: a validated section did not build (an opener
	// refused a store): it runs with local stores, or the built-in
	// defaults, rather than failing the service.
	EventConfigDegraded = "config_degraded"
)

// OutcomeNames are the values of resilience.outcome, indexed by paved.Outcome.
var OutcomeNames = [...]string{"success", "transient", "overload", "fault", "permanent", "canceled", "rejected"}

// Breaker states as the resilience.breaker.state gauge reports them.
const (
	BreakerClosed   = 0
	BreakerHalfOpen = 1
	BreakerOpen     = 2
)
