package pavedgrpc_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	testgrpc "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/pavedgrpc"
)

// TestUnaryRetryFinalReply: each attempt receives into its own message, and
// the caller gets the final attempt's reply and trailer.
func TestUnaryRetryFinalReply(t *testing.T) {
	svc := &testService{script: []reply{{code: codes.Unavailable}, {code: codes.Unavailable}}}
	addr := startServer(t, svc)
	var seen []any
	record := paved.MiddlewareFunc(func(next paved.Op) paved.Op {
		return func(ctx context.Context) error {
			err := next(ctx)
			v, _ := paved.AttemptFrom(ctx).Result()
			seen = append(seen, v)
			return err
		}
	})
	p := paved.New("retry", fastRetry(), record)
	client := dial(t, addr, pavedgrpc.DialOptions(p, repeatAll)...)

	var trailer metadata.MD
	resp, err := client.UnaryCall(context.Background(), &testgrpc.SimpleRequest{}, grpc.Trailer(&trailer))
	require.NoError(t, err)
	assert.Equal(t, "3", string(resp.GetPayload().GetBody()), "the reply of the third call")
	assert.Equal(t, "user-3", resp.GetUsername())
	assert.Equal(t, []string{"3"}, trailer.Get("x-call"), "the final attempt's trailer")
	assert.Equal(t, int32(3), svc.calls.Load())
	require.Len(t, seen, 3)
	assert.NotSame(t, seen[0], seen[1])
	assert.NotSame(t, seen[1], seen[2])
}

// TestUnaryHedgedAttemptsSeparateReplies runs two attempts at once (the race
// detector would catch a shared reply) and keeps the second's.
func TestUnaryHedgedAttemptsSeparateReplies(t *testing.T) {
	for _, final := range []int{1, 2} {
		t.Run(string(rune('0'+final)), func(t *testing.T) {
			svc := &testService{}
			addr := startServer(t, svc)
			p := paved.New("hedge", hedgeMW(2, final))
			client := dial(t, addr, pavedgrpc.DialOptions(p)...)
			var header metadata.MD
			resp, err := client.UnaryCall(context.Background(), &testgrpc.SimpleRequest{}, grpc.Header(&header))
			require.NoError(t, err)
			want := string(rune('0' + final))
			assert.Equal(t, want, string(resp.GetPayload().GetBody()))
			assert.Equal(t, "user-"+want, resp.GetUsername())
			assert.NotNil(t, header, "header of the final attempt delivered")
			assert.Equal(t, int32(2), svc.calls.Load())
		})
	}
}

// TestUnaryReplyOverwritten: a reused reply message holds only the new reply.
func TestUnaryReplyOverwritten(t *testing.T) {
	addr := startServer(t, &testService{})
	p := paved.New("reuse")
	conn := dialConn(t, addr, pavedgrpc.DialOptions(p)...)
	out := &testgrpc.SimpleResponse{OauthScope: "stale", Payload: &testgrpc.Payload{Body: []byte("old")}}
	err := conn.Invoke(context.Background(), "/grpc.testing.TestService/UnaryCall", &testgrpc.SimpleRequest{}, out)
	require.NoError(t, err)
	assert.Equal(t, "1", string(out.GetPayload().GetBody()))
	assert.Empty(t, out.GetOauthScope(), "fields of the old contents are cleared")
}

// TestClientRefusal: a policy's refusal reaches a gRPC caller as a status.
func TestClientRefusal(t *testing.T) {
	open := errors.New("breaker: open")
	limited := paved.Mark(errors.New("ratelimit: limited"), paved.OutcomeOverload)
	tests := []struct {
		name     string
		sentinel error
		opts     []pavedgrpc.Option
		want     codes.Code
	}{
		{"breaker open", open, nil, codes.Unavailable},
		{"rate limited", limited, nil, codes.ResourceExhausted},
		{"custom code", open, []pavedgrpc.Option{pavedgrpc.WithRefusalCode(func(error) codes.Code { return codes.Aborted })}, codes.Aborted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc := &testService{}
			addr := startServer(t, svc)
			p := paved.New("refuse", refuseMW(paved.NewRejection(tt.sentinel, 1500*time.Millisecond)))
			client := dial(t, addr, pavedgrpc.DialOptions(p, tt.opts...)...)
			_, err := client.UnaryCall(context.Background(), &testgrpc.SimpleRequest{})
			assert.Equal(t, tt.want, status.Code(err))
			assert.ErrorIs(t, err, tt.sentinel)
			assert.ErrorIs(t, err, paved.ErrRejected)
			assert.Equal(t, paved.OutcomeRejected, pavedgrpc.Classify(err), "paved's own refusal: no retry repeats it, no breaker counts it")
			assert.Equal(t, paved.OutcomeRejected, paved.DefaultClassifier.Classify(err))
			d, ok := paved.RetryAfter(err)
			assert.True(t, ok)
			assert.Equal(t, 1500*time.Millisecond, d)
			assert.Zero(t, svc.calls.Load(), "the server never saw the call")
		})
	}
}

// TestClientContextErrors: a context error a policy returns without calling
// becomes the matching status.
func TestClientContextErrors(t *testing.T) {
	addr := startServer(t, &testService{})
	for _, tt := range []struct {
		err  error
		want codes.Code
	}{
		{context.DeadlineExceeded, codes.DeadlineExceeded},
		{context.Canceled, codes.Canceled},
		{errors.New("plain"), codes.Unknown},
	} {
		t.Run(tt.want.String(), func(t *testing.T) {
			p := paved.New("ctx", refuseMW(tt.err))
			client := dial(t, addr, pavedgrpc.DialOptions(p)...)
			_, err := client.UnaryCall(context.Background(), &testgrpc.SimpleRequest{})
			assert.Equal(t, tt.want, status.Code(err))
			assert.ErrorIs(t, err, tt.err)
		})
	}
}

// TestClientDeadlineFromCaller: the caller's deadline bounds the call.
func TestClientDeadlineFromCaller(t *testing.T) {
	addr := startServer(t, &testService{})
	p := paved.New("deadline")
	client := dial(t, addr, pavedgrpc.DialOptions(p)...)
	ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	_, err := client.UnaryCall(ctx, &testgrpc.SimpleRequest{})
	assert.Equal(t, codes.DeadlineExceeded, status.Code(err))
	assert.Equal(t, paved.OutcomeTransient, pavedgrpc.Classify(err))
}
