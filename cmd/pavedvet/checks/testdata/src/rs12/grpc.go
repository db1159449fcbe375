package rs12

import (
	"context"

	"google.golang.org/grpc"
)

type UnimplementedGreeterServer struct{}

type Greeter_StreamServer interface {
	grpc.ServerStream
}

type greeter struct {
	UnimplementedGreeterServer
}

func (g *greeter) SayHello(ctx context.Context, req *string) (*string, error) {
	err := call(context.Background()) // want `RS-12: context.Background\(\) in a gRPC method: .* use ctx$`
	return req, err
}

func (g *greeter) Stream(req *string, stream Greeter_StreamServer) error {
	return call(context.TODO()) // want `RS-12: context.TODO\(\) in a gRPC method: .* use stream.Context\(\)$`
}

func (g *greeter) helper() error { return call(context.Background()) } // unexported: not a service method

type plain struct{}

func (plain) SayHello(ctx context.Context, req *string) (*string, error) { // not a gRPC server type
	return req, call(context.Background())
}

func unaryInterceptor(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
	_ = call(context.Background()) // want `RS-12: context.Background\(\) in a gRPC interceptor: .* use ctx$`
	return handler(ctx, req)
}

func streamInterceptor(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
	_ = call(context.Background()) // want `use ss.Context\(\)$`
	return handler(srv, ss)
}
