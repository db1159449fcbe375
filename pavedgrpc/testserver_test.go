package pavedgrpc_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/hedge"
	"github.com/paved-go/paved/internal/testserver"
	"github.com/paved-go/paved/pavedgrpc"
)

// TestShared_RetryThroughFailures uses the shared scriptable server and the
// real retry: a reset connection and an UNAVAILABLE with pushback (capped by
// the retry's maximum backoff) are retried, and the health check answers on
// the third attempt.
func TestShared_RetryThroughFailures(t *testing.T) {
	srv := testserver.NewGRPC(t, testserver.WithScript(
		testserver.Reset(),
		testserver.Code(codes.Unavailable).WithTrailer(pavedgrpc.PushbackKey, "250"),
		testserver.OK(),
	))
	var hints []time.Duration
	spy := paved.MiddlewareFunc(func(next paved.Op) paved.Op {
		return func(ctx context.Context) error {
			err := next(ctx)
			if d, ok := paved.RetryAfter(err); ok {
				hints = append(hints, d)
			}
			return err
		}
	})
	p := paved.New("shared", fastRetry(), spy)
	client := healthpb.NewHealthClient(srv.Dial(t, pavedgrpc.DialOptions(p, repeatAll)...))
	resp, err := client.Check(context.Background(), &healthpb.HealthCheckRequest{})
	require.NoError(t, err)
	assert.Equal(t, healthpb.HealthCheckResponse_SERVING, resp.GetStatus())
	assert.Equal(t, 3, srv.Calls())
	assert.Contains(t, hints, 250*time.Millisecond)
}

// TestShared_PermanentNotRetried: NOT_FOUND ends the call at once.
func TestShared_PermanentNotRetried(t *testing.T) {
	srv := testserver.NewGRPC(t, testserver.WithScript(testserver.Code(codes.NotFound)))
	p := paved.New("shared", fastRetry())
	client := healthpb.NewHealthClient(srv.Dial(t, pavedgrpc.DialOptions(p, repeatAll)...))
	_, err := client.Check(context.Background(), &healthpb.HealthCheckRequest{})
	assert.Equal(t, codes.NotFound, status.Code(err))
	assert.Equal(t, 1, srv.Calls())
}

// TestShared_HedgeSlowCall: the real hedge starts a second attempt when the
// first hangs, returns the second's answer and cancels the first.
func TestShared_HedgeSlowCall(t *testing.T) {
	srv := testserver.NewGRPC(t, testserver.WithScript(testserver.Hang(), testserver.OK()))
	p := paved.New("shared-hedge", hedge.MustNew(hedge.WithDelay(5*time.Millisecond), hedge.WithoutBudget()))
	client := healthpb.NewHealthClient(srv.Dial(t, pavedgrpc.DialOptions(p, repeatAll)...))
	resp, err := client.Check(context.Background(), &healthpb.HealthCheckRequest{})
	require.NoError(t, err)
	assert.Equal(t, healthpb.HealthCheckResponse_SERVING, resp.GetStatus())
	assert.Equal(t, 2, srv.Calls())
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, srv.WaitIdle(ctx), "the hung attempt was canceled")
}

// TestShared_HedgeNotForUnrepeatable: a method sent once is never hedged,
// however slow it is.
func TestShared_HedgeNotForUnrepeatable(t *testing.T) {
	srv := testserver.NewGRPC(t, testserver.WithScript(testserver.OK().WithDelay(20*time.Millisecond)))
	p := paved.New("shared-hedge", hedge.MustNew(hedge.WithDelay(time.Millisecond), hedge.WithoutBudget()))
	client := healthpb.NewHealthClient(srv.Dial(t, pavedgrpc.DialOptions(p)...))
	_, err := client.Check(context.Background(), &healthpb.HealthCheckRequest{})
	require.NoError(t, err)
	assert.Equal(t, 1, srv.Calls())
}
