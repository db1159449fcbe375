// Package paved is the core of the paved road for calling and serving
// dependencies safely: one middleware interface that every resilience policy
// (retry, hedge, timeout, breaker, and the user's own) implements, and the
// Pipeline that runs a call through them with OpenTelemetry tracing and
// metrics built in.
//
// A Middleware's Wrap runs once, when New builds the Pipeline; the Op it returns
// runs for every call, so per-call data travels in the context:
//
//	     Run(ctx, op)
//	          │  Call (CallFrom): pipeline, operation, safe to repeat, key, priority, classifier
//	┌─────────▼─────────┐
//	│ total timeout     │  outermost: one deadline bounds everything
//	│ ┌───────────────┐ │
//	│ │ retry / hedge │ │  starts attempts (NewAttempt), marks the final one
//	│ │ ┌───────────┐ │ │
//	│ │ │ breaker   │ │ │  per attempt: admitted, counted, timed on its own
//	│ │ │ attempt   │ │ │
//	│ │ │ timeout   │ │ │
//	│ │ │   op  ◄───┼─┼─┼── the Op given to Run; records its result on the Attempt
//	│ │ └───────────┘ │ │
//	│ └───────────────┘ │
//	└───────────────────┘
//
// Every policy asks one classifier what kind of Outcome an error is, so a retry
// and a breaker never disagree about the same error. Refusals by paved's own
// policies match ErrRejected. Errors may carry a RetryAfter hint.
//
// Check reports a pipeline composed against that order (STANDARDS.md RS-4,
// RS-15): a second retry or hedge, a per-attempt timeout outside the retry,
// a breaker outside it, a retry with no timeout. New reports the same as
// pipeline_misordered events and builds the pipeline anyway; policies say
// which step they are with a Role method.
//
// Costs: an empty Pipeline's Run allocates once (the Call, which doubles as the
// context) and, until the service installs OpenTelemetry providers, adds a
// few tens of nanoseconds to the op; see BenchmarkEmptyPipeline.
package paved
