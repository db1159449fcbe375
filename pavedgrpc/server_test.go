package pavedgrpc_test

import (
	"context"
	"errors"
	"io"
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

// TestServerRefusal: a refusal becomes RESOURCE_EXHAUSTED or UNAVAILABLE with
// the grpc-retry-pushback-ms trailer, for unary calls and streams, and the
// handler never runs.
func TestServerRefusal(t *testing.T) {
	tests := []struct {
		name     string
		sentinel error
		after    time.Duration
		want     codes.Code
		pushback []string
	}{
		{"rate limited", paved.Mark(errors.New("ratelimit: limited"), paved.OutcomeOverload), 1500 * time.Millisecond, codes.ResourceExhausted, []string{"1500"}},
		{"breaker open", errors.New("breaker: open"), 1500 * time.Millisecond, codes.Unavailable, []string{"1500"}},
		{"rounded up", errors.New("bulkhead: full"), 1500*time.Millisecond + time.Microsecond, codes.Unavailable, []string{"1501"}},
		{"no hint", errors.New("bulkhead: full"), 0, codes.Unavailable, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc := &testService{}
			p := paved.New("server", refuseMW(paved.NewRejection(tt.sentinel, tt.after)))
			addr := startServer(t, svc, pavedgrpc.ServerOptions(p)...)
			client := dial(t, addr)

			var trailer metadata.MD
			_, err := client.UnaryCall(context.Background(), &testgrpc.SimpleRequest{}, grpc.Trailer(&trailer))
			assert.Equal(t, tt.want, status.Code(err))
			assert.Equal(t, tt.pushback, trailer.Get(pavedgrpc.PushbackKey))

			stream, err := client.StreamingOutputCall(context.Background(), &testgrpc.StreamingOutputCallRequest{})
			require.NoError(t, err)
			_, err = stream.Recv()
			assert.Equal(t, tt.want, status.Code(err))
			assert.Equal(t, tt.pushback, stream.Trailer().Get(pavedgrpc.PushbackKey))
			assert.Zero(t, svc.calls.Load(), "handlers never ran")
		})
	}
}

// TestServerRefusalReadByClient: the pushback a paved server sends is the
// hint a paved client's policies see.
func TestServerRefusalReadByClient(t *testing.T) {
	sp := paved.New("server", refuseMW(paved.NewRejection(errors.New("shed"), 2*time.Second)))
	addr := startServer(t, &testService{}, pavedgrpc.ServerOptions(sp)...)
	client := dial(t, addr, pavedgrpc.DialOptions(paved.New("client"))...)
	_, err := client.UnaryCall(context.Background(), &testgrpc.SimpleRequest{})
	assert.Equal(t, codes.Unavailable, status.Code(err))
	d, ok := paved.RetryAfter(err)
	assert.True(t, ok)
	assert.Equal(t, 2*time.Second, d)
}

// TestServerCallInfo: the handler runs inside the pipeline with the method,
// caller key, priority and the incoming deadline; its errors pass unchanged.
func TestServerCallInfo(t *testing.T) {
	spy := &spyMW{}
	deadlines := make(chan time.Time, 2)
	seeDeadline := paved.MiddlewareFunc(func(next paved.Op) paved.Op {
		return func(ctx context.Context) error {
			d, _ := ctx.Deadline()
			deadlines <- d
			return next(ctx)
		}
	})
	p := paved.New("server", spy, seeDeadline)
	svc := &testService{script: []reply{{code: codes.NotFound}}}
	addr := startServer(t, svc, pavedgrpc.ServerOptions(p,
		pavedgrpc.WithKeyFunc(func(ctx context.Context) string {
			md, _ := metadata.FromIncomingContext(ctx)
			return md.Get("x-tenant")[0]
		}),
		pavedgrpc.WithPriorityFunc(func(context.Context) paved.Priority { return paved.PrioritySheddable }),
	)...)
	client := dial(t, addr)

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	ctx = metadata.AppendToOutgoingContext(ctx, "x-tenant", "acme")
	_, err := client.UnaryCall(ctx, &testgrpc.SimpleRequest{})
	assert.Equal(t, codes.NotFound, status.Code(err), "handler error unchanged")

	stream, err := client.StreamingOutputCall(ctx, &testgrpc.StreamingOutputCallRequest{
		ResponseParameters: []*testgrpc.ResponseParameters{{}, {}},
	})
	require.NoError(t, err)
	n := 0
	for {
		_, err := stream.Recv()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		n++
	}
	assert.Equal(t, 2, n)

	infos := spy.seen()
	require.Len(t, infos, 2)
	assert.Equal(t, "/grpc.testing.TestService/UnaryCall", infos[0].Operation)
	assert.Equal(t, "/grpc.testing.TestService/StreamingOutputCall", infos[1].Operation)
	for _, info := range infos {
		assert.Equal(t, "acme", info.Key)
		assert.Equal(t, paved.PrioritySheddable, info.Priority)
		assert.True(t, info.Unrepeatable, "a handler never runs twice")
	}
	for range 2 {
		d := <-deadlines
		assert.False(t, d.IsZero(), "incoming deadline on the pipeline's context")
		assert.WithinDuration(t, time.Now().Add(time.Minute), d, 30*time.Second)
	}
}
