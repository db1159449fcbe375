// Package telemetrytest captures the policy events a pipeline emits, for tests
// that assert on telemetry without an OpenTelemetry SDK: New returns a
// telemetry.Telemetry whose slog logger records every "resilience <event>"
// log record into a Log.
//
// It is a test helper, exported so that policy packages and users' own tests
// can share it. It lives beside package telemetry rather than under internal/
// because it imports telemetry, which internal/ packages may not import
// (docs/design.md, "Dependency rule"). Production code has no reason to import it.
//
// Defaults: none. Every record is kept until the Log is dropped; attributes
// are kept as strings (slog.Value.String).
package telemetrytest
