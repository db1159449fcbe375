package chaosgrpc_test

import (
	"fmt"
	"net"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"

	"github.com/paved-go/paved/chaos"
	"github.com/paved-go/paved/chaos/chaosgrpc"
)

// A server that sheds one call in ten with RESOURCE_EXHAUSTED and a pushback
// of 200 ms, which paved's retry honours.
func Example() {
	shed := chaos.MustNew(chaosgrpc.Code(codes.ResourceExhausted).WithPushback(200*time.Millisecond), chaos.WithRate(0.1))
	srv := grpc.NewServer(grpc.ChainUnaryInterceptor(chaosgrpc.UnaryServerInterceptor(shed)))
	defer srv.Stop()
	fmt.Println(shed.Fault().Name(), shed.Rate())
	// Output: grpc_code 0.1
}

// A server that resets the connection of one call in twenty with an RST: it
// serves on a chaosgrpc.Listener, where the interceptor finds the call's
// connection.
func ExampleListener() {
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	lis := chaosgrpc.NewListener(inner)
	reset := chaos.MustNew(chaosgrpc.Reset(), chaos.WithRate(0.05))
	srv := grpc.NewServer(grpc.ChainUnaryInterceptor(chaosgrpc.UnaryServerInterceptor(reset, chaosgrpc.WithListener(lis))))
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Serve(lis) }()
	srv.Stop()
	<-done
	fmt.Println(reset.Fault().Name(), lis.Conns())
	// Output: reset 0
}
