package pavedgrpc_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	testgrpc "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/status"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/pavedgrpc"
)

// TestOutcomeTable has a real server answer with every code and checks the
// outcome, that status.Code survives the interceptor, and error.type.
func TestOutcomeTable(t *testing.T) {
	tests := []struct {
		code codes.Code
		want paved.Outcome
	}{
		{codes.OK, paved.OutcomeSuccess},
		{codes.Unavailable, paved.OutcomeTransient},
		{codes.ResourceExhausted, paved.OutcomeOverload},
		{codes.DeadlineExceeded, paved.OutcomeTransient},
		{codes.Internal, paved.OutcomeFault},
		{codes.Unknown, paved.OutcomeFault},
		{codes.DataLoss, paved.OutcomeFault},
		{codes.Aborted, paved.OutcomeFault},
		{codes.Canceled, paved.OutcomeCanceled},
		{codes.InvalidArgument, paved.OutcomePermanent},
		{codes.NotFound, paved.OutcomePermanent},
		{codes.AlreadyExists, paved.OutcomePermanent},
		{codes.PermissionDenied, paved.OutcomePermanent},
		{codes.Unauthenticated, paved.OutcomePermanent},
		{codes.FailedPrecondition, paved.OutcomePermanent},
		{codes.OutOfRange, paved.OutcomePermanent},
		{codes.Unimplemented, paved.OutcomePermanent},
	}
	svc := &testService{}
	addr := startServer(t, svc)
	mu := &spyOutcome{}
	p := paved.New("table", mu)
	client := dial(t, addr, pavedgrpc.DialOptions(p)...)
	for _, tt := range tests {
		t.Run(tt.code.String(), func(t *testing.T) {
			svc.mu.Lock()
			svc.script = []reply{{code: tt.code}}
			svc.mu.Unlock()
			_, err := client.UnaryCall(context.Background(), &testgrpc.SimpleRequest{})
			assert.Equal(t, tt.code, status.Code(err), "status.Code through the interceptor")
			assert.Equal(t, tt.want, pavedgrpc.Classify(err))
			assert.Equal(t, tt.want, mu.last(), "what the pipeline's policies saw")
			if tt.code == codes.OK {
				require.NoError(t, err)
				return
			}
			var se *pavedgrpc.StatusError
			require.ErrorAs(t, err, &se)
			assert.Equal(t, tt.code, se.Code())
			assert.Equal(t, tt.want, se.Outcome())
			assert.Equal(t, tt.code.String(), se.ErrorType())
			assert.Equal(t, "scripted "+tt.code.String(), status.Convert(err).Message())
		})
	}
}

// spyOutcome records how the call classified the error it saw last.
type spyOutcome struct {
	out paved.Outcome
}

func (s *spyOutcome) Wrap(next paved.Op) paved.Op {
	return func(ctx context.Context) error {
		err := next(ctx)
		s.out = paved.CallFrom(ctx).Classify(err)
		return err
	}
}

func (s *spyOutcome) last() paved.Outcome { return s.out }

func TestClassifyPlainErrors(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want paved.Outcome
	}{
		{"nil", nil, paved.OutcomeSuccess},
		{"status error", status.Error(codes.NotFound, "x"), paved.OutcomePermanent},
		{"wrapped status error", fmt.Errorf("get: %w", status.Error(codes.Unavailable, "x")), paved.OutcomeTransient},
		{"unknown code number", status.Error(codes.Code(99), "x"), paved.OutcomeFault},
		{"marker wins over code", paved.Permanent(status.Error(codes.Unavailable, "x")), paved.OutcomePermanent},
		{"refusal", paved.NewRejection(errors.New("breaker: open"), 0), paved.OutcomeRejected},
		{"context canceled", context.Canceled, paved.OutcomeCanceled},
		{"context deadline", context.DeadlineExceeded, paved.OutcomeTransient},
		{"plain error", errors.New("boom"), paved.OutcomeTransient},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, pavedgrpc.Classify(tt.err))
		})
	}
}
