package pavedgrpc

import (
	"context"
	"strconv"

	"google.golang.org/grpc/metadata"
)

// AttemptKey is the metadata key in which a paved client sends, on every
// resend, which attempt of the call it is ("2", "3", ...); a server reads it
// as paved.Call.CallerAttempt, and records it on its call span
// (resilience.caller_attempt). The first attempt sends none.
const AttemptKey = "paved-attempt"

// withAttempt adds the attempt number to a resend's outgoing metadata.
func withAttempt(ctx context.Context, n int) context.Context {
	if n < 2 {
		return ctx
	}
	return metadata.AppendToOutgoingContext(ctx, AttemptKey, strconv.Itoa(n))
}

// callerAttempt reads AttemptKey from the incoming metadata: a positive
// integer of at most 2 digits (paved makes at most 10 attempts); 0 for
// anything else or none.
func callerAttempt(ctx context.Context) int {
	vs := metadata.ValueFromIncomingContext(ctx, AttemptKey)
	if len(vs) == 0 || len(vs[0]) > 2 {
		return 0
	}
	n, err := strconv.Atoi(vs[0])
	if err != nil || n < 1 {
		return 0
	}
	return n
}
