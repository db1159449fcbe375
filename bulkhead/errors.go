package bulkhead

import "github.com/paved-go/paved"

// ErrFull is returned, wrapped by paved.NewRejection, when the bulkhead has
// no free slot: every slot is taken and the call could not wait (no
// MaxWait, the queue was full, or MaxWait passed). errors.Is(err,
// paved.ErrRejected) holds for it, so no retry repeats it and no breaker
// counts it; server adapters answer it with 503 or UNAVAILABLE. It carries
// no RetryAfter hint: a slot frees when a call in flight ends, which nobody
// can predict. Its error.type in telemetry is "bulkhead_full".
var ErrFull = paved.NamedError("bulkhead_full", "bulkhead: full")
