package policy_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/metadata"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/policy"
)

type seen struct {
	key      string
	deadline time.Duration // 0: none
}

func observe(ctx context.Context) seen {
	s := seen{key: paved.CallInfoFrom(ctx).Key}
	if d, ok := ctx.Deadline(); ok {
		s.deadline = time.Until(d)
	}
	return s
}

func TestHandlerAdmitsWithTheServerSection(t *testing.T) {
	set := policy.New(mustParse(t, `
server:
  deadline: { header: X-Timeout-Ms, max: 3s }
  caller_key: { header: X-Tenant }
`))
	got := make(chan seen, 1)
	h := set.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- observe(r.Context())
	}))
	srv := httptest.NewServer(h)
	defer srv.Close()

	call := func(header map[string]string) seen {
		req, err := http.NewRequest(http.MethodGet, srv.URL, nil)
		require.NoError(t, err)
		for k, v := range header {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		require.NoError(t, resp.Body.Close())
		return <-got
	}
	s := call(map[string]string{"X-Tenant": "acme"})
	assert.Equal(t, "acme", s.key, "the caller key from server.caller_key.header")
	assert.InDelta(t, 3*time.Second, s.deadline, float64(time.Second), "no header: server.deadline.max")
	s = call(map[string]string{"X-Timeout-Ms": "500"})
	assert.InDelta(t, 500*time.Millisecond, s.deadline, float64(400*time.Millisecond), "the client's deadline, under the max")
	s = call(map[string]string{"X-Timeout-Ms": "60000"})
	assert.InDelta(t, 3*time.Second, s.deadline, float64(time.Second), "capped by the max")

	require.NoError(t, set.Reload([]byte("server: {deadline: {header: X-Timeout-Ms, max: 20s}, caller_key: {header: X-Principal}}")))
	s = call(map[string]string{"X-Tenant": "acme", "X-Principal": "alice"})
	assert.Equal(t, "alice", s.key, "reloaded: the new key header")
	assert.InDelta(t, 20*time.Second, s.deadline, float64(time.Second), "reloaded: the new max")

	require.NoError(t, set.Reload(nil))
	s = call(map[string]string{"X-Tenant": "acme"})
	assert.Equal(t, seen{}, s, "no server section: no key, no deadline")
	assert.Panics(t, func() { set.Handler(nil) })
}

func TestGRPCClientAndServer(t *testing.T) {
	set := policy.New(mustParse(t, `
defaults:
  timeout: { total: 4s, attempt: 1s }
server:
  deadline: { max: 2s }
  caller_key: { metadata: x-tenant }
`))
	got := make(chan seen, 4)
	opts := append(set.ServerOptions(), grpc.ChainUnaryInterceptor(func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		got <- observe(ctx)
		return h(ctx, req)
	}))
	srv := grpc.NewServer(opts...)
	healthpb.RegisterHealthServer(srv, health.NewServer())
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	go func() { _ = srv.Serve(lis) }()
	defer srv.Stop()

	conn, err := grpc.NewClient(lis.Addr().String(), append(set.DialOptions("inventory"),
		grpc.WithTransportCredentials(insecure.NewCredentials()))...)
	require.NoError(t, err)
	defer conn.Close()
	ctx := metadata.AppendToOutgoingContext(context.Background(), "x-tenant", "acme")
	_, err = healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{})
	require.NoError(t, err)
	s := <-got
	assert.Equal(t, "acme", s.key)
	assert.InDelta(t, time.Second, s.deadline, float64(500*time.Millisecond), "the client's attempt deadline reached the server (under its 2s max)")

	_, err = healthpb.NewHealthClient(conn).Check(context.Background(), &healthpb.HealthCheckRequest{})
	require.NoError(t, err)
	assert.Equal(t, "", (<-got).key)
}
