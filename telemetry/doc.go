// Package telemetry is paved's one vocabulary for reporting resilience: the
// span of every logical call, a span event and a resilience.events count for
// every policy decision, the metric instruments, and an optional *slog.Logger.
//
// No OpenTelemetry semantic convention exists for resilience yet; the names
// here (MetricCallDuration, AttrPipeline, EventRetry, ...) follow its naming
// rules, and Polly's resilience.polly.* names for comparison.
//
// Defaults: the global TracerProvider and MeterProvider, looked up on every
// call, and no logger. Until the service installs providers, telemetry costs
// three atomic loads per call (its state and the two globals). With the SDK installed, a call's span and its two
// durations cost about 13,200 instructions (2.2 µs on the 2-core CI machine) and 7 allocations, all of
// them the SDK's but about 360 instructions (BenchmarkCall beside
// BenchmarkCallSDKFloor); a policy decision about 7,700 (BenchmarkEmit). Secrets never reach spans or logs: errors are recorded
// by type (error.type), never by message, and attribute values under keys such
// as authorization, cookie or idempotency_key are replaced by "[redacted]".
//
// Policies do not use this package's Recorder directly; they report through
// paved.Emit, which knows the call's pipeline, operation and attempt.
package telemetry
