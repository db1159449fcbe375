package pavedgrpc_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	testgrpc "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/idempotency"
	"github.com/paved-go/paved/pavedgrpc"
)

// orderService counts its side effects: each UnaryCall makes an order,
// answering with its number, or fails with the status its request asks.
type orderService struct {
	testgrpc.UnimplementedTestServiceServer
	n       atomic.Int32
	started chan struct{} // when set, closed by the first call, which then waits for release
	release chan struct{}
	once    sync.Once
}

func (s *orderService) UnaryCall(ctx context.Context, req *testgrpc.SimpleRequest) (*testgrpc.SimpleResponse, error) {
	i := s.n.Add(1)
	if s.started != nil {
		s.once.Do(func() { close(s.started); <-s.release })
	}
	if st := req.GetResponseStatus(); st != nil {
		return nil, status.Error(codes.Code(st.GetCode()), st.GetMessage())
	}
	return &testgrpc.SimpleResponse{Username: fmt.Sprint("order-", i), Payload: &testgrpc.Payload{Body: make([]byte, req.GetResponseSize())}}, nil
}

func keyCtx(key string) context.Context {
	return metadata.AppendToOutgoingContext(context.Background(), "idempotency-key", key)
}

func idemServer(t *testing.T, svc testgrpc.TestServiceServer, g *idempotency.Guard, opts ...pavedgrpc.IdempotencyOption) testgrpc.TestServiceClient {
	t.Helper()
	p := paved.New("server")
	addr := startServer(t, svc, grpc.ChainUnaryInterceptor(
		pavedgrpc.UnaryServerInterceptor(p, pavedgrpc.WithKeyFunc(func(ctx context.Context) string {
			md, _ := metadata.FromIncomingContext(ctx)
			return strings.Join(md.Get("x-tenant"), ",")
		})),
		pavedgrpc.UnaryServerIdempotency(g, opts...)))
	return dial(t, addr)
}

func TestUnaryServerIdempotencyReplays(t *testing.T) {
	svc := &orderService{}
	client := idemServer(t, svc, idempotency.MustNew())
	var hdr metadata.MD
	first, err := client.UnaryCall(keyCtx("k1"), &testgrpc.SimpleRequest{ResponseSize: 3}, grpc.Header(&hdr))
	require.NoError(t, err)
	assert.Empty(t, hdr.Get("idempotent-replayed"))
	for _, key := range []string{"k1", `"k1"`} {
		again, err := client.UnaryCall(keyCtx(key), &testgrpc.SimpleRequest{ResponseSize: 3}, grpc.Header(&hdr))
		require.NoError(t, err)
		assert.Equal(t, first.GetUsername(), again.GetUsername())
		assert.Len(t, again.GetPayload().GetBody(), 3)
		assert.Equal(t, []string{"true"}, hdr.Get("idempotent-replayed"))
	}
	assert.EqualValues(t, 1, svc.n.Load())

	// An error status is an answer too: stored and replayed, code, message and all.
	fail := &testgrpc.SimpleRequest{ResponseStatus: &testgrpc.EchoStatus{Code: int32(codes.NotFound), Message: "no such item"}}
	_, err = client.UnaryCall(keyCtx("k2"), fail)
	require.Equal(t, codes.NotFound, status.Code(err))
	_, err = client.UnaryCall(keyCtx("k2"), fail, grpc.Header(&hdr))
	require.Equal(t, codes.NotFound, status.Code(err))
	assert.Equal(t, "no such item", status.Convert(err).Message())
	assert.Equal(t, []string{"true"}, hdr.Get("idempotent-replayed"))
	assert.EqualValues(t, 2, svc.n.Load())

	// Without a key: unguarded.
	_, err = client.UnaryCall(context.Background(), &testgrpc.SimpleRequest{})
	require.NoError(t, err)
	_, err = client.UnaryCall(context.Background(), &testgrpc.SimpleRequest{})
	require.NoError(t, err)
	assert.EqualValues(t, 4, svc.n.Load())
}

func TestUnaryServerIdempotencyCodes(t *testing.T) {
	svc := &orderService{started: make(chan struct{}), release: make(chan struct{})}
	client := idemServer(t, svc, idempotency.MustNew(idempotency.WithMaxStoredBytes(16)),
		pavedgrpc.WithKeyRequiredFor(func(m string) bool { return strings.HasSuffix(m, "/UnaryCall") }))
	done := make(chan error)
	go func() {
		_, err := client.UnaryCall(keyCtx("k"), &testgrpc.SimpleRequest{})
		done <- err
	}()
	<-svc.started
	_, err := client.UnaryCall(keyCtx("k"), &testgrpc.SimpleRequest{})
	assert.Equal(t, codes.Unavailable, status.Code(err), "in flight: %v", err)
	assert.Contains(t, status.Convert(err).Message(), "still in flight")
	close(svc.release)
	require.NoError(t, <-done)

	_, err = client.UnaryCall(keyCtx("k"), &testgrpc.SimpleRequest{ResponseSize: 1})
	assert.Equal(t, codes.FailedPrecondition, status.Code(err), "another request under the key: %v", err)

	_, err = client.UnaryCall(context.Background(), &testgrpc.SimpleRequest{})
	assert.Equal(t, codes.InvalidArgument, status.Code(err), "missing where required")
	_, err = client.UnaryCall(keyCtx(strings.Repeat("k", 256)), &testgrpc.SimpleRequest{})
	assert.Equal(t, codes.InvalidArgument, status.Code(err), "oversize key")
	assert.NotContains(t, status.Convert(err).Message(), "kkkk", "the key is never echoed")
	two := metadata.AppendToOutgoingContext(keyCtx("a"), "idempotency-key", "b")
	_, err = client.UnaryCall(two, &testgrpc.SimpleRequest{})
	assert.Equal(t, codes.InvalidArgument, status.Code(err))

	// A reply over the storable limit reaches the first caller; repeats are told it was not kept.
	r, err := client.UnaryCall(keyCtx("big"), &testgrpc.SimpleRequest{ResponseSize: 100})
	require.NoError(t, err)
	assert.Len(t, r.GetPayload().GetBody(), 100)
	n := svc.n.Load()
	_, err = client.UnaryCall(keyCtx("big"), &testgrpc.SimpleRequest{ResponseSize: 100})
	assert.Equal(t, codes.FailedPrecondition, status.Code(err))
	assert.Contains(t, status.Convert(err).Message(), "larger than the store keeps")
	assert.Equal(t, n, svc.n.Load(), "never run twice for its size")
}

func TestUnaryServerIdempotencyScopedByCaller(t *testing.T) {
	svc := &orderService{}
	client := idemServer(t, svc, idempotency.MustNew())
	as := func(tenant string) context.Context {
		return metadata.AppendToOutgoingContext(keyCtx("shared"), "x-tenant", tenant)
	}
	a, err := client.UnaryCall(as("alice"), &testgrpc.SimpleRequest{})
	require.NoError(t, err)
	b, err := client.UnaryCall(as("bob"), &testgrpc.SimpleRequest{})
	require.NoError(t, err)
	assert.NotEqual(t, a.GetUsername(), b.GetUsername())
	again, err := client.UnaryCall(as("alice"), &testgrpc.SimpleRequest{})
	require.NoError(t, err)
	assert.Equal(t, a.GetUsername(), again.GetUsername())
	assert.EqualValues(t, 2, svc.n.Load())
}

type downStore struct{}

func (downStore) Claim(context.Context, idempotency.Claim) (idempotency.Record, error) {
	return idempotency.Record{}, fmt.Errorf("dial tcp 10.0.0.7:6379: connection refused")
}
func (downStore) Complete(context.Context, string, string, string, []byte, time.Duration) error {
	return nil
}
func (downStore) Release(context.Context, string, string, string) error { return nil }

func TestUnaryServerIdempotencyStoreDown(t *testing.T) {
	svc := &orderService{}
	client := idemServer(t, svc, idempotency.MustNew(idempotency.WithStore(downStore{})))
	_, err := client.UnaryCall(keyCtx("k"), &testgrpc.SimpleRequest{})
	assert.Equal(t, codes.Unavailable, status.Code(err))
	assert.NotContains(t, err.Error(), "10.0.0.7")
	assert.EqualValues(t, 0, svc.n.Load())
}

// The client side: a call of an undeclared method gets a key with
// WithIdempotencyKeys, becomes repeatable, and its retry reuses the key.
func TestUnaryClientAddsIdempotencyKey(t *testing.T) {
	var keys []string
	var mu sync.Mutex
	svc := &orderService{}
	var failed atomic.Bool
	g := idempotency.MustNew()
	addr := startServer(t, svc, grpc.ChainUnaryInterceptor(
		func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
			md, _ := metadata.FromIncomingContext(ctx)
			mu.Lock()
			keys = append(keys, strings.Join(md.Get("idempotency-key"), ","))
			mu.Unlock()
			resp, err := h(ctx, req)
			if failed.CompareAndSwap(false, true) {
				return nil, status.Error(codes.Unavailable, "the reply was lost on the way back")
			}
			return resp, err
		},
		pavedgrpc.UnaryServerIdempotency(g)))
	spy := &spyMW{}
	p := paved.New("orders", spy, fastRetry())
	client := dial(t, addr, grpc.WithUnaryInterceptor(pavedgrpc.UnaryClientInterceptor(p, pavedgrpc.WithIdempotencyKeys(nil))))
	r, err := client.UnaryCall(context.Background(), &testgrpc.SimpleRequest{})
	require.NoError(t, err)
	assert.Equal(t, "order-1", r.GetUsername(), "the retry got the first call's reply")
	assert.EqualValues(t, 1, svc.n.Load(), "run once, though sent twice")
	require.Len(t, keys, 2)
	assert.Equal(t, keys[0], keys[1])
	assert.Len(t, keys[0], 36)
	info := spy.seen()[0]
	assert.False(t, info.Unrepeatable)
	assert.True(t, info.Sequential)

	// Without the option the same call is sent once.
	keys = nil
	failed.Store(false)
	plain := dial(t, addr, grpc.WithUnaryInterceptor(pavedgrpc.UnaryClientInterceptor(paved.New("plain", fastRetry()))))
	_, err = plain.UnaryCall(context.Background(), &testgrpc.SimpleRequest{})
	assert.Equal(t, codes.Unavailable, status.Code(err))
	assert.Equal(t, []string{""}, keys)

	// A caller's own key makes the call repeatable, kept as it is.
	keys = nil
	failed.Store(false)
	_, err = plain.UnaryCall(keyCtx("mine"), &testgrpc.SimpleRequest{})
	require.NoError(t, err)
	assert.Equal(t, []string{"mine", "mine"}, keys)
}
