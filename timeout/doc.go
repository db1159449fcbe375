// Package timeout bounds how long a call, or one attempt at it, may take.
//
// Where it sits decides what it bounds (docs/design.md, "The order of a paved
// pipeline"): placed outside retry or hedge it is the total timeout, one
// deadline for everything the caller waits for; placed inside, it is the
// per-attempt timeout, so a hung attempt is cut and the retry can still try
// again.
//
// Rules it follows (docs/reference.md, "Timeouts and deadlines"):
//
//   - It never extends a deadline: when the parent context's deadline is
//     already sooner, the attempt runs with the parent context itself, and
//     the timeout costs no new context, timer or allocation.
//   - Only its own deadline is reported as its own: the error is ErrTimeout,
//     which errors.Is also matches context.DeadlineExceeded, and a
//     telemetry.EventTimeout event is emitted. When the parent's deadline or
//     cancellation ended the call, the Op's error is returned unchanged, and
//     so is an error that only landed after the deadline without being caused
//     by it: one that is not a context error and that the call's classifier
//     calls neither Canceled nor Transient (a Permanent 400, a refusal).
//   - A successful result wins even if the deadline passed while it landed.
//   - The context of an attempt whose result is kept (an HTTP response whose
//     body is still being read) is not canceled until the result is released
//     (paved.Attempt.Hold); otherwise it is canceled when the Op returns. Its
//     deadline still fires, though: reading a body past the timeout is cut
//     off with context.DeadlineExceeded, so a per-attempt timeout bounds the
//     body read too. Stream large bodies under a total timeout (outside
//     retry) or none.
//
// The timeout error classifies as paved.OutcomeTransient, so a retry outside a
// per-attempt timeout tries again while the caller's deadline has room.
//
// Defaults: none besides the duration, which is required and must be > 0.
// Cost: one clock reading and, when the timeout is the sooner deadline, one
// context.WithDeadline (see BenchmarkTimeout).
//
// Standards: STANDARDS.md RS-1 (every call has a deadline) and RS-15 (a
// per-attempt timeout belongs inside the retry; paved.Check reports one
// outside it). In a policy file it is timeout.total and timeout.attempt.
package timeout
