package pavedgrpc_test

import (
	"context"
	"errors"
	"io"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	testgrpc "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/hedge"
	"github.com/paved-go/paved/internal/testserver"
	"github.com/paved-go/paved/pavedgrpc"
	"github.com/paved-go/paved/retry"
)

// numbered answers every call with header x-n and trailer x-t set to its
// arrival number, so a client can tell which attempt's values it got.
func numbered(n int) testserver.Behaviour {
	return testserver.OK().WithHeader("x-n", strconv.Itoa(n)).WithTrailer("x-t", strconv.Itoa(n))
}

// TestStreamCallVarsFromFinalAttempt: a stream opened twice (a hedge that
// cut a slow attempt short, a retry past an attempt that failed after its
// stream opened) fills the caller's grpc.Header, grpc.Trailer and grpc.Peer
// from the stream the caller read, and the abandoned stream, which grpc
// finishes on its own goroutine, never writes them (run with -race).
func TestStreamCallVarsFromFinalAttempt(t *testing.T) {
	// firstStuck holds attempt 1 after its stream opened until the hedge
	// cancels it.
	firstStuck := paved.MiddlewareFunc(func(next paved.Op) paved.Op {
		return func(ctx context.Context) error {
			err := next(ctx)
			if paved.AttemptFrom(ctx).Number() == 1 && paved.CallFrom(ctx).Concurrent() {
				select {
				case <-ctx.Done():
					return ctx.Err()
				case <-time.After(10 * time.Second): // a safety net: the hedge never came
					return errors.New("attempt 1 was never canceled")
				}
			}
			return err
		}
	})
	// firstFails fails attempt 1 after its stream opened.
	firstFails := paved.MiddlewareFunc(func(next paved.Op) paved.Op {
		return func(ctx context.Context) error {
			err := next(ctx)
			if err == nil && paved.AttemptFrom(ctx).Number() == 1 {
				return status.Error(codes.Unavailable, "failed after the stream opened")
			}
			return err
		}
	})
	tests := []struct {
		name   string
		policy paved.Middleware
		inner  paved.Middleware
	}{
		{"hedge", hedge.MustNew(hedge.WithDelay(time.Millisecond), hedge.WithoutBudget()), firstStuck},
		{"retry", retry.MustNew(retry.WithBackoff(time.Millisecond, time.Millisecond), retry.WithoutBudget()), firstFails},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := testserver.NewGRPC(t, testserver.WithChooser(numbered))
			var attempts atomic.Int32
			count := paved.MiddlewareFunc(func(next paved.Op) paved.Op {
				return func(ctx context.Context) error { attempts.Add(1); return next(ctx) }
			})
			p := paved.New("stream-vars", tt.policy, count, tt.inner)
			client := testgrpc.NewTestServiceClient(srv.Dial(t, pavedgrpc.DialOptions(p, repeatAll)...))

			var hdr, tr metadata.MD
			var pr peer.Peer
			stream, err := client.StreamingOutputCall(context.Background(), &testgrpc.StreamingOutputCallRequest{
				ResponseParameters: []*testgrpc.ResponseParameters{{}, {}},
			}, grpc.Header(&hdr), grpc.Trailer(&tr), grpc.Peer(&pr))
			require.NoError(t, err)
			want, err := stream.Header()
			require.NoError(t, err)
			for err == nil {
				_, err = stream.Recv()
			}
			require.Equal(t, io.EOF, err)

			// Attempt 1 may be canceled before the server sees it, so count
			// attempts on the client.
			assert.EqualValues(t, 2, attempts.Load(), "two attempts opened a stream")
			require.Len(t, want.Get("x-n"), 1)
			assert.Equal(t, want.Get("x-n"), hdr.Get("x-n"), "the header of the stream read")
			assert.Equal(t, want.Get("x-n"), tr.Get("x-t"), "the trailer of the stream read")
			assert.Equal(t, stream.Trailer(), tr)
			assert.NotNil(t, pr.Addr, "the peer of the stream read")
		})
	}
}

// TestStreamCallVarsSingleResponse: a call with one response fills the
// caller's variables when the response arrives.
func TestStreamCallVarsSingleResponse(t *testing.T) {
	srv := testserver.NewGRPC(t, testserver.WithChooser(numbered))
	p := paved.New("stream-vars-single")
	conn := srv.Dial(t, pavedgrpc.DialOptions(p)...)
	var hdr, tr metadata.MD
	desc := &grpc.StreamDesc{StreamName: "UnaryCall"} // no server streams: one response
	stream, err := conn.NewStream(context.Background(), desc, testgrpc.TestService_UnaryCall_FullMethodName,
		grpc.Header(&hdr), grpc.Trailer(&tr))
	require.NoError(t, err)
	require.NoError(t, stream.SendMsg(&testgrpc.SimpleRequest{}))
	require.NoError(t, stream.CloseSend())
	require.NoError(t, stream.RecvMsg(&testgrpc.SimpleResponse{}))
	assert.Equal(t, []string{"0"}, hdr.Get("x-n"))
	assert.Equal(t, []string{"0"}, tr.Get("x-t"))
}
