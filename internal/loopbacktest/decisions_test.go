package loopbacktest_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
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
	"github.com/paved-go/paved/breaker"
	"github.com/paved-go/paved/hedge"
	"github.com/paved-go/paved/internal/testserver"
	"github.com/paved-go/paved/loadshed"
	"github.com/paved-go/paved/pavedgrpc"
	"github.com/paved-go/paved/retry"
	"github.com/paved-go/paved/telemetry"
	"github.com/paved-go/paved/telemetry/telemetrytest"
	"github.com/paved-go/paved/timeout"
)

// readmePipeline is the quick start's pipeline, as README.md gives it.
func readmePipeline(name string, extra ...paved.Middleware) *paved.Pipeline {
	return paved.New(name, append([]paved.Middleware{
		timeout.MustNew(10 * time.Second),
		retry.MustNew(),
		breaker.MustNew(name),
		loadshed.MustNewThrottle(),
		timeout.MustNew(2 * time.Second),
	}, extra...)...)
}

// comeBackLater answers the first attempt of every call (told apart by its
// key, the URL path or the x-call metadata) with "come back in a second" and
// the second with success.
type comeBackLater struct {
	mu   sync.Mutex
	seen map[string]bool
}

func (c *comeBackLater) first(key string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.seen == nil {
		c.seen = map[string]bool{}
	}
	first := !c.seen[key]
	c.seen[key] = true
	return first
}

// TestREADMEPipelineHonoursRetryAfter: a dependency that answers each call's
// first attempt with 503 and Retry-After: 1 (gRPC: UNAVAILABLE with a 1000 ms
// pushback) and the second with success is alive and saying when to come
// back. The README pipeline waits as told and every call succeeds: the
// breaker does not count the overload answers, so it never opens.
func TestREADMEPipelineHonoursRetryAfter(t *testing.T) {
	const calls, concurrency = 60, 20 // 3 rounds of ~1 s; above the breaker's 20 calls
	t.Run("HTTP", func(t *testing.T) {
		t.Parallel()
		var dep comeBackLater
		srv := testserver.NewHTTP(t, testserver.WithHandler(func(_ int, w http.ResponseWriter, r *http.Request) {
			if dep.first(r.URL.Path) {
				w.Header().Set("Retry-After", "1")
				w.WriteHeader(http.StatusServiceUnavailable)
				return
			}
			w.WriteHeader(http.StatusOK)
		}))
		client := newClient(readmePipeline("inventory"), newBase(t))
		var ok atomic.Int64
		runCallsOn(concurrency, calls, func(i int) {
			s, err := get(context.Background(), client, srv.URL()+"/items/"+strconv.Itoa(i))
			if err == nil && s == http.StatusOK {
				ok.Add(1)
			}
		})
		t.Logf("HTTP: %d of %d calls succeeded, %d requests", ok.Load(), calls, srv.Requests())
		assert.EqualValues(t, calls, ok.Load())
		assert.Equal(t, 2*calls, srv.Requests())
	})
	t.Run("gRPC", func(t *testing.T) {
		t.Parallel()
		var dep comeBackLater
		p := readmePipeline("inventory")
		addr := serveComeBackLater(t, &dep)
		client := testpb.NewTestServiceClient(dialLoopback(t, addr, grpc.WithUnaryInterceptor(
			pavedgrpc.UnaryClientInterceptor(p, pavedgrpc.WithRepeatable(func(string) bool { return true })))))
		var ok atomic.Int64
		runCallsOn(concurrency, calls, func(i int) {
			ctx := metadata.AppendToOutgoingContext(context.Background(), "x-call", strconv.Itoa(i))
			if _, err := client.EmptyCall(ctx, &testpb.Empty{}); err == nil {
				ok.Add(1)
			}
		})
		t.Logf("gRPC: %d of %d calls succeeded", ok.Load(), calls)
		assert.EqualValues(t, calls, ok.Load())
	})
}

// emptyService answers EmptyCall, the one method these tests call.
type emptyService struct {
	testpb.UnimplementedTestServiceServer
}

func (emptyService) EmptyCall(context.Context, *testpb.Empty) (*testpb.Empty, error) {
	return &testpb.Empty{}, nil
}

// serveComeBackLater serves the interop TestService on loopback, answering
// each call's first attempt (by its x-call metadata) with UNAVAILABLE and a
// 1000 ms pushback. (testserver picks behaviours by arrival, not by call.)
func serveComeBackLater(t *testing.T, dep *comeBackLater) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := grpc.NewServer(grpc.UnaryInterceptor(func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		md, _ := metadata.FromIncomingContext(ctx)
		if dep.first(strings.Join(md.Get("x-call"), "")) {
			_ = grpc.SetTrailer(ctx, metadata.Pairs(pavedgrpc.PushbackKey, "1000"))
			return nil, status.Error(codes.Unavailable, "come back in a second")
		}
		return h(ctx, req)
	}))
	testpb.RegisterTestServiceServer(srv, emptyService{})
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Serve(lis) }()
	t.Cleanup(func() { srv.Stop(); <-done })
	return lis.Addr().String()
}

// dialLoopback connects to a loopback gRPC server without TLS.
func dialLoopback(t *testing.T, addr string, opts ...grpc.DialOption) *grpc.ClientConn {
	t.Helper()
	cc, err := grpc.NewClient("passthrough:///"+addr, append(opts, grpc.WithTransportCredentials(insecure.NewCredentials()))...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = cc.Close() })
	return cc
}

// TestRefusedLaterAttemptReturnsTheLastAnswer: when our own policy refuses a
// later attempt (the breaker opened on the first 503; the hedge refused),
// the caller gets the dependency's last real answer — the 503 response, its
// body readable — never a bare error; the refusal is an event.
func TestRefusedLaterAttemptReturnsTheLastAnswer(t *testing.T) {
	for _, tt := range []struct {
		name   string
		repeat paved.Middleware
	}{
		{"retry", retry.MustNew()},
		{"hedge", hedge.MustNew(hedge.WithDelay(time.Hour))},
	} {
		t.Run(tt.name, func(t *testing.T) {
			srv := testserver.NewHTTP(t, testserver.WithDefault(
				testserver.Status(http.StatusServiceUnavailable).WithBody("try elsewhere")))
			events, tel := telemetrytest.New()
			p := paved.New("refused", paved.WithTelemetry(tel), tt.repeat,
				breaker.MustNew("refused", breaker.WithConsecutiveFailures(1), breaker.WithOpenDuration(time.Hour)))
			base := newBase(t)
			resp, err := newClient(p, base).Get(srv.URL())
			require.NoError(t, err, "the 503 is a response, not an error")
			assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
			body := readAll(t, resp)
			assert.Equal(t, "try elsewhere", body)
			assert.Equal(t, 1, srv.Requests())
			assert.Equal(t, 1, events.Count(telemetry.EventBreakerRejected), "the refusal is an event")
			base.settle(t)
			assert.Zero(t, base.open())
		})
	}
	t.Run("gRPC retry", func(t *testing.T) {
		g := testserver.NewGRPC(t, testserver.WithDefault(testserver.Code(codes.Unavailable).WithMessage("replica draining")))
		p := paved.New("refused", retry.MustNew(),
			breaker.MustNew("refused", breaker.WithConsecutiveFailures(1), breaker.WithOpenDuration(time.Hour)))
		_, err := grpcClient(t, g, p).EmptyCall(context.Background(), &testpb.Empty{})
		assert.Equal(t, codes.Unavailable, status.Code(err))
		assert.Contains(t, status.Convert(err).Message(), "replica draining", "the server's status, not the breaker's")
		assert.False(t, errors.Is(err, breaker.ErrOpen))
		var ex *retry.ExhaustedError
		require.ErrorAs(t, err, &ex)
		assert.Equal(t, retry.ReasonRefused, ex.Reason)
		assert.Equal(t, 1, g.Calls())
	})
}

// readAll reads and closes resp's body.
func readAll(t *testing.T, resp *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	return string(b)
}

// closedAddr returns a loopback address nothing listens on: connecting to it
// is refused.
func closedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	return addr
}

// TestUnsentPostIsRetried: a POST without an Idempotency-Key whose
// connection was refused never reached a server, so the defaults retry it
// (net/http's own rule for requests it never wrote; gRFC A6's transparent
// retries); once it reached the server and failed, it is never sent again,
// and the event says why.
func TestUnsentPostIsRetried(t *testing.T) {
	srv := testserver.NewHTTP(t, testserver.WithScript(testserver.OK()),
		testserver.WithDefault(testserver.Status(http.StatusServiceUnavailable)))
	refused := closedAddr(t)
	var dials atomic.Int32
	base := http.DefaultTransport.(*http.Transport).Clone()
	t.Cleanup(base.CloseIdleConnections)
	dialer := &net.Dialer{}
	base.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		if dials.Add(1) == 1 {
			addr = refused // the first connection is refused for real
		}
		return dialer.DialContext(ctx, network, addr)
	}
	events, tel := telemetrytest.New()
	p := paved.New("orders", paved.WithTelemetry(tel), retry.MustNew())
	client := newClient(p, base)

	resp, err := client.Post(srv.URL()+"/orders", "application/json", strings.NewReader(`{"sku":"A-1"}`))
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	readAll(t, resp)
	assert.Equal(t, 1, srv.Count(http.MethodPost), "sent once, after the refused connection")
	assert.Equal(t, 1, events.Count(telemetry.EventRetry))

	resp, err = client.Post(srv.URL()+"/orders", "application/json", strings.NewReader(`{"sku":"A-1"}`))
	require.NoError(t, err)
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	readAll(t, resp)
	assert.Equal(t, 2, srv.Count(http.MethodPost), "a POST that reached the server is not sent again")
	ev := events.Events(telemetry.EventUnsafeToRepeat)
	require.Len(t, ev, 1)
	assert.Equal(t, "POST without Idempotency-Key", ev[0].Attrs[telemetry.AttrUnsafeReason])
}

// TestUnsentGRPCIsRetried: a gRPC method not declared repeatable is retried
// when no connection carried the call (the channel could not connect), and
// sent once when the server answered UNAVAILABLE itself.
func TestUnsentGRPCIsRetried(t *testing.T) {
	events, tel := telemetrytest.New()
	p := paved.New("stock", paved.WithTelemetry(tel), retry.MustNew())
	client := testpb.NewTestServiceClient(dialLoopback(t, closedAddr(t), grpc.WithUnaryInterceptor(pavedgrpc.UnaryClientInterceptor(p))))
	_, err := client.EmptyCall(context.Background(), &testpb.Empty{})
	assert.Equal(t, codes.Unavailable, status.Code(err))
	var ex *retry.ExhaustedError
	require.ErrorAs(t, err, &ex)
	assert.Equal(t, 3, ex.Attempts, "every attempt refused before it was sent: all three made")
	assert.Equal(t, 2, events.Count(telemetry.EventRetry))

	g := testserver.NewGRPC(t, testserver.WithDefault(testserver.Code(codes.Unavailable)))
	client = testpb.NewTestServiceClient(g.Dial(t, grpc.WithUnaryInterceptor(pavedgrpc.UnaryClientInterceptor(p))))
	_, err = client.EmptyCall(context.Background(), &testpb.Empty{})
	assert.Equal(t, codes.Unavailable, status.Code(err))
	assert.Equal(t, 1, g.Calls(), "the server saw it: never again")
	assert.Equal(t, 1, events.Count(telemetry.EventUnsafeToRepeat))
}
