package chaosgrpc

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/chaos"
)

// CodeFault is the fault of a call failed with status Code, without
// reaching the server (client interceptors) or the handler (server
// interceptors). Make one with Code.
type CodeFault struct {
	// Code is the status code: any but OK.
	Code codes.Code
	// Pushback, when set, is sent as grpc-retry-pushback-ms (gRFC A6): the
	// delay a server in overload asks for, negative for "do not retry".
	// 0 sends none.
	Pushback time.Duration
}

// Code returns the fault of a call failed with code.
func Code(code codes.Code) CodeFault { return CodeFault{Code: code} }

// WithPushback returns f with a grpc-retry-pushback-ms of d (negative: do
// not retry).
func (f CodeFault) WithPushback(d time.Duration) CodeFault {
	f.Pushback = d
	return f
}

// Name is "grpc_code".
func (CodeFault) Name() string { return "grpc_code" }

// Validate reports a Code that is OK or unknown to gRPC; chaos.New calls it.
func (f CodeFault) Validate() error {
	if f.Code == codes.OK || f.Code > codes.Unauthenticated {
		return fmt.Errorf("chaosgrpc: Code must be a gRPC status code other than OK (1..16), got %d", uint32(f.Code))
	}
	return nil
}

// status returns the fault's status.
func (f CodeFault) status() *status.Status {
	return status.New(f.Code, "chaos: injected "+f.Code.String())
}

// pushbackValue is f's grpc-retry-pushback-ms value; "" for none.
func (f CodeFault) pushbackValue() string {
	switch {
	case f.Pushback == 0:
		return ""
	case f.Pushback < 0:
		return "-1"
	}
	return strconv.FormatInt(f.Pushback.Milliseconds(), 10)
}

// pushbackKey is gRFC A6's trailer.
const pushbackKey = "grpc-retry-pushback-ms"

// CodeForOutcome is the status code an injected chaos.Error becomes:
// UNAVAILABLE for Transient, RESOURCE_EXHAUSTED for Overload,
// INVALID_ARGUMENT for Permanent, INTERNAL for the rest.
func CodeForOutcome(o paved.Outcome) codes.Code {
	switch o {
	case paved.OutcomeTransient:
		return codes.Unavailable
	case paved.OutcomeOverload:
		return codes.ResourceExhausted
	case paved.OutcomePermanent:
		return codes.InvalidArgument
	}
	return codes.Internal
}

// injectedStatus is an injected error with the status it stands for: gRPC
// (status.FromError, status.Code) reads the status; errors.Is still finds
// chaos.ErrInjected and the fault's error.
type injectedStatus struct {
	st  *status.Status
	err error
}

func (e *injectedStatus) Error() string              { return e.st.Err().Error() }
func (e *injectedStatus) Unwrap() error              { return e.err }
func (e *injectedStatus) GRPCStatus() *status.Status { return e.st }

// Is compares e with a status error as grpc's own status errors compare
// (same code, message and details), so errors.Is(err, status.Error(...))
// holds for an injected status as for a real one.
func (e *injectedStatus) Is(target error) bool {
	se, ok := e.st.Err().(interface{ Is(error) bool })
	return ok && se.Is(target)
}

// asStatus returns err (an injected error) with the status its outcome calls for.
func asStatus(err error) error {
	code := CodeForOutcome(paved.DefaultClassifier.Classify(err))
	return &injectedStatus{st: status.New(code, err.Error()), err: err}
}

// waitErr turns a wait ended by ctx into the status a real call would get.
func waitErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return status.FromContextError(ctx.Err()).Err()
	}
	return err
}

// mustGRPCFault panics unless c can be applied to gRPC.
func mustGRPCFault(c *chaos.Chaos) {
	if c == nil {
		panic("chaosgrpc: needs a *chaos.Chaos, got nil")
	}
	switch c.Fault().(type) {
	case CodeFault, resetFault:
		return
	}
	if chaos.IsGeneric(c.Fault()) {
		return
	}
	panic("chaosgrpc: fault " + strconv.Quote(c.Fault().Name()) + " belongs to another transport")
}
