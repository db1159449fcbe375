// Command grpc is a gRPC client and server on loopback, both configured by
// one policy file (paved.yaml beside it):
//
//	go run ./examples/grpc          # 200 calls
//	go run ./examples/grpc -quick   # 40 calls, for CI
//
// The server admits calls through policy's ServerOptions: each call's
// deadline is the client's (grpc-timeout) capped by server.deadline.max, and
// its caller key comes from the x-tenant metadata. Its UnaryCall fails now
// and then (UNAVAILABLE every fourth call, a hang every ninth). The client
// dials with policy's DialOptions for the dependency "inventory" and names
// UnaryCall repeatable (pavedgrpc.WithRepeatable: a gRPC method is sent once
// unless its proto or this option says repeating it is safe), so failures
// are retried and a hang is cut by the attempt timeout.
package main

import (
	"context"
	_ "embed"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/pavedgrpc"
	"github.com/paved-go/paved/policy"
)

//go:embed paved.yaml
var config []byte

func main() {
	quick := flag.Bool("quick", false, "make 40 calls instead of 200")
	flag.Parse()
	calls := 200
	if *quick {
		calls = 40
	}
	if err := run(os.Stdout, calls); err != nil {
		fmt.Fprintln(os.Stderr, "grpc:", err)
		os.Exit(1)
	}
}

// service fails now and then, and counts its callers.
type service struct {
	testpb.UnimplementedTestServiceServer
	calls   atomic.Int64
	mu      sync.Mutex
	tenants map[string]int
}

func (s *service) UnaryCall(ctx context.Context, _ *testpb.SimpleRequest) (*testpb.SimpleResponse, error) {
	n := s.calls.Add(1)
	s.mu.Lock()
	s.tenants[paved.CallInfoFrom(ctx).Key]++ // the caller key policy's interceptor read
	s.mu.Unlock()
	switch {
	case n%4 == 0:
		return nil, status.Error(codes.Unavailable, "busy")
	case n%9 == 0:
		<-ctx.Done() // hangs until the call's deadline
		return nil, status.FromContextError(ctx.Err()).Err()
	}
	return &testpb.SimpleResponse{}, nil
}

func run(out io.Writer, calls int) error {
	cfg, err := policy.Parse(config)
	if err != nil {
		return err
	}
	set := policy.New(cfg)

	svc := &service{tenants: map[string]int{}}
	srv := grpc.NewServer(set.ServerOptions()...)
	testpb.RegisterTestServiceServer(srv, svc)
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	go func() { _ = srv.Serve(lis) }()
	defer srv.Stop()

	repeatable := pavedgrpc.WithRepeatable(func(method string) bool {
		return method == testpb.TestService_UnaryCall_FullMethodName // reads nothing, writes nothing
	})
	conn, err := grpc.NewClient(lis.Addr().String(), append(set.DialOptions("inventory", repeatable),
		grpc.WithTransportCredentials(insecure.NewCredentials()))...)
	if err != nil {
		return err
	}
	defer conn.Close()
	client := testpb.NewTestServiceClient(conn)

	ok := 0
	start := time.Now()
	for i := range calls {
		ctx := metadata.AppendToOutgoingContext(context.Background(), "x-tenant", []string{"acme", "globex"}[i%2])
		if _, err := client.UnaryCall(ctx, &testpb.SimpleRequest{}); err != nil {
			fmt.Fprintf(out, "call %d: %v\n", i, err)
			continue
		}
		ok++
	}
	svc.mu.Lock()
	defer svc.mu.Unlock()
	fmt.Fprintf(out, "%d of %d calls succeeded in %v; the server saw %d calls (%.2f a call), tenants %v\n",
		ok, calls, time.Since(start).Round(10*time.Millisecond), svc.calls.Load(),
		float64(svc.calls.Load())/float64(calls), svc.tenants)
	if ok != calls {
		return fmt.Errorf("%d calls failed", calls-ok)
	}
	return nil
}
