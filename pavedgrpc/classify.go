package pavedgrpc

import (
	"context"
	"errors"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/paved-go/paved"
)

// Classify says what kind of outcome a gRPC call's error is, by its status code
// (docs/reference.md, "gRPC outcomes"):
//
//	OK                                             Success
//	UNAVAILABLE, DEADLINE_EXCEEDED                 Transient
//	RESOURCE_EXHAUSTED                             Overload
//	INTERNAL, UNKNOWN, DATA_LOSS, ABORTED          Fault
//	CANCELLED                                      Canceled
//	INVALID_ARGUMENT, NOT_FOUND, ALREADY_EXISTS,
//	PERMISSION_DENIED, UNAUTHENTICATED,
//	FAILED_PRECONDITION, OUT_OF_RANGE,
//	UNIMPLEMENTED                                  Permanent
//
// ABORTED is a Fault, not Transient: AIP-194 puts its retry at a higher level
// (the whole read-modify-write), not the single call. DEADLINE_EXCEEDED counts
// against a breaker; the retry policy retries it only while the call's overall
// deadline has room.
//
// An error that states its own outcome (an Outcome() method in its chain: a
// *StatusError, paved.Permanent, a policy's refusal) is that outcome; the
// interceptors' *StatusError makes an UNAVAILABLE that carries a pushback
// delay Overload (the server is shedding load and said when to come back). An error
// without a gRPC status is classified by paved.DefaultClassifier.
func Classify(err error) paved.Outcome {
	if err == nil {
		return paved.OutcomeSuccess
	}
	var o interface{ Outcome() paved.Outcome }
	if errors.As(err, &o) {
		return o.Outcome()
	}
	var se interface{ GRPCStatus() *status.Status }
	if errors.As(err, &se) {
		return codeOutcome(se.GRPCStatus().Code())
	}
	return paved.DefaultClassifier.Classify(err)
}

// classifier is Classify as a paved.Classifier, made once: the interceptors
// put it in every call's CallInfo.
var classifier paved.Classifier = paved.ClassifierFunc(Classify)

func codeOutcome(c codes.Code) paved.Outcome {
	switch c {
	case codes.OK:
		return paved.OutcomeSuccess
	case codes.Unavailable, codes.DeadlineExceeded:
		return paved.OutcomeTransient
	case codes.ResourceExhausted:
		return paved.OutcomeOverload
	case codes.Internal, codes.Unknown, codes.DataLoss, codes.Aborted:
		return paved.OutcomeFault
	case codes.Canceled:
		return paved.OutcomeCanceled
	case codes.InvalidArgument, codes.NotFound, codes.AlreadyExists, codes.PermissionDenied,
		codes.Unauthenticated, codes.FailedPrecondition, codes.OutOfRange, codes.Unimplemented:
		return paved.OutcomePermanent
	}
	// Codes outside the 17 gRPC defines: the server is misbehaving.
	return paved.OutcomeFault
}

// defaultRefusalCode is WithRefusalCode's default: RESOURCE_EXHAUSTED when the
// caller sends too much, UNAVAILABLE for every other refusal (breaker open,
// bulkhead full).
func defaultRefusalCode(err error) codes.Code {
	if paved.IsOverloadRefusal(err) {
		return codes.ResourceExhausted
	}
	return codes.Unavailable
}

// callerError turns what a client pipeline returned into the error a gRPC
// caller expects: one status.Code understands. Status errors pass unchanged. A
// refusal by a policy becomes UNAVAILABLE or RESOURCE_EXHAUSTED (see
// WithRefusalCode) and a context error CANCELLED or DEADLINE_EXCEEDED; both
// still match their cause with errors.Is. Other errors pass unchanged.
func callerError(err error, cfg *config) error {
	if err == nil {
		return nil
	}
	var se interface{ GRPCStatus() *status.Status }
	if errors.As(err, &se) {
		return err
	}
	var code codes.Code
	switch {
	case errors.Is(err, paved.ErrRejected):
		code = cfg.refusalCode(err)
	case errors.Is(err, context.DeadlineExceeded):
		code = codes.DeadlineExceeded
	case errors.Is(err, context.Canceled):
		code = codes.Canceled
	default:
		return err
	}
	e := &StatusError{status: status.New(code, err.Error()), err: err, local: true}
	if d, ok := paved.RetryAfter(err); ok && d != 0 {
		e.pushback, e.hasPushback = d, true
	}
	return e
}
