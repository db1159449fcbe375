package pavedgrpc_test

import (
	"context"
	"errors"
	"sync"
	"testing"

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

// gaveUp is a downstream error that says its retry gave up.
type gaveUp struct{}

func (gaveUp) Error() string { return "retry: gave up" }
func (gaveUp) GaveUp() bool  { return true }

// tierService answers UnaryCall with UNAVAILABLE after a downstream call
// through paved with the call's context that fails with downstreamErr, and
// records the caller attempt each call was.
type tierService struct {
	testgrpc.UnimplementedTestServiceServer
	downstreamErr error
	mu            sync.Mutex
	attempts      []int
}

func (s *tierService) UnaryCall(ctx context.Context, _ *testgrpc.SimpleRequest) (*testgrpc.SimpleResponse, error) {
	s.mu.Lock()
	s.attempts = append(s.attempts, paved.CallFrom(ctx).CallerAttempt())
	s.mu.Unlock()
	_ = paved.New("downstream").Run(ctx, func(context.Context) error { return s.downstreamErr })
	return nil, status.Error(codes.Unavailable, "downstream failed")
}

// A server whose handler's downstream call gave up answers with the "do not
// retry" pushback (grpc-retry-pushback-ms: -1); one whose downstream call
// merely failed, or that opted out, does not.
func TestServerTellsCallerNotToRetry(t *testing.T) {
	for _, tt := range []struct {
		name       string
		downstream error
		opts       []pavedgrpc.Option
		want       []string
	}{
		{"gave up below", gaveUp{}, nil, []string{"-1"}},
		{"refused below", paved.NewRejection(errors.New("breaker: open"), 0), nil, []string{"-1"}},
		{"failed below, not retried", errors.New("x"), nil, nil},
		{"opted out", gaveUp{}, []pavedgrpc.Option{pavedgrpc.WithDoNotRetry(false)}, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			addr := startServer(t, &tierService{downstreamErr: tt.downstream}, pavedgrpc.ServerOptions(paved.New("server"), tt.opts...)...)
			var trailer metadata.MD
			_, err := dial(t, addr).UnaryCall(context.Background(), &testgrpc.SimpleRequest{}, grpc.Trailer(&trailer))
			assert.Equal(t, codes.Unavailable, status.Code(err), "the code is unchanged")
			assert.Equal(t, tt.want, trailer.Get(pavedgrpc.PushbackKey))
		})
	}
}

// Resends carry their attempt number in metadata; the server sees it on the
// Call.
func TestAttemptMetadata(t *testing.T) {
	svc := &tierService{downstreamErr: errors.New("x")}
	addr := startServer(t, svc, pavedgrpc.ServerOptions(paved.New("server"))...)
	client := dial(t, addr, pavedgrpc.DialOptions(paved.New("client", fastRetry()), repeatAll)...)
	_, err := client.UnaryCall(context.Background(), &testgrpc.SimpleRequest{})
	require.Error(t, err)
	svc.mu.Lock()
	defer svc.mu.Unlock()
	assert.Equal(t, []int{0, 2, 3}, svc.attempts)
}
