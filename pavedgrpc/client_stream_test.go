package pavedgrpc_test

import (
	"context"
	"errors"
	"io"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	testgrpc "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/status"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/pavedgrpc"
)

// TestStreamCreation: stream creation runs through the pipeline and the
// caller reads the final attempt's stream to its end.
func TestStreamCreation(t *testing.T) {
	svc := &testService{}
	addr := startServer(t, svc)
	spy := &spyMW{}
	p := paved.New("stream", spy)
	client := dial(t, addr, pavedgrpc.DialOptions(p)...)

	stream, err := client.StreamingOutputCall(context.Background(), &testgrpc.StreamingOutputCallRequest{
		ResponseParameters: []*testgrpc.ResponseParameters{{}, {}, {}},
	})
	require.NoError(t, err)
	var got []string
	for {
		m, err := stream.Recv()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		got = append(got, string(m.GetPayload().GetBody()))
	}
	assert.Equal(t, []string{"0", "1", "2"}, got)
	infos := spy.seen()
	require.Len(t, infos, 1)
	assert.Equal(t, "/grpc.testing.TestService/StreamingOutputCall", infos[0].Operation)
}

// TestStreamHedgedCreation: of two streams opened at once, the caller gets
// the final one; the other's context is canceled.
func TestStreamHedgedCreation(t *testing.T) {
	svc := &testService{}
	addr := startServer(t, svc)
	var mu sync.Mutex
	var streams []grpc.ClientStream
	capture := paved.MiddlewareFunc(func(next paved.Op) paved.Op {
		return func(ctx context.Context) error {
			err := next(ctx)
			if v, ok := paved.AttemptFrom(ctx).Result(); ok {
				mu.Lock()
				streams = append(streams, v.(grpc.ClientStream))
				mu.Unlock()
			}
			return err
		}
	})
	p := paved.New("stream-hedge", hedgeMW(2, 2), capture)
	client := dial(t, addr, pavedgrpc.DialOptions(p)...)
	stream, err := client.StreamingOutputCall(context.Background(), &testgrpc.StreamingOutputCallRequest{
		ResponseParameters: []*testgrpc.ResponseParameters{{}},
	})
	require.NoError(t, err)
	_, err = stream.Recv()
	require.NoError(t, err)
	_, err = stream.Recv()
	assert.Equal(t, io.EOF, err)

	require.Len(t, streams, 2)
	var canceled int
	for _, s := range streams {
		if s.Context().Err() != nil {
			canceled++
		}
	}
	// The loser was discarded; the winner's context ended with the stream.
	assert.Equal(t, 2, canceled)
}

// TestStreamCreationRefused: a refusal reaches the caller as a status and no
// stream is opened.
func TestStreamCreationRefused(t *testing.T) {
	svc := &testService{}
	addr := startServer(t, svc)
	sentinel := errors.New("breaker: open")
	p := paved.New("stream-refused", refuseMW(paved.NewRejection(sentinel, 0)))
	client := dial(t, addr, pavedgrpc.DialOptions(p)...)
	stream, err := client.StreamingOutputCall(context.Background(), &testgrpc.StreamingOutputCallRequest{})
	assert.Nil(t, stream)
	assert.Equal(t, codes.Unavailable, status.Code(err))
	assert.ErrorIs(t, err, sentinel)
	assert.Zero(t, svc.calls.Load())
}
