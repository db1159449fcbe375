package pavedgrpc_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	testgrpc "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/breaker"
	"github.com/paved-go/paved/fallback"
	"github.com/paved-go/paved/pavedgrpc"
	"github.com/paved-go/paved/telemetry"
	"github.com/paved-go/paved/telemetry/telemetrytest"
)

// The fallback's reply answers a call whose attempts all failed: copied
// into the caller's reply, deeply, so the cached message stays intact.
func TestFallbackReply(t *testing.T) {
	for _, concurrent := range []bool{false, true} {
		name := "sent once"
		if concurrent {
			name = "repeatable"
		}
		t.Run(name, func(t *testing.T) {
			svc := &testService{script: []reply{{code: codes.Unavailable}, {code: codes.Unavailable}, {code: codes.Unavailable}}}
			addr := startServer(t, svc)
			cached := &testgrpc.SimpleResponse{Username: "cached", Payload: &testgrpc.Payload{Body: []byte("old")}}
			log, tel := telemetrytest.New()
			p := paved.New("users", paved.WithTelemetry(tel), fallback.MustNew(fallback.Value(cached)), fastRetry())
			var opts []pavedgrpc.Option
			if concurrent {
				opts = append(opts, repeatAll)
			}
			client := dial(t, addr, grpc.WithUnaryInterceptor(pavedgrpc.UnaryClientInterceptor(p, opts...)))
			var trailer metadata.MD
			resp, err := client.UnaryCall(context.Background(), &testgrpc.SimpleRequest{}, grpc.Trailer(&trailer))
			require.NoError(t, err)
			assert.Equal(t, "cached", resp.GetUsername())
			assert.Equal(t, []byte("old"), resp.GetPayload().GetBody())
			resp.Payload.Body[0] = 'X'
			assert.Equal(t, []byte("old"), cached.Payload.Body, "the cached message is not shared with the caller")
			assert.Empty(t, trailer.Get("x-call"), "a substitute has no trailer of a failed attempt")
			assert.Equal(t, 1, log.Count(telemetry.EventFallback))
			if concurrent {
				assert.Equal(t, int32(3), svc.calls.Load())
			}
		})
	}
}

// An open breaker refuses the call; the fallback's reply answers.
func TestFallbackReplyBreakerOpen(t *testing.T) {
	addr := startServer(t, &testService{})
	b := breaker.MustNew("users")
	b.ForceOpen()
	p := paved.New("users", fallback.MustNew(fallback.Value(&testgrpc.SimpleResponse{Username: "default"})), b)
	client := dial(t, addr, grpc.WithUnaryInterceptor(pavedgrpc.UnaryClientInterceptor(p)))
	resp, err := client.UnaryCall(context.Background(), &testgrpc.SimpleRequest{})
	require.NoError(t, err)
	assert.Equal(t, "default", resp.GetUsername())
}

// A substitute of another type than the reply is a programmer error the
// caller sees as INTERNAL naming both types.
func TestFallbackReplyWrongType(t *testing.T) {
	addr := startServer(t, &testService{script: []reply{{code: codes.Unavailable}}})
	p := paved.New("users", fallback.MustNew(fallback.Value(&testgrpc.Empty{})))
	client := dial(t, addr, grpc.WithUnaryInterceptor(pavedgrpc.UnaryClientInterceptor(p)))
	_, err := client.UnaryCall(context.Background(), &testgrpc.SimpleRequest{})
	assert.Equal(t, codes.Internal, statusCode(err))
	assert.ErrorContains(t, err, "the fallback's reply is *grpc_testing.Empty, the call's is *grpc_testing.SimpleResponse")
}
