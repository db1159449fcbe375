package rs1grpc

import (
	"context"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/pavedgrpc"
	"google.golang.org/grpc"
)

func dials(ctx context.Context, p *paved.Pipeline, given []grpc.DialOption) {
	grpc.NewClient("dns:///svc")                      // want `RS-1: grpc.NewClient without paved interceptors`
	grpc.Dial("svc", grpc.WithInsecure())             // want `RS-1: grpc.Dial without paved interceptors`
	grpc.DialContext(ctx, "svc", grpc.WithInsecure()) // want `RS-1: grpc.DialContext without paved interceptors`
	opts := []grpc.DialOption{grpc.WithInsecure()}
	grpc.NewClient("svc", opts...) // want `RS-1: grpc.NewClient without paved`

	grpc.NewClient("svc", pavedgrpc.DialOptions(p)...)
	grpc.NewClient("svc", grpc.WithInsecure(), grpc.WithChainUnaryInterceptor(pavedgrpc.UnaryClientInterceptor(p)))
	paved := append([]grpc.DialOption{grpc.WithInsecure()}, pavedgrpc.DialOptions(p)...)
	grpc.NewClient("svc", paved...)
	var built []grpc.DialOption
	built = append(built, grpc.WithUnaryInterceptor(pavedgrpc.UnaryClientInterceptor(p)))
	grpc.NewClient("svc", built...)
	grpc.NewClient("svc", given...) // a parameter: unknown, no finding
	grpc.NewClient("svc", grpc.WithUnaryInterceptor(func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		return invoker(ctx, method, req, reply, cc, opts...) // a hand-written interceptor may set a deadline: unknown
	}))
}
