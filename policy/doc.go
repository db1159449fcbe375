// Package policy is org-wide resilience configuration: one YAML file sets
// every team's defaults, with per-dependency overrides, validated at
// start-up and reloadable without a restart; and the paved-road
// constructors that turn it into clients and server admission.
//
//	defaults:
//	  timeout:  { total: 10s, attempt: 2s }
//	  retry:    { max_attempts: 3, backoff: { base: 100ms, max: 5s, jitter: full } }
//	  breaker:  { failure_ratio: 0.5, min_requests: 20, window: 10s, open_for: 5s }
//	dependencies:
//	  payments:
//	    timeout: { attempt: 500ms }
//	    retry:   { max_attempts: 2 }
//	server:
//	  deadline:   { max: 30s }
//	  caller_key: { header: X-Tenant }
//
// # Parsing
//
// Parse and Load read the file strictly (go.yaml.in/yaml/v3): an unknown
// key, a key given twice, a value of the wrong kind or a duration that is
// not a Go duration ("250ms", "2s") is an error. Every dependency inherits
// defaults field by field (a dependency that sets retry.max_attempts keeps
// the defaults' retry.backoff), and a field neither sets is the built-in
// default (BuiltinDefaults: the policy packages' own defaults). Validation
// checks every field's range and the rules between fields
// (timeout.attempt <= timeout.total, breaker.window >= 2 x
// timeout.attempt, hedge.delay < timeout.attempt) and returns every problem
// at once, as an *Error of Problems, each naming its path, line, value and
// the range allowed:
//
//	dependencies.payments.retry.max_attempts: must be 1..10, got 0
//
// A problem in an inherited value is reported once, under defaults.
// docs/policy.md lists every field with its default and range.
//
// # Constructors
//
// A Set (New, Open, FromEnv) hands out, by dependency name, Pipeline,
// HTTPClient, Transport and DialOptions, and for the server Handler and
// ServerOptions. Client pipelines are built in the documented order
// (STANDARDS.md RS-15): total timeout, retry (or hedge, which takes its
// place), breaker, attempt timeout. Every client has a total timeout
// (STANDARDS.md RS-1): a name the file does not know gets the defaults,
// never an unprotected client, and an unknown_dependency event (a warning
// in the log). The server pipeline bounds every request by
// server.deadline (STANDARDS.md RS-12) and reads the caller's key from
// server.caller_key.
//
// # Reload
//
// Reload (YAML from anywhere), Apply (a Config) and Watch (a file, polled)
// put a new configuration in force: every pipeline and handler the Set
// handed out is rebuilt and swapped in one atomic store, so a call runs on
// one configuration from its first attempt to its last, and calls in flight
// finish on the old one. An invalid configuration is rejected with all its
// problems, reported as a config_rejected event, and the old one stays in
// force. A policy whose settings did not change keeps its state: an open
// breaker stays open, a retry or hedge budget keeps its tokens
// (retry.WithSharedBudget, hedge.WithSharedState). A call costs one atomic
// load and a slice index over a pipeline built by hand.
//
// Fleet-wide state (rate_limit.store, breaker.store) and shared idempotency
// stores are named by URL and opened through package policy/stores; a
// store a reload replaced is closed once the calls in flight on it have
// finished, and Close closes the rest when the service stops. The
// fallback section serves stale copies to HTTP clients (STANDARDS.md
// RS-16); the chaos section injects faults for game days (RS-17) and is
// off unless it says enabled: true. Its wire faults (http_status,
// grpc_code, reset) are applied by the constructor that knows the
// transport, and ignored by the others (Fault).
//
// PAVED_CONFIG (EnvConfig) names the file for services that want no code:
// FromEnv opens it, or gives the built-in defaults when it is unset.
package policy
