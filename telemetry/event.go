package telemetry

import (
	"log/slog"
	"strings"
	"time"

	"go.opentelemetry.io/otel/attribute"
)

// Event is one policy decision: a retry, a breaker opening, a shed request.
// Policies report events through paved.Emit, which fills in the pipeline,
// operation and attempt.
type Event struct {
	// Name is one of the Event* constants.
	Name string
	// Policy names the reporting policy: "retry", "breaker", "bulkhead", ...
	Policy string
	// Attempt is the attempt number the event concerns; 0 if none.
	Attempt int
	// Delay is the wait the policy chose (a retry's backoff, a hedge's delay); 0 if none.
	Delay time.Duration
	// Err is the error that caused the decision. Only its type is recorded
	// (error.type), never its message, so no secret leaks through it.
	Err error
	// Attrs are further attributes. Values under keys that name secrets
	// (authorization, cookie, idempotency key) are replaced by "[redacted]".
	Attrs []attribute.KeyValue
}

// level is the log level of an event: state changes are worth reading at Info,
// giving up at Warn, per-call decisions only at Debug.
func (e *Event) level() slog.Level {
	switch e.Name {
	case EventBreakerOpened, EventRetriesExhausted, EventConfigRejected, EventUnknownDependency, EventPipelineMisordered,
		EventChaosEnabled, EventConfigDegraded:
		return slog.LevelWarn
	case EventBreakerClosed, EventBreakerHalfOpened, EventLimitChanged, EventConfigReloaded, EventChaosDisabled:
		return slog.LevelInfo
	}
	return slog.LevelDebug
}

// secretKeys are attribute key fragments whose values never reach telemetry.
var secretKeys = []string{"authorization", "cookie", "idempotency_key", "idempotency-key", "idempotency.key", "password", "token", "secret"}

func isSecretKey(k string) bool {
	k = strings.ToLower(k)
	for _, s := range secretKeys {
		if strings.Contains(k, s) {
			return true
		}
	}
	return false
}

// redacted returns attrs with secret values replaced; attrs itself when none is.
func redacted(attrs []attribute.KeyValue) []attribute.KeyValue {
	out := attrs
	for i, kv := range attrs {
		if isSecretKey(string(kv.Key)) {
			if &out[0] == &attrs[0] {
				out = append([]attribute.KeyValue(nil), attrs...)
			}
			out[i] = attribute.String(string(kv.Key), "[redacted]")
		}
	}
	return out
}
