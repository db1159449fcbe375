package loadshed

import "github.com/paved-go/paved"

// ErrShed is returned, wrapped by paved.NewRejection, when a Shedder refuses
// a request: its queue is full of more important work, or the request waited
// longer than CoDel allows. errors.Is(err, paved.ErrRejected) holds for it,
// and paved.RetryAfter(err) gives the Shedder's RetryAfter, which the server
// adapters send as Retry-After (HTTP 503) or grpc-retry-pushback-ms (gRPC
// UNAVAILABLE). Its error.type in telemetry is "shed".
var ErrShed = paved.NamedError("shed", "loadshed: shed")

// ErrThrottled is returned, wrapped by paved.NewRejection, when a Throttle
// refuses a call locally: the dependency has been refusing so much of what it
// was sent that this call would most likely be refused too. It matches
// paved.ErrRejected, so no retry repeats it and no breaker counts it, and it
// carries no RetryAfter hint. Its error.type in telemetry is "throttled".
var ErrThrottled = paved.NamedError("throttled", "loadshed: throttled")
