package policy_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	"github.com/paved-go/paved/policy"
)

// An error server.chaos injects crosses the wire as the status its outcome
// calls for (docs/chaos.md; chaoshttp.StatusForOutcome,
// chaosgrpc.CodeForOutcome), over HTTP and gRPC, and the handler does not
// run: a permanent failure is not a 503 clients retry.
func TestServerChaosErrorsCrossTheWireByOutcome(t *testing.T) {
	cases := []struct {
		outcome string
		http    int
		code    codes.Code
	}{
		{"transient", http.StatusServiceUnavailable, codes.Unavailable},
		{"overload", http.StatusTooManyRequests, codes.ResourceExhausted},
		{"permanent", http.StatusBadRequest, codes.InvalidArgument},
		{"fault", http.StatusInternalServerError, codes.Internal},
	}
	for _, c := range cases {
		t.Run(c.outcome, func(t *testing.T) {
			set := policy.New(mustParse(t, fmt.Sprintf("server: {chaos: {enabled: true, faults: [{error: %s, rate: 1}]}}", c.outcome)))
			defer func() { require.NoError(t, set.Close()) }()

			var ran atomic.Int32
			srv := httptest.NewServer(set.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { ran.Add(1) })))
			defer srv.Close()
			resp, err := http.Get(srv.URL)
			require.NoError(t, err)
			require.NoError(t, resp.Body.Close())
			assert.Equal(t, c.http, resp.StatusCode, "HTTP")

			gs := grpc.NewServer(append(set.ServerOptions(), grpc.ChainUnaryInterceptor(
				func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
					ran.Add(1)
					return h(ctx, req)
				}))...)
			healthpb.RegisterHealthServer(gs, health.NewServer())
			lis, err := net.Listen("tcp", "127.0.0.1:0")
			require.NoError(t, err)
			go func() { _ = gs.Serve(lis) }()
			defer gs.Stop()
			conn, err := grpc.NewClient(lis.Addr().String(), grpc.WithTransportCredentials(insecure.NewCredentials()))
			require.NoError(t, err)
			defer conn.Close()
			client := healthpb.NewHealthClient(conn)
			_, err = client.Check(context.Background(), &healthpb.HealthCheckRequest{})
			assert.Equal(t, c.code, status.Code(err), "gRPC unary: %v", err)
			stream, err := client.Watch(context.Background(), &healthpb.HealthCheckRequest{})
			require.NoError(t, err)
			_, err = stream.Recv()
			assert.Equal(t, c.code, status.Code(err), "gRPC stream: %v", err)
			assert.Zero(t, ran.Load(), "the handler never ran")
		})
	}
}
