// Package greeterpb stands for protoc-gen-go-grpc output.
package greeterpb

import (
	"context"

	"google.golang.org/grpc"
)

type GreeterClient interface {
	SayHello(ctx context.Context, in *string, opts ...grpc.CallOption) (*string, error)
}

type greeterClient struct{ cc *grpc.ClientConn }

func NewGreeterClient(cc *grpc.ClientConn) GreeterClient { return &greeterClient{cc} }

func (c *greeterClient) SayHello(ctx context.Context, in *string, opts ...grpc.CallOption) (*string, error) {
	return in, c.cc.Invoke(ctx, "/Greeter/SayHello", in, in, opts...)
}
