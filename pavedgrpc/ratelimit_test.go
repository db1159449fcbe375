package pavedgrpc_test

import (
	"context"
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
	"github.com/paved-go/paved/clock"
	"github.com/paved-go/paved/pavedgrpc"
	"github.com/paved-go/paved/ratelimit"
)

// TestServerPerKeyRateLimit: a PerKey limit in a server pipeline, keyed by
// the caller's metadata, answers its refusals with RESOURCE_EXHAUSTED and
// grpc-retry-pushback-ms, per caller, and a paved client reads the hint.
func TestServerPerKeyRateLimit(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	svc := &testService{}
	p := paved.New("server", ratelimit.MustPerKey(2, 1, ratelimit.WithClock(clk)))
	tenant := func(ctx context.Context) string {
		md, _ := metadata.FromIncomingContext(ctx)
		if v := md.Get("x-tenant"); len(v) > 0 {
			return v[0]
		}
		return ""
	}
	addr := startServer(t, svc, pavedgrpc.ServerOptions(p, pavedgrpc.WithKeyFunc(tenant))...)
	client := dial(t, addr)
	as := func(who string) context.Context {
		return metadata.AppendToOutgoingContext(context.Background(), "x-tenant", who)
	}

	_, err := client.UnaryCall(as("a"), &testgrpc.SimpleRequest{})
	require.NoError(t, err)
	var trailer metadata.MD
	_, err = client.UnaryCall(as("a"), &testgrpc.SimpleRequest{}, grpc.Trailer(&trailer))
	assert.Equal(t, codes.ResourceExhausted, status.Code(err))
	assert.Equal(t, []string{"500"}, trailer.Get(pavedgrpc.PushbackKey), "half a second to the next token at 2/s")
	assert.EqualValues(t, 1, svc.calls.Load(), "the refused call never reached the handler")

	_, err = client.UnaryCall(as("b"), &testgrpc.SimpleRequest{})
	require.NoError(t, err, "another caller has its own limit")

	pc := dial(t, addr, pavedgrpc.DialOptions(paved.New("client"))...)
	_, err = pc.UnaryCall(as("a"), &testgrpc.SimpleRequest{})
	assert.Equal(t, codes.ResourceExhausted, status.Code(err))
	d, ok := paved.RetryAfter(err)
	assert.True(t, ok)
	assert.Equal(t, 500*time.Millisecond, d, "a paved client reads the pushback as its hint")
	clk.Advance(500 * time.Millisecond)
	_, err = client.UnaryCall(as("a"), &testgrpc.SimpleRequest{})
	require.NoError(t, err)
}
