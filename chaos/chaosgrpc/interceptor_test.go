package chaosgrpc_test

import (
	"context"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/chaos"
	"github.com/paved-go/paved/chaos/chaosgrpc"
	"github.com/paved-go/paved/clock"
	"github.com/paved-go/paved/pavedgrpc"
	"github.com/paved-go/paved/retry"
	"github.com/paved-go/paved/telemetry"
	"github.com/paved-go/paved/telemetry/telemetrytest"
)

// service answers every call OK and counts them.
type service struct {
	testpb.UnimplementedTestServiceServer
	calls atomic.Int64
}

func (s *service) UnaryCall(context.Context, *testpb.SimpleRequest) (*testpb.SimpleResponse, error) {
	s.calls.Add(1)
	return &testpb.SimpleResponse{Username: "ok"}, nil
}

func (s *service) StreamingOutputCall(_ *testpb.StreamingOutputCallRequest, stream testpb.TestService_StreamingOutputCallServer) error {
	s.calls.Add(1)
	return stream.Send(&testpb.StreamingOutputCallResponse{})
}

// start serves a service on loopback with opts and returns a client dialled
// with dial.
func start(t *testing.T, opts []grpc.ServerOption, dial ...grpc.DialOption) (testpb.TestServiceClient, *service) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := grpc.NewServer(append(opts, grpc.WaitForHandlers(true))...)
	svc := &service{}
	testpb.RegisterTestServiceServer(srv, svc)
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Serve(l) }()
	t.Cleanup(func() { srv.Stop(); <-done })
	cc, err := grpc.NewClient("passthrough:///"+l.Addr().String(),
		append([]grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}, dial...)...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = cc.Close() })
	return testpb.NewTestServiceClient(cc), svc
}

func TestClientCode(t *testing.T) {
	c := chaos.MustNew(chaosgrpc.Code(codes.Unavailable), chaos.WithRate(1))
	client, svc := start(t, nil, grpc.WithUnaryInterceptor(chaosgrpc.UnaryClientInterceptor(c)))
	_, err := client.UnaryCall(context.Background(), &testpb.SimpleRequest{})
	assert.Equal(t, codes.Unavailable, status.Code(err))
	assert.Equal(t, "chaos: injected Unavailable", status.Convert(err).Message())
	assert.ErrorIs(t, err, chaos.ErrInjected, "a test tells a rehearsal apart")
	assert.ErrorIs(t, err, status.Error(codes.Unavailable, "chaos: injected Unavailable"), "and compares as a real status does")
	assert.NotErrorIs(t, err, status.Error(codes.Internal, "chaos: injected Unavailable"))
	assert.Zero(t, svc.calls.Load(), "an injected status never reaches the server")
}

func TestClientPushbackTrailer(t *testing.T) {
	c := chaos.MustNew(chaosgrpc.Code(codes.Unavailable).WithPushback(1500*time.Millisecond), chaos.WithRate(1))
	client, _ := start(t, nil, grpc.WithUnaryInterceptor(chaosgrpc.UnaryClientInterceptor(c)))
	var md metadata.MD
	_, err := client.UnaryCall(context.Background(), &testpb.SimpleRequest{}, grpc.Trailer(&md))
	require.Error(t, err)
	assert.Equal(t, []string{"1500"}, md.Get("grpc-retry-pushback-ms"))
}

// Inside pavedgrpc's interceptor, each attempt is disturbed: retry repeats
// injected UNAVAILABLEs, and obeys an injected "do not retry" pushback.
func TestClientUnderPavedRetry(t *testing.T) {
	repeatable := pavedgrpc.WithRepeatable(func(string) bool { return true })
	fast := retry.MustNew(retry.WithMaxAttempts(10), retry.WithBackoff(time.Microsecond, time.Microsecond), retry.WithoutBudget())

	log, tel := telemetrytest.New()
	c := chaos.MustNew(chaosgrpc.Code(codes.Unavailable), chaos.WithRate(0.5), chaos.WithSeed(4))
	p := paved.New("grpc-flaky", paved.WithTelemetry(tel), fast)
	client, svc := start(t, nil, grpc.WithChainUnaryInterceptor(pavedgrpc.UnaryClientInterceptor(p, repeatable), chaosgrpc.UnaryClientInterceptor(c)))
	for range 40 {
		resp, err := client.UnaryCall(context.Background(), &testpb.SimpleRequest{})
		require.NoError(t, err)
		assert.Equal(t, "ok", resp.GetUsername())
	}
	assert.Equal(t, int64(40), svc.calls.Load())
	assert.Greater(t, c.Injected(), uint64(10))
	assert.Equal(t, int(c.Injected()), log.Count(telemetry.EventChaosInjected))
	assert.Equal(t, int(c.Injected()), log.Count(telemetry.EventRetry))

	stop := chaos.MustNew(chaosgrpc.Code(codes.Unavailable).WithPushback(-1), chaos.WithRate(1))
	p2 := paved.New("grpc-pushback", fast)
	client2, svc2 := start(t, nil, grpc.WithChainUnaryInterceptor(pavedgrpc.UnaryClientInterceptor(p2, repeatable), chaosgrpc.UnaryClientInterceptor(stop)))
	_, err := client2.UnaryCall(context.Background(), &testpb.SimpleRequest{})
	assert.Equal(t, codes.Unavailable, status.Code(err))
	assert.Equal(t, uint64(1), stop.Injected(), "a do-not-retry pushback stops the retry")
	assert.Zero(t, svc2.calls.Load())
}

func TestClientErrorOutcome(t *testing.T) {
	for _, tt := range []struct {
		o    paved.Outcome
		want codes.Code
	}{
		{paved.OutcomeTransient, codes.Unavailable},
		{paved.OutcomeOverload, codes.ResourceExhausted},
		{paved.OutcomePermanent, codes.InvalidArgument},
		{paved.OutcomeFault, codes.Internal},
	} {
		t.Run(tt.o.String(), func(t *testing.T) {
			c := chaos.MustNew(chaos.ErrorOutcome(tt.o), chaos.WithRate(1))
			client, _ := start(t, nil, grpc.WithUnaryInterceptor(chaosgrpc.UnaryClientInterceptor(c)))
			_, err := client.UnaryCall(context.Background(), &testpb.SimpleRequest{})
			assert.Equal(t, tt.want, status.Code(err))
			assert.ErrorIs(t, err, chaos.ErrInjected)
		})
	}
}

func TestClientHang(t *testing.T) {
	c := chaos.MustNew(chaos.Hang(), chaos.WithRate(1))
	client, svc := start(t, nil, grpc.WithUnaryInterceptor(chaosgrpc.UnaryClientInterceptor(c)))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err := client.UnaryCall(ctx, &testpb.SimpleRequest{})
	assert.Equal(t, codes.DeadlineExceeded, status.Code(err))
	assert.Zero(t, svc.calls.Load())
}

func TestClientStream(t *testing.T) {
	c := chaos.MustNew(chaosgrpc.Code(codes.Aborted), chaos.WithRate(1))
	client, svc := start(t, nil, grpc.WithStreamInterceptor(chaosgrpc.StreamClientInterceptor(c)))
	_, err := client.StreamingOutputCall(context.Background(), &testpb.StreamingOutputCallRequest{})
	assert.Equal(t, codes.Aborted, status.Code(err))
	assert.ErrorIs(t, err, chaos.ErrInjected)
	assert.Zero(t, svc.calls.Load())
	c.Disable()
	stream, err := client.StreamingOutputCall(context.Background(), &testpb.StreamingOutputCallRequest{})
	require.NoError(t, err)
	_, err = stream.Recv()
	require.NoError(t, err)
}

func TestServerCode(t *testing.T) {
	c := chaos.MustNew(chaosgrpc.Code(codes.ResourceExhausted).WithPushback(250*time.Millisecond), chaos.WithRate(1))
	client, svc := start(t, []grpc.ServerOption{grpc.UnaryInterceptor(chaosgrpc.UnaryServerInterceptor(c))})
	var md metadata.MD
	_, err := client.UnaryCall(context.Background(), &testpb.SimpleRequest{}, grpc.Trailer(&md))
	assert.Equal(t, codes.ResourceExhausted, status.Code(err))
	assert.Equal(t, []string{"250"}, md.Get("grpc-retry-pushback-ms"), "the pushback crosses the wire")
	assert.Zero(t, svc.calls.Load())
}

func TestServerError(t *testing.T) {
	c := chaos.MustNew(chaos.ErrorOutcome(paved.OutcomeTransient), chaos.WithRate(1))
	client, svc := start(t, []grpc.ServerOption{grpc.UnaryInterceptor(chaosgrpc.UnaryServerInterceptor(c))})
	_, err := client.UnaryCall(context.Background(), &testpb.SimpleRequest{})
	assert.Equal(t, codes.Unavailable, status.Code(err))
	assert.Zero(t, svc.calls.Load())
}

func TestServerLatency(t *testing.T) {
	clk := clock.NewFake(time.Unix(0, 0))
	c := chaos.MustNew(chaos.Latency(time.Second), chaos.WithRate(1), chaos.WithClock(clk))
	client, svc := start(t, []grpc.ServerOption{grpc.UnaryInterceptor(chaosgrpc.UnaryServerInterceptor(c))})
	done := make(chan error, 1)
	go func() {
		_, err := client.UnaryCall(context.Background(), &testpb.SimpleRequest{})
		done <- err
	}()
	clk.BlockUntil(1)
	assert.Zero(t, svc.calls.Load())
	clk.Advance(time.Second)
	require.NoError(t, <-done)
	assert.Equal(t, int64(1), svc.calls.Load())
}

func TestServerHang(t *testing.T) {
	c := chaos.MustNew(chaos.Hang(), chaos.WithRate(1))
	client, svc := start(t, []grpc.ServerOption{grpc.UnaryInterceptor(chaosgrpc.UnaryServerInterceptor(c))})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	_, err := client.UnaryCall(ctx, &testpb.SimpleRequest{})
	assert.Equal(t, codes.DeadlineExceeded, status.Code(err))
	assert.Zero(t, svc.calls.Load())
}

func TestServerStream(t *testing.T) {
	c := chaos.MustNew(chaosgrpc.Code(codes.Unavailable), chaos.WithRate(1))
	client, svc := start(t, []grpc.ServerOption{grpc.StreamInterceptor(chaosgrpc.StreamServerInterceptor(c))})
	stream, err := client.StreamingOutputCall(context.Background(), &testpb.StreamingOutputCallRequest{})
	require.NoError(t, err)
	_, err = stream.Recv()
	assert.Equal(t, codes.Unavailable, status.Code(err))
	assert.Zero(t, svc.calls.Load())
}

type httpFault struct{}

func (httpFault) Name() string { return "http_status" }

func TestValidation(t *testing.T) {
	_, err := chaos.New(chaosgrpc.Code(codes.OK))
	require.EqualError(t, err, "chaosgrpc: Code must be a gRPC status code other than OK (1..16), got 0")
	_, err = chaos.New(chaosgrpc.Code(17))
	require.EqualError(t, err, "chaosgrpc: Code must be a gRPC status code other than OK (1..16), got 17")
	foreign := chaos.MustNew(httpFault{})
	assert.PanicsWithValue(t, `chaosgrpc: fault "http_status" belongs to another transport`, func() { chaosgrpc.UnaryClientInterceptor(foreign) })
	assert.Panics(t, func() { chaosgrpc.StreamClientInterceptor(nil) })
	assert.Panics(t, func() { chaosgrpc.UnaryServerInterceptor(foreign) })
	assert.Panics(t, func() { chaosgrpc.StreamServerInterceptor(foreign) })
}
