package pavedgrpc_test

import (
	"context"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	testgrpc "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/pavedgrpc"
)

// criticalityService records, for every call, the priority its server
// pipeline gave it and the criticality metadata it arrived with; with next
// set it calls next with the call's context, as a middle tier does.
type criticalityService struct {
	testgrpc.UnimplementedTestServiceServer
	next testgrpc.TestServiceClient

	mu   sync.Mutex
	prio []paved.Priority
	md   [][]string
}

func (s *criticalityService) record(ctx context.Context) {
	md, _ := metadata.FromIncomingContext(ctx)
	s.mu.Lock()
	s.prio = append(s.prio, paved.CallFrom(ctx).Priority())
	s.md = append(s.md, md.Get(pavedgrpc.CriticalityKey))
	s.mu.Unlock()
}

func (s *criticalityService) last() (paved.Priority, []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.prio[len(s.prio)-1], s.md[len(s.md)-1]
}

func (s *criticalityService) UnaryCall(ctx context.Context, _ *testgrpc.SimpleRequest) (*testgrpc.SimpleResponse, error) {
	s.record(ctx)
	if s.next != nil {
		if _, err := s.next.UnaryCall(ctx, &testgrpc.SimpleRequest{}); err != nil {
			return nil, err
		}
	}
	return &testgrpc.SimpleResponse{}, nil
}

func (s *criticalityService) FullDuplexCall(stream testgrpc.TestService_FullDuplexCallServer) error {
	s.record(stream.Context())
	return nil
}

// The caller's criticality crosses two tiers: the client interceptor sends
// it, the middle tier's server interceptor reads it, and the middle tier's
// own call, made with the handler's context, sends it on.
func TestCriticalityPropagatesThroughTiers(t *testing.T) {
	bottom := &criticalityService{}
	bottomAddr := startServer(t, bottom, pavedgrpc.ServerOptions(paved.New("bottom"))...)
	middle := &criticalityService{next: dial(t, bottomAddr, pavedgrpc.DialOptions(paved.New("bottom"))...)}
	middleAddr := startServer(t, middle, pavedgrpc.ServerOptions(paved.New("middle"))...)
	client := dial(t, middleAddr, pavedgrpc.DialOptions(paved.New("middle"))...)

	for _, p := range []paved.Priority{paved.PrioritySheddable, paved.PrioritySheddablePlus, paved.PriorityCriticalPlus} {
		t.Run(p.WireName(), func(t *testing.T) {
			ctx := paved.WithCallInfo(context.Background(), paved.CallInfo{Priority: p})
			_, err := client.UnaryCall(ctx, &testgrpc.SimpleRequest{})
			require.NoError(t, err)
			got, md := middle.last()
			assert.Equal(t, p, got)
			assert.Equal(t, []string{p.WireName()}, md)
			got, md = bottom.last()
			assert.Equal(t, p, got, "the middle tier's call carried it on")
			assert.Equal(t, []string{p.WireName()}, md)
		})
	}
	t.Run("critical sends none", func(t *testing.T) {
		_, err := client.UnaryCall(context.Background(), &testgrpc.SimpleRequest{})
		require.NoError(t, err)
		got, md := bottom.last()
		assert.Equal(t, paved.PriorityCritical, got)
		assert.Empty(t, md)
	})
	t.Run("the caller's own metadata is kept", func(t *testing.T) {
		ctx := paved.WithCallInfo(context.Background(), paved.CallInfo{Priority: paved.PrioritySheddable})
		ctx = metadata.AppendToOutgoingContext(ctx, pavedgrpc.CriticalityKey, "SHEDDABLE_PLUS")
		_, err := client.UnaryCall(ctx, &testgrpc.SimpleRequest{})
		require.NoError(t, err)
		got, md := middle.last()
		assert.Equal(t, paved.PrioritySheddablePlus, got)
		assert.Equal(t, []string{"SHEDDABLE_PLUS"}, md)
	})
}

func TestCriticalityOnStreams(t *testing.T) {
	svc := &criticalityService{}
	addr := startServer(t, svc, pavedgrpc.ServerOptions(paved.New("server"))...)
	client := dial(t, addr, pavedgrpc.DialOptions(paved.New("client"))...)
	ctx := paved.WithCallInfo(context.Background(), paved.CallInfo{Priority: paved.PrioritySheddable})
	stream, err := client.FullDuplexCall(ctx)
	require.NoError(t, err)
	require.NoError(t, stream.CloseSend())
	_, _ = stream.Recv()
	got, md := svc.last()
	assert.Equal(t, paved.PrioritySheddable, got)
	assert.Equal(t, []string{"SHEDDABLE"}, md)
}

func TestServerPriorityFunc(t *testing.T) {
	svc := &criticalityService{}
	addr := startServer(t, svc, pavedgrpc.ServerOptions(paved.New("server"),
		pavedgrpc.WithPriorityFunc(func(context.Context) paved.Priority { return paved.PrioritySheddablePlus }))...)
	client := dial(t, addr)
	ctx := metadata.AppendToOutgoingContext(context.Background(), pavedgrpc.CriticalityKey, "CRITICAL_PLUS")
	_, err := client.UnaryCall(ctx, &testgrpc.SimpleRequest{})
	require.NoError(t, err)
	got, _ := svc.last()
	assert.Equal(t, paved.PrioritySheddablePlus, got, "the func replaces the metadata")

	ctx = metadata.AppendToOutgoingContext(context.Background(), pavedgrpc.CriticalityKey, "bogus")
	addr2 := startServer(t, svc, pavedgrpc.ServerOptions(paved.New("server"))...)
	_, err = dial(t, addr2).UnaryCall(ctx, &testgrpc.SimpleRequest{})
	require.NoError(t, err)
	got, _ = svc.last()
	assert.Equal(t, paved.PriorityCritical, got, "an unknown value is no value")
}
