package testserver

import (
	"context"
	"net"
	"strings"
	"sync"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"

	"github.com/paved-go/paved/clock"
)

// Call is what the gRPC server recorded of one call.
type Call struct {
	N        int         // arrival number, from 0
	Method   string      // full method, e.g. "/grpc.testing.TestService/UnaryCall"
	Metadata metadata.MD // incoming metadata
	Peer     string      // the client's address; one per connection
}

// GRPC is a scriptable gRPC server on 127.0.0.1:0 serving the health service
// (grpc_health_v1) and the interop TestService (grpc_testing: EmptyCall,
// UnaryCall, StreamingOutputCall, FullDuplexCall). Every call, streams and
// health checks included, takes the next behaviour before the service sees
// it; a stream's behaviour applies before its first message. See the package
// doc.
type GRPC struct {
	srv    *grpc.Server
	lis    *trackingListener
	health *health.Server
	ledger *ledger
	clock  clock.Clock

	closeOnce sync.Once
	mu        sync.Mutex
	calls     []Call
}

// NewGRPC starts a gRPC server and registers its Close with t.Cleanup.
// WithHandler is HTTP-only and makes it fail the test.
func NewGRPC(t testing.TB, opts ...Option) *GRPC {
	t.Helper()
	cfg := newConfig(opts)
	if cfg.handler != nil {
		t.Fatal("testserver: WithHandler is for NewHTTP only")
	}
	if cfg.choose != nil && len(cfg.script) > 0 {
		t.Fatal("testserver: WithChooser cannot be combined with WithScript")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("testserver: listen: %v", err)
	}
	g := &GRPC{ledger: newLedger(cfg), clock: cfg.clock, health: health.NewServer()}
	g.lis = newTrackingListener(l, g.ledger.connOpened)
	g.srv = grpc.NewServer(
		grpc.ChainUnaryInterceptor(g.unary),
		grpc.ChainStreamInterceptor(g.stream),
		// So that Close returns only once every handler has, and tests
		// leak no goroutine.
		grpc.WaitForHandlers(true),
	)
	healthpb.RegisterHealthServer(g.srv, g.health)
	testpb.RegisterTestServiceServer(g.srv, testService{})
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = g.srv.Serve(g.lis)
	}()
	t.Cleanup(func() {
		g.Close()
		<-served
	})
	return g
}

// Addr returns the server's address, "127.0.0.1:port".
func (g *GRPC) Addr() string { return g.lis.Addr().String() }

// Dial returns a client connection to the server with insecure credentials
// and opts, closed by t.Cleanup.
func (g *GRPC) Dial(t testing.TB, opts ...grpc.DialOption) *grpc.ClientConn {
	t.Helper()
	opts = append([]grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}, opts...)
	cc, err := grpc.NewClient("passthrough:///"+g.Addr(), opts...)
	if err != nil {
		t.Fatalf("testserver: dial: %v", err)
	}
	t.Cleanup(func() { _ = cc.Close() })
	return cc
}

// Health returns the health service, to set serving statuses. The empty
// service name reports SERVING.
func (g *GRPC) Health() *health.Server { return g.health }

// Close stops the server: every call in flight ends (Hang and Delay with
// UNAVAILABLE or CANCELED on the client) and every connection closes. It is
// idempotent and is called by t.Cleanup.
func (g *GRPC) Close() {
	g.closeOnce.Do(func() {
		g.health.Shutdown()
		g.srv.Stop()
	})
}

// Enqueue appends behaviours to the script.
func (g *GRPC) Enqueue(bs ...Behaviour) { g.ledger.enqueue(bs) }

// Calls returns how many calls have arrived.
func (g *GRPC) Calls() int { return g.ledger.total() }

// Count returns how many calls to the full method have arrived, e.g.
// Count(grpc_testing.TestService_UnaryCall_FullMethodName).
func (g *GRPC) Count(method string) int { return g.ledger.count(method) }

// Connections returns how many TCP connections clients have opened.
func (g *GRPC) Connections() int { return g.ledger.connections() }

// InFlight returns how many calls are being handled now.
func (g *GRPC) InFlight() int { return g.ledger.inflight() }

// WaitCalls blocks until at least n calls have arrived, or ctx is done.
func (g *GRPC) WaitCalls(ctx context.Context, n int) error { return g.ledger.waitArrivals(ctx, n) }

// WaitIdle blocks until no call is being handled, or ctx is done.
func (g *GRPC) WaitIdle(ctx context.Context) error { return g.ledger.waitIdle(ctx) }

// Received returns a copy of the recorded calls, in arrival order.
func (g *GRPC) Received() []Call {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := make([]Call, len(g.calls))
	for i, c := range g.calls {
		c.Metadata = c.Metadata.Copy()
		out[i] = c
	}
	return out
}

func (g *GRPC) unary(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	b := g.arrive(ctx, info.FullMethod)
	defer g.ledger.leave()
	err := g.apply(ctx, b,
		func(md metadata.MD) error { return grpc.SetHeader(ctx, md) },
		func(md metadata.MD) { _ = grpc.SetTrailer(ctx, md) })
	if err != nil || b.code != codes.OK {
		return nil, err
	}
	return handler(ctx, req)
}

func (g *GRPC) stream(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	ctx := ss.Context()
	b := g.arrive(ctx, info.FullMethod)
	defer g.ledger.leave()
	err := g.apply(ctx, b, ss.SetHeader, ss.SetTrailer)
	if err != nil || b.code != codes.OK {
		return err
	}
	return handler(srv, ss)
}

func (g *GRPC) arrive(ctx context.Context, method string) Behaviour {
	md, _ := metadata.FromIncomingContext(ctx)
	rec := Call{Method: method, Metadata: md.Copy()}
	if p, ok := peer.FromContext(ctx); ok && p.Addr != nil {
		rec.Peer = p.Addr.String()
	}
	_, b := g.ledger.arrive(method, func(n int) {
		rec.N = n
		g.mu.Lock()
		g.calls = append(g.calls, rec)
		g.mu.Unlock()
	})
	return b
}

// apply carries out b up to the point where the service would run, returning
// the call's error if b ends it.
func (g *GRPC) apply(ctx context.Context, b Behaviour, setHeader func(metadata.MD) error, setTrailer func(metadata.MD)) error {
	if err := clock.Sleep(ctx, g.clock, b.delay); err != nil {
		return status.FromContextError(err).Err()
	}
	switch b.action {
	case hang:
		<-ctx.Done()
		return status.FromContextError(ctx.Err()).Err()
	case reset:
		if p, ok := peer.FromContext(ctx); ok && p.Addr != nil {
			g.lis.abort(p.Addr.String())
		}
		return status.Error(codes.Unavailable, "testserver: connection reset")
	}
	if len(b.header) > 0 {
		if err := setHeader(toMD(b.header)); err != nil {
			return err
		}
	}
	if len(b.trailer) > 0 {
		setTrailer(toMD(b.trailer))
	}
	if b.code != codes.OK {
		msg := b.message
		if msg == "" {
			msg = "testserver: scripted " + b.code.String()
		}
		return status.Error(b.code, msg)
	}
	return nil
}

func toMD(ps []pair) metadata.MD {
	md := metadata.MD{}
	for _, p := range ps {
		k := strings.ToLower(p.key)
		md[k] = append(md[k], p.value)
	}
	return md
}
