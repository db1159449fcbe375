// Package grpc is a stub of google.golang.org/grpc for pavedvet's tests.
package grpc

import "context"

type DialOption interface{ apply() }

type opt struct{}

func (opt) apply() {}

type ClientConn struct{}

type CallOption interface{}

func (*ClientConn) Invoke(ctx context.Context, method string, args, reply any, opts ...CallOption) error {
	return nil
}

type UnaryInvoker func(ctx context.Context, method string, req, reply any, cc *ClientConn, opts ...CallOption) error

type UnaryClientInterceptor func(ctx context.Context, method string, req, reply any, cc *ClientConn, invoker UnaryInvoker, opts ...CallOption) error

func NewClient(target string, opts ...DialOption) (*ClientConn, error) { return nil, nil }

func Dial(target string, opts ...DialOption) (*ClientConn, error) { return nil, nil }

func DialContext(ctx context.Context, target string, opts ...DialOption) (*ClientConn, error) {
	return nil, nil
}

func WithUnaryInterceptor(f UnaryClientInterceptor) DialOption { return opt{} }

func WithChainUnaryInterceptor(fs ...UnaryClientInterceptor) DialOption { return opt{} }

func WithInsecure() DialOption { return opt{} }

type UnaryServerInfo struct{ FullMethod string }

type UnaryHandler func(ctx context.Context, req any) (any, error)

type StreamServerInfo struct{ FullMethod string }

type ServerStream interface {
	Context() context.Context
	SendMsg(m any) error
	RecvMsg(m any) error
	SetHeader(md map[string][]string) error
}

type StreamHandler func(srv any, stream ServerStream) error
