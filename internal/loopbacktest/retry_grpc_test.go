package loopbacktest_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/status"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/internal/testserver"
	"github.com/paved-go/paved/pavedgrpc"
	"github.com/paved-go/paved/retry"
)

// grpcClient dials g with p's unary interceptor. The interop TestService
// declares no idempotency_level, so its methods are opted in as repeatable:
// without that pavedgrpc sends every call once.
func grpcClient(t *testing.T, g *testserver.GRPC, p *paved.Pipeline) testpb.TestServiceClient {
	t.Helper()
	repeatable := pavedgrpc.WithRepeatable(func(string) bool { return true })
	cc := g.Dial(t, grpc.WithUnaryInterceptor(pavedgrpc.UnaryClientInterceptor(p, repeatable)))
	return testpb.NewTestServiceClient(cc)
}

// TestGRPCPushback: the server's grpc-retry-pushback-ms replaces retry's
// backoff (clamped to its max, 10s by default); a negative pushback on
// RESOURCE_EXHAUSTED stops the retry after one attempt.
func TestGRPCPushback(t *testing.T) {
	tests := []struct {
		name     string
		pushback string
		want     time.Duration
	}{
		{"honoured", "2500", 2500 * time.Millisecond},
		{"clamped to the max delay", "60000", 10 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := testserver.NewGRPC(t, testserver.WithScript(
				testserver.Code(codes.Unavailable).WithTrailer(pavedgrpc.PushbackKey, tt.pushback)))
			clk := newTimerClock()
			p := paved.New("pushback", retry.MustNew(retry.WithClock(clk)))
			client := grpcClient(t, g, p)
			done := make(chan error, 1)
			go func() {
				_, err := client.EmptyCall(context.Background(), &testpb.Empty{})
				done <- err
			}()
			d := <-clk.timers
			clk.BlockUntil(1)
			assert.Equal(t, tt.want, d, "retry waits what the server asked, not its 100ms backoff")
			clk.Advance(d - time.Millisecond)
			assert.Equal(t, 1, clk.Pending(), "no retry before the pushback")
			assert.Equal(t, 1, g.Calls())
			clk.Advance(time.Millisecond)
			require.NoError(t, <-done)
			assert.Equal(t, 2, g.Calls())
		})
	}

	t.Run("negative on RESOURCE_EXHAUSTED: not retried", func(t *testing.T) {
		g := testserver.NewGRPC(t, testserver.WithDefault(
			testserver.Code(codes.ResourceExhausted).WithTrailer(pavedgrpc.PushbackKey, "-1")))
		clk := newTimerClock()
		p := paved.New("pushback", retry.MustNew(retry.WithClock(clk)))
		_, err := grpcClient(t, g, p).EmptyCall(context.Background(), &testpb.Empty{})
		require.Error(t, err)
		assert.Equal(t, codes.ResourceExhausted, status.Code(err))
		var ex *retry.ExhaustedError
		require.True(t, errors.As(err, &ex), "%v", err)
		assert.Equal(t, retry.ReasonPushback, ex.Reason)
		assert.Equal(t, 1, ex.Attempts)
		assert.Equal(t, 1, g.Calls())
		assert.Empty(t, clk.timers, "no wait at all")
	})
}

// TestGRPCRefusalNotRetried is TestHTTPRefusalNotRetried over gRPC: the
// caller gets UNAVAILABLE, or RESOURCE_EXHAUSTED for a rate limit, at once,
// still matching the policy's sentinel, and the server sees no call.
func TestGRPCRefusalNotRetried(t *testing.T) {
	for _, rf := range refusals {
		t.Run(rf.name, func(t *testing.T) {
			g := testserver.NewGRPC(t, testserver.WithDefault(testserver.Code(codes.Unavailable)))
			p := paved.New("refused", retry.MustNew(retry.WithBackoff(time.Millisecond, 10*time.Millisecond)), rf.policy())
			client := grpcClient(t, g, p)
			for i := 0; ; i++ {
				require.Less(t, i, tripCalls, "the policy never refused")
				if _, err := client.EmptyCall(context.Background(), &testpb.Empty{}); errors.Is(err, rf.sentinel) {
					break
				}
			}
			before := g.Calls()
			lat := make([]time.Duration, refusalCalls)
			for i := range refusalCalls {
				start := time.Now()
				_, err := client.EmptyCall(context.Background(), &testpb.Empty{})
				lat[i] = time.Since(start)
				require.Equal(t, rf.grpcCode, status.Code(err), "%v", err)
				require.ErrorIs(t, err, rf.sentinel)
				var ex *retry.ExhaustedError
				require.False(t, errors.As(err, &ex))
			}
			assertFast(t, lat)
			assert.Equal(t, before, g.Calls(), "the server sees no call once the policy refuses")
		})
	}
}
