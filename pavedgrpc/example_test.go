package pavedgrpc_test

import (
	"context"
	"fmt"
	"net"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/status"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/pavedgrpc"
)

func Example() {
	// A loopback server with the standard health service, admitting calls
	// through a server pipeline.
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	srv := grpc.NewServer(pavedgrpc.ServerOptions(paved.New("health-server"))...)
	hs := health.NewServer()
	healthpb.RegisterHealthServer(srv, hs)
	go func() { _ = srv.Serve(lis) }()
	defer srv.Stop()

	// The client calls through its own pipeline; policies (retry, breaker,
	// timeouts) would go in paved.New's arguments.
	p := paved.New("health-client")
	conn, err := grpc.NewClient(lis.Addr().String(), append(pavedgrpc.DialOptions(p),
		grpc.WithTransportCredentials(insecure.NewCredentials()))...)
	if err != nil {
		panic(err)
	}
	defer conn.Close()
	client := healthpb.NewHealthClient(conn)

	resp, err := client.Check(context.Background(), &healthpb.HealthCheckRequest{})
	fmt.Println(resp.GetStatus(), err)

	_, err = client.Check(context.Background(), &healthpb.HealthCheckRequest{Service: "unknown"})
	fmt.Println(status.Code(err), pavedgrpc.Classify(err))
	// Output:
	// SERVING <nil>
	// NotFound permanent
}
