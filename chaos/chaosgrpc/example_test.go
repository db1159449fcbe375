package chaosgrpc_test

import (
	"fmt"
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
