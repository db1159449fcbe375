package pavedgrpc

import (
	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	"google.golang.org/grpc"

	"github.com/paved-go/paved"
)

// DialOptions returns what a client connection needs to call through p: the
// unary and stream client interceptors (chained, so the caller's own
// interceptors still apply) and otelgrpc's client stats handler reporting to
// p's providers — the ones in force at each call, so a service that replaces
// its global providers later still gets one trace per call. The stats
// handler sees each attempt as one RPC, so every attempt is one client span,
// a child of the pipeline's span for the call.
//
//	conn, err := grpc.NewClient(target, append(pavedgrpc.DialOptions(p),
//		grpc.WithTransportCredentials(creds))...)
func DialOptions(p *paved.Pipeline, opts ...Option) []grpc.DialOption {
	tel := p.Telemetry()
	return []grpc.DialOption{
		grpc.WithChainUnaryInterceptor(UnaryClientInterceptor(p, opts...)),
		grpc.WithChainStreamInterceptor(StreamClientInterceptor(p, opts...)),
		grpc.WithStatsHandler(newFollowingHandler(tel, otelgrpc.NewClientHandler)),
	}
}

// ServerOptions returns what a server needs to admit calls through p: the
// unary and stream server interceptors (chained) and otelgrpc's server stats
// handler reporting to p's providers. The stats handler's server span starts
// before the interceptors run, so it is the parent of the pipeline's span.
func ServerOptions(p *paved.Pipeline, opts ...Option) []grpc.ServerOption {
	tel := p.Telemetry()
	return []grpc.ServerOption{
		grpc.ChainUnaryInterceptor(UnaryServerInterceptor(p, opts...)),
		grpc.ChainStreamInterceptor(StreamServerInterceptor(p, opts...)),
		grpc.StatsHandler(newFollowingHandler(tel, otelgrpc.NewServerHandler)),
	}
}
