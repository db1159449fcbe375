package testserver_test

import (
	"context"
	"io"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/paved-go/paved/clock"
	"github.com/paved-go/paved/internal/testserver"
)

// bound keeps a test that goes wrong from hanging; nothing waits for it to
// pass.
func bound(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestGRPCScript(t *testing.T) {
	g := testserver.NewGRPC(t, testserver.WithScript(
		testserver.Code(codes.Unavailable).WithTrailer("grpc-retry-pushback-ms", "100").WithMessage("overloaded"),
		testserver.Code(codes.ResourceExhausted).WithHeader("X-Reason", "quota"),
	))
	client := testpb.NewTestServiceClient(g.Dial(t))
	ctx := bound(t)

	tests := []struct {
		wantCode    codes.Code
		wantMsg     string
		wantTrailer []string
		wantHeader  []string
	}{
		{codes.Unavailable, "overloaded", []string{"100"}, nil},
		{codes.ResourceExhausted, "testserver: scripted ResourceExhausted", nil, []string{"quota"}},
		{codes.OK, "", nil, nil},
		{codes.OK, "", nil, nil},
	}
	for i, tt := range tests {
		var header, trailer metadata.MD
		resp, err := client.UnaryCall(ctx, &testpb.SimpleRequest{ResponseSize: 10}, grpc.Header(&header), grpc.Trailer(&trailer))
		st := status.Convert(err)
		assert.Equal(t, tt.wantCode, st.Code(), "call %d", i)
		assert.Equal(t, tt.wantMsg, st.Message(), "call %d", i)
		assert.Equal(t, tt.wantTrailer, trailer.Get("grpc-retry-pushback-ms"), "call %d", i)
		assert.Equal(t, tt.wantHeader, header.Get("x-reason"), "call %d", i)
		if tt.wantCode == codes.OK {
			assert.Len(t, resp.GetPayload().GetBody(), 10)
		}
	}
	assert.Equal(t, 4, g.Calls())
	assert.Equal(t, 4, g.Count(testpb.TestService_UnaryCall_FullMethodName))
	assert.Equal(t, 1, g.Connections())
}

func TestGRPCServices(t *testing.T) {
	g := testserver.NewGRPC(t)
	cc := g.Dial(t)
	client := testpb.NewTestServiceClient(cc)
	ctx := bound(t)

	t.Run("EmptyCall", func(t *testing.T) {
		_, err := client.EmptyCall(ctx, &testpb.Empty{})
		require.NoError(t, err)
	})
	t.Run("UnaryCall echoes a status", func(t *testing.T) {
		_, err := client.UnaryCall(ctx, &testpb.SimpleRequest{ResponseStatus: &testpb.EchoStatus{Code: int32(codes.Aborted), Message: "asked"}})
		assert.Equal(t, codes.Aborted, status.Code(err))
	})
	t.Run("UnaryCall bounds payloads", func(t *testing.T) {
		_, err := client.UnaryCall(ctx, &testpb.SimpleRequest{ResponseSize: 1 << 30})
		assert.Equal(t, codes.InvalidArgument, status.Code(err))
	})
	t.Run("StreamingOutputCall", func(t *testing.T) {
		stream, err := client.StreamingOutputCall(ctx, &testpb.StreamingOutputCallRequest{
			ResponseParameters: []*testpb.ResponseParameters{{Size: 1}, {Size: 2}, {Size: 3}},
		})
		require.NoError(t, err)
		for want := 1; want <= 3; want++ {
			resp, err := stream.Recv()
			require.NoError(t, err)
			assert.Len(t, resp.GetPayload().GetBody(), want)
		}
		_, err = stream.Recv()
		assert.ErrorIs(t, err, io.EOF)
	})
	t.Run("FullDuplexCall", func(t *testing.T) {
		stream, err := client.FullDuplexCall(ctx)
		require.NoError(t, err)
		for i := range 3 {
			require.NoError(t, stream.Send(&testpb.StreamingOutputCallRequest{
				ResponseParameters: []*testpb.ResponseParameters{{Size: int32(i)}},
			}))
			resp, err := stream.Recv()
			require.NoError(t, err)
			assert.Len(t, resp.GetPayload().GetBody(), i)
		}
		require.NoError(t, stream.CloseSend())
		_, err = stream.Recv()
		assert.ErrorIs(t, err, io.EOF)
	})
	t.Run("Health", func(t *testing.T) {
		resp, err := healthpb.NewHealthClient(cc).Check(ctx, &healthpb.HealthCheckRequest{})
		require.NoError(t, err)
		assert.Equal(t, healthpb.HealthCheckResponse_SERVING, resp.GetStatus())

		g.Health().SetServingStatus("payments", healthpb.HealthCheckResponse_NOT_SERVING)
		resp, err = healthpb.NewHealthClient(cc).Check(ctx, &healthpb.HealthCheckRequest{Service: "payments"})
		require.NoError(t, err)
		assert.Equal(t, healthpb.HealthCheckResponse_NOT_SERVING, resp.GetStatus())
	})
	assert.Equal(t, 2, g.Count(healthpb.Health_Check_FullMethodName))
	assert.Equal(t, 1, g.Count(testpb.TestService_FullDuplexCall_FullMethodName))
}

func TestGRPCScriptAppliesToStreamsAndHealth(t *testing.T) {
	g := testserver.NewGRPC(t, testserver.WithScript(
		testserver.Code(codes.Unavailable),
		testserver.Code(codes.Internal),
	))
	cc := g.Dial(t)
	ctx := bound(t)

	stream, err := testpb.NewTestServiceClient(cc).StreamingOutputCall(ctx, &testpb.StreamingOutputCallRequest{
		ResponseParameters: []*testpb.ResponseParameters{{Size: 1}},
	})
	require.NoError(t, err)
	_, err = stream.Recv()
	assert.Equal(t, codes.Unavailable, status.Code(err), "the behaviour applies before the first message")

	_, err = healthpb.NewHealthClient(cc).Check(ctx, &healthpb.HealthCheckRequest{})
	assert.Equal(t, codes.Internal, status.Code(err))
}

func TestGRPCRecordsMetadata(t *testing.T) {
	g := testserver.NewGRPC(t)
	client := testpb.NewTestServiceClient(g.Dial(t))
	ctx := metadata.AppendToOutgoingContext(bound(t), "idempotency-key", "k-1")
	for range 2 {
		_, err := client.EmptyCall(ctx, &testpb.Empty{})
		require.NoError(t, err)
	}
	got := g.Received()
	require.Len(t, got, 2)
	for i, c := range got {
		assert.Equal(t, i, c.N)
		assert.Equal(t, testpb.TestService_EmptyCall_FullMethodName, c.Method)
		assert.Equal(t, []string{"k-1"}, c.Metadata.Get("idempotency-key"))
		assert.NotEmpty(t, c.Peer)
	}
	got[0].Metadata.Set("idempotency-key", "changed")
	assert.Equal(t, []string{"k-1"}, g.Received()[0].Metadata.Get("idempotency-key"), "Received returns copies")
}

func TestGRPCDelay(t *testing.T) {
	f := clock.NewFake(time.Unix(0, 0))
	g := testserver.NewGRPC(t, testserver.WithClock(f), testserver.WithScript(testserver.Delay(time.Second)))
	client := testpb.NewTestServiceClient(g.Dial(t))
	errc := make(chan error, 1)
	go func() {
		_, err := client.EmptyCall(bound(t), &testpb.Empty{})
		errc <- err
	}()
	f.BlockUntil(1)
	select {
	case err := <-errc:
		t.Fatalf("replied before the delay: %v", err)
	default:
	}
	f.Advance(time.Second)
	require.NoError(t, <-errc)
}

func TestGRPCClientGivesUp(t *testing.T) {
	f := clock.NewFake(time.Unix(0, 0))
	tests := []struct {
		name string
		b    testserver.Behaviour
	}{
		{"hang", testserver.Hang()},
		{"delay", testserver.Delay(time.Hour)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := testserver.NewGRPC(t, testserver.WithClock(f), testserver.WithScript(tt.b))
			client := testpb.NewTestServiceClient(g.Dial(t))
			ctx, cancel := context.WithCancel(bound(t))
			errc := make(chan error, 1)
			go func() {
				_, err := client.UnaryCall(ctx, &testpb.SimpleRequest{})
				errc <- err
			}()
			require.NoError(t, g.WaitCalls(bound(t), 1))
			assert.Equal(t, 1, g.InFlight())
			cancel()
			assert.Equal(t, codes.Canceled, status.Code(<-errc))
			require.NoError(t, g.WaitIdle(bound(t)), "the handler lets go when the client does")
		})
	}
}

func TestGRPCCloseReleasesHangingCalls(t *testing.T) {
	g := testserver.NewGRPC(t, testserver.WithDefault(testserver.Hang()))
	client := testpb.NewTestServiceClient(g.Dial(t))
	const n = 5
	errs := make(chan error, n)
	for range n {
		go func() {
			_, err := client.EmptyCall(bound(t), &testpb.Empty{})
			errs <- err
		}()
	}
	require.NoError(t, g.WaitCalls(bound(t), n))
	g.Close()
	for range n {
		assert.Equal(t, codes.Unavailable, status.Code(<-errs))
	}
	assert.Zero(t, g.InFlight())
}

func TestGRPCReset(t *testing.T) {
	g := testserver.NewGRPC(t, testserver.WithScript(testserver.Reset()))
	client := testpb.NewTestServiceClient(g.Dial(t))
	_, err := client.EmptyCall(bound(t), &testpb.Empty{})
	assert.Equal(t, codes.Unavailable, status.Code(err), "%v", err)

	_, err = client.EmptyCall(bound(t), &testpb.Empty{}, grpc.WaitForReady(true))
	require.NoError(t, err, "the client reconnects")
	assert.Equal(t, 2, g.Connections())
}

func TestGRPCChooser(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	want := make([]codes.Code, 100)
	for i := range want {
		if rng.Float64() < 0.05 {
			want[i] = codes.Unavailable
		}
	}
	rng = rand.New(rand.NewPCG(7, 7))
	g := testserver.NewGRPC(t, testserver.WithChooser(func(int) testserver.Behaviour {
		if rng.Float64() < 0.05 {
			return testserver.Code(codes.Unavailable)
		}
		return testserver.OK()
	}))
	client := testpb.NewTestServiceClient(g.Dial(t))
	got := make([]codes.Code, len(want))
	for i := range got {
		_, err := client.EmptyCall(bound(t), &testpb.Empty{})
		got[i] = status.Code(err)
	}
	assert.Equal(t, want, got)
	assert.Contains(t, got, codes.Unavailable)
}

func TestGRPCConcurrent(t *testing.T) {
	g := testserver.NewGRPC(t, testserver.WithChooser(func(n int) testserver.Behaviour {
		if n%2 == 0 {
			return testserver.Code(codes.Unavailable)
		}
		return testserver.OK()
	}))
	client := testpb.NewTestServiceClient(g.Dial(t))
	const n = 64
	var wg sync.WaitGroup
	var mu sync.Mutex
	got := map[codes.Code]int{}
	for range n {
		wg.Go(func() {
			_, err := client.UnaryCall(bound(t), &testpb.SimpleRequest{ResponseSize: 100})
			mu.Lock()
			got[status.Code(err)]++
			mu.Unlock()
		})
	}
	wg.Wait()
	assert.Equal(t, map[codes.Code]int{codes.OK: n / 2, codes.Unavailable: n / 2}, got)
	assert.Equal(t, n, g.Calls())
	assert.Equal(t, 1, g.Connections())
}

func TestGRPCStatusBehavioursSucceed(t *testing.T) {
	g := testserver.NewGRPC(t, testserver.WithScript(testserver.Status(503)))
	_, err := testpb.NewTestServiceClient(g.Dial(t)).EmptyCall(bound(t), &testpb.Empty{})
	assert.NoError(t, err, "HTTP-only behaviours reply OK on gRPC")
}
