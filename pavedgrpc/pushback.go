package pavedgrpc

import (
	"strconv"
	"time"

	"google.golang.org/grpc/metadata"
)

// PushbackKey is the trailer a server sets to tell the client when to retry
// (gRFC A6): milliseconds as a signed 32-bit decimal integer.
const PushbackKey = "grpc-retry-pushback-ms"

// ParsePushback reads the grpc-retry-pushback-ms trailer from md (gRFC A6,
// docs/reference.md, "Pushback"). It reports ok when md has the key. The
// value is a signed 32-bit decimal integer of milliseconds; a non-negative
// value is the delay the server asks for. A negative value, or one that does
// not parse as a 32-bit integer, means "do not retry": ParsePushback returns a
// negative duration for it, which paved.RetryAfter passes on to the retry
// policy with that meaning. When the key has several values the first counts.
func ParsePushback(md metadata.MD) (d time.Duration, ok bool) {
	vs := md.Get(PushbackKey)
	if len(vs) == 0 {
		return 0, false
	}
	ms, err := strconv.ParseInt(vs[0], 10, 32)
	if err != nil || ms < 0 {
		return -1, true
	}
	return time.Duration(ms) * time.Millisecond, true
}

// pushbackValue formats d for the grpc-retry-pushback-ms trailer: whole
// milliseconds, rounded up so a client never retries early, capped at the
// largest 32-bit value.
func pushbackValue(d time.Duration) string {
	ms := (d + time.Millisecond - 1) / time.Millisecond
	if ms > 1<<31-1 {
		ms = 1<<31 - 1
	}
	return strconv.FormatInt(int64(ms), 10)
}
