package redisrate

import "github.com/paved-go/paved"

// ErrUnavailable is returned, wrapped by paved.NewRejection, when Redis
// cannot decide (down, hung past the decision timeout, answering errors)
// and the limiter fails closed (WithFailClosed). It matches
// paved.ErrRejected but not ratelimit.ErrLimited: the server adapters answer
// it with 503 or UNAVAILABLE, not 429, since the caller did nothing wrong.
// Its RetryAfter is when Redis will be tried again. Its error.type is
// "ratelimit_unavailable".
var ErrUnavailable = paved.NamedError("ratelimit_unavailable", "redisrate: limit store unavailable")

// Events this package reports (through paved.Emit on the call that noticed)
// when Redis stops or resumes deciding. package telemetry has no names for
// them.
const (
	EventStoreUnavailable = "ratelimit_store_unavailable"
	EventStoreRestored    = "ratelimit_store_restored"
)
