package pavedgrpc_test

import (
	"context"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	testgrpc "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/pavedgrpc"
)

// reply is one scripted answer of testService.
type reply struct {
	code     codes.Code
	pushback string // grpc-retry-pushback-ms trailer value; "" for none
}

// testService is the interop grpc_testing TestService answering from a
// script: the n-th UnaryCall gets script[n] (OK once the script runs out).
// Every reply's payload says which call it answers ("1", "2", ...), or the
// client's x-attempt header when it sent one.
type testService struct {
	testgrpc.UnimplementedTestServiceServer
	mu     sync.Mutex
	script []reply
	calls  atomic.Int32
}

func (s *testService) next() reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.script) == 0 {
		return reply{}
	}
	r := s.script[0]
	s.script = s.script[1:]
	return r
}

func (s *testService) EmptyCall(context.Context, *testgrpc.Empty) (*testgrpc.Empty, error) {
	return &testgrpc.Empty{}, nil
}

func (s *testService) UnaryCall(ctx context.Context, req *testgrpc.SimpleRequest) (*testgrpc.SimpleResponse, error) {
	n := s.calls.Add(1)
	r := s.next()
	if r.pushback != "" {
		_ = grpc.SetTrailer(ctx, metadata.Pairs("grpc-retry-pushback-ms", r.pushback))
	}
	_ = grpc.SetTrailer(ctx, metadata.Pairs("x-call", strconv.Itoa(int(n))))
	if r.code != codes.OK {
		return nil, status.Error(r.code, "scripted "+r.code.String())
	}
	body := strconv.Itoa(int(n))
	if md, ok := metadata.FromIncomingContext(ctx); ok && len(md.Get("x-attempt")) > 0 {
		body = md.Get("x-attempt")[0]
	}
	return &testgrpc.SimpleResponse{
		Payload:  &testgrpc.Payload{Body: []byte(body)},
		Username: "user-" + body,
	}, nil
}

func (s *testService) StreamingOutputCall(req *testgrpc.StreamingOutputCallRequest, stream testgrpc.TestService_StreamingOutputCallServer) error {
	s.calls.Add(1)
	for i := range req.GetResponseParameters() {
		if err := stream.Send(&testgrpc.StreamingOutputCallResponse{
			Payload: &testgrpc.Payload{Body: []byte(strconv.Itoa(i))},
		}); err != nil {
			return err
		}
	}
	return nil
}

// startServer serves svc on a loopback port with opts and returns its address.
func startServer(t testing.TB, svc testgrpc.TestServiceServer, opts ...grpc.ServerOption) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := grpc.NewServer(opts...)
	testgrpc.RegisterTestServiceServer(srv, svc)
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(lis)
	}()
	t.Cleanup(func() {
		srv.Stop()
		<-done
	})
	return lis.Addr().String()
}

// dial connects to addr over loopback with opts.
func dial(t testing.TB, addr string, opts ...grpc.DialOption) testgrpc.TestServiceClient {
	t.Helper()
	opts = append(opts, grpc.WithTransportCredentials(insecure.NewCredentials()))
	conn, err := grpc.NewClient(addr, opts...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	return testgrpc.NewTestServiceClient(conn)
}

// repeatAll makes every method repeatable, for tests of retries and hedges
// over the interop TestService, whose proto declares no idempotency_level.
var repeatAll = pavedgrpc.WithRepeatable(func(string) bool { return true })

// hedgeMW runs n attempts at once, each sending x-attempt: its number, and
// makes attempt final the final one, whatever the call's repeatability: a
// stand-in for hedge that tests the adapter's side of the attempt contract
// (attempts at once never share a reply or stream; the one marked final is
// what the caller gets), which the real hedge's timing cannot force.
func hedgeMW(n, final int) paved.Middleware {
	return paved.MiddlewareFunc(func(next paved.Op) paved.Op {
		return func(ctx context.Context) error {
			c := paved.CallFrom(ctx)
			attempts := make([]*paved.Attempt, n)
			errs := make([]error, n)
			var wg sync.WaitGroup
			for i := range n {
				actx, a := ctx, paved.AttemptFrom(ctx)
				if i > 0 {
					actx, a = c.NewAttempt(ctx)
				}
				attempts[i] = a
				actx = metadata.AppendToOutgoingContext(actx, "x-attempt", strconv.Itoa(i+1))
				wg.Go(func() { errs[i] = next(actx) })
			}
			wg.Wait()
			c.SetFinal(attempts[final-1])
			return errs[final-1]
		}
	})
}

// refuseMW refuses every call with err.
func refuseMW(err error) paved.Middleware {
	return paved.MiddlewareFunc(func(paved.Op) paved.Op {
		return func(context.Context) error { return err }
	})
}

// spyMW records the CallInfo of every call it sees.
type spyMW struct {
	mu    sync.Mutex
	infos []paved.CallInfo
}

func (s *spyMW) Wrap(next paved.Op) paved.Op {
	return func(ctx context.Context) error {
		s.mu.Lock()
		s.infos = append(s.infos, paved.CallFrom(ctx).Info())
		s.mu.Unlock()
		return next(ctx)
	}
}

func (s *spyMW) seen() []paved.CallInfo {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]paved.CallInfo(nil), s.infos...)
}

func statusCode(err error) codes.Code { return status.Code(err) }

// dialConn is dial returning the connection itself.
func dialConn(t testing.TB, addr string, opts ...grpc.DialOption) *grpc.ClientConn {
	t.Helper()
	opts = append(opts, grpc.WithTransportCredentials(insecure.NewCredentials()))
	conn, err := grpc.NewClient(addr, opts...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	return conn
}
