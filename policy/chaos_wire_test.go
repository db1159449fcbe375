package policy_test

import (
	"context"
	"io"
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

	"github.com/paved-go/paved/chaos/chaoshttp"
	"github.com/paved-go/paved/policy"
	"github.com/paved-go/paved/telemetry"
	"github.com/paved-go/paved/telemetry/telemetrytest"
)

// wireDep is a dependency section whose every call meets fault, with no
// retry to hide it.
func wireDep(fault string) string {
	return "dependencies: {d: {retry: {max_attempts: 1}, breaker: {enabled: false}, chaos: {enabled: true, rate: 1, faults: [" + fault + "]}}}"
}

// httpBackend is a loopback server counting the requests it serves.
func httpBackend(t *testing.T) (string, *atomic.Int64) {
	var served atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		served.Add(1)
		_, _ = io.WriteString(w, "ok")
	}))
	t.Cleanup(srv.Close)
	return srv.URL, &served
}

// The HTTP faults reach an HTTPClient beneath its pipeline, without the
// server: a status (with Retry-After), a reset; a gRPC code is ignored
// there, and a reload turns a fault on for the client already handed out.
func TestChaosHTTPClientFaults(t *testing.T) {
	url, served := httpBackend(t)
	log, tel := telemetrytest.New()
	set := policy.New(mustParse(t, wireDep("{http_status: 503, retry_after: 2s}")), policy.WithTelemetry(tel))
	client := set.HTTPClient("d")
	resp, err := client.Get(url)
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, resp.Body)
	require.NoError(t, resp.Body.Close())
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	assert.Equal(t, "2", resp.Header.Get("Retry-After"))
	assert.Zero(t, served.Load(), "the server was not reached")
	assert.Equal(t, 1, log.Count(telemetry.EventChaosInjected))

	require.NoError(t, set.Apply(mustParse(t, wireDep("{reset: true}"))))
	_, err = client.Get(url)
	require.Error(t, err)
	assert.True(t, chaoshttp.IsReset(err), "a connection reset, got %v", err)
	assert.Zero(t, served.Load())

	require.NoError(t, set.Apply(mustParse(t, wireDep("{grpc_code: unavailable}"))))
	resp, err = client.Get(url)
	require.NoError(t, err, "a gRPC code is not an HTTP client's")
	require.NoError(t, resp.Body.Close())
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, int64(1), served.Load())

	require.NoError(t, set.Pipeline("d").Run(context.Background(), func(context.Context) error { return nil }),
		"a Pipeline's calls have no wire: its wire faults are ignored")
}

// Each attempt meets the fault: the retry (above it) sees the 503 as the
// server's, and tries again.
func TestChaosHTTPFaultBeneathRetry(t *testing.T) {
	url, served := httpBackend(t)
	log, tel := telemetrytest.New()
	set := policy.New(mustParse(t, `dependencies: {d: {retry: {max_attempts: 3, backoff: {base: 1ms, max: 1ms}},
  chaos: {enabled: true, rate: 1, faults: [{http_status: 503}]}}}`), policy.WithTelemetry(tel))
	resp, err := set.HTTPClient("d").Get(url)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	assert.Equal(t, 3, log.Count(telemetry.EventChaosInjected), "one injection per attempt")
	assert.Zero(t, served.Load())
}

// The server section's HTTP faults answer in front of the handler
// (inside admission): a status, a reset of the client's connection.
func TestChaosHandlerFaults(t *testing.T) {
	var served atomic.Int64
	set := policy.New(mustParse(t, "server: {chaos: {enabled: true, rate: 1, faults: [{http_status: 429, retry_after: 1s}]}}"))
	srv := httptest.NewServer(set.Handler(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		served.Add(1)
		_, _ = io.WriteString(w, "ok")
	})))
	defer srv.Close()
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	resp, err := client.Get(srv.URL)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	assert.Equal(t, http.StatusTooManyRequests, resp.StatusCode)
	assert.Equal(t, "1", resp.Header.Get("Retry-After"))

	require.NoError(t, set.Apply(mustParse(t, "server: {chaos: {enabled: true, rate: 1, faults: [{reset: true}]}}")))
	_, err = client.Get(srv.URL)
	require.Error(t, err, "the connection was reset")
	assert.Zero(t, served.Load())

	require.NoError(t, set.Apply(mustParse(t, "server: {chaos: {enabled: true, rate: 1, faults: [{grpc_code: internal}]}}")))
	resp, err = client.Get(srv.URL)
	require.NoError(t, err, "a gRPC code is not an HTTP server's")
	require.NoError(t, resp.Body.Close())
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, int64(1), served.Load())
}

// grpcBackend serves the health service behind opts on a loopback
// listener (wrapped by wrap when given), counting the calls it runs.
func grpcBackend(t *testing.T, opts []grpc.ServerOption, wrap func(net.Listener) net.Listener) (string, *atomic.Int64) {
	var served atomic.Int64
	opts = append(opts, grpc.ChainUnaryInterceptor(func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		served.Add(1)
		return h(ctx, req)
	}))
	srv := grpc.NewServer(opts...)
	healthpb.RegisterHealthServer(srv, health.NewServer())
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	if wrap != nil {
		lis = wrap(lis)
	}
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	return lis.Addr().String(), &served
}

func check(t *testing.T, addr string, dial ...grpc.DialOption) error {
	conn, err := grpc.NewClient(addr, append(dial, grpc.WithTransportCredentials(insecure.NewCredentials()))...)
	require.NoError(t, err)
	defer conn.Close()
	_, err = healthpb.NewHealthClient(conn).Check(context.Background(), &healthpb.HealthCheckRequest{})
	return err
}

// The gRPC faults reach DialOptions' calls beneath the pipeline: a code, a
// reset; an HTTP status is ignored there.
func TestChaosGRPCClientFaults(t *testing.T) {
	addr, served := grpcBackend(t, nil, nil)
	set := policy.New(mustParse(t, wireDep("{grpc_code: resource_exhausted}")))
	dial := set.DialOptions("d")
	err := check(t, addr, dial...)
	assert.Equal(t, codes.ResourceExhausted, status.Code(err), "got %v", err)
	assert.Zero(t, served.Load())

	require.NoError(t, set.Apply(mustParse(t, wireDep("{reset: true}"))))
	err = check(t, addr, dial...)
	assert.Equal(t, codes.Unavailable, status.Code(err))
	assert.Contains(t, status.Convert(err).Message(), "connection reset by peer")
	assert.Zero(t, served.Load())

	require.NoError(t, set.Apply(mustParse(t, wireDep("{http_status: 503}"))))
	require.NoError(t, check(t, addr, dial...), "an HTTP status is not a gRPC client's")
	assert.Equal(t, int64(1), served.Load())
}

// The server section's gRPC faults answer admitted calls: a code; a reset
// of the call's connection when the server serves on Set.Listener, and
// none (the fault left out) when it does not.
func TestChaosGRPCServerFaults(t *testing.T) {
	set := policy.New(mustParse(t, "server: {chaos: {enabled: true, rate: 1, faults: [{grpc_code: unavailable}]}}"))
	addr, served := grpcBackend(t, set.ServerOptions(), set.Listener)
	err := check(t, addr)
	assert.Equal(t, codes.Unavailable, status.Code(err))
	assert.Contains(t, status.Convert(err).Message(), "chaos: injected")
	assert.Zero(t, served.Load(), "the handler did not run")

	reset := "server: {chaos: {enabled: true, rate: 1, faults: [{reset: true}]}}"
	require.NoError(t, set.Apply(mustParse(t, reset)))
	err = check(t, addr)
	assert.Equal(t, codes.Unavailable, status.Code(err))
	// The client's transport saw its connection end: grpc-go reports the RST
	// as "connection reset by peer", or, when the close raced its read, as
	// a bare EOF (the same flake chaosgrpc's TestServerResetIsARealReset can
	// show under load); never the server's status.
	assert.Contains(t, status.Convert(err).Message(), "error reading from server", "the client saw its connection end: %v", err)
	assert.NotContains(t, status.Convert(err).Message(), "chaos: injected")
	assert.Zero(t, served.Load())

	require.NoError(t, set.Apply(mustParse(t, "server: {chaos: {enabled: true, rate: 1, faults: [{http_status: 503}]}}")))
	require.NoError(t, check(t, addr), "an HTTP status is not a gRPC server's")
	assert.Equal(t, int64(1), served.Load())

	plain := policy.New(mustParse(t, reset))
	plainAddr, plainServed := grpcBackend(t, plain.ServerOptions(), nil)
	require.NoError(t, check(t, plainAddr), "a reset without Set.Listener is left out")
	assert.Equal(t, int64(1), plainServed.Load())
	assert.Equal(t, int64(1), served.Load())
	assert.Panics(t, func() { set.Listener(&net.TCPListener{}) }, "one Listener per Set")
}
