package pavedgrpc_test

import (
	"context"
	"testing"

	"google.golang.org/grpc"
	testgrpc "google.golang.org/grpc/interop/grpc_testing"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/pavedgrpc"
)

func benchUnary(b *testing.B, opts ...grpc.DialOption) {
	addr := startServer(b, &testService{})
	client := dial(b, addr, opts...)
	ctx := context.Background()
	req := &testgrpc.SimpleRequest{}
	if _, err := client.UnaryCall(ctx, req); err != nil { // connect first
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := client.UnaryCall(ctx, req); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkUnaryBare is a loopback unary call without paved.
func BenchmarkUnaryBare(b *testing.B) { benchUnary(b) }

// BenchmarkUnaryEmptyPipeline is the same call through an empty pipeline's
// interceptor (a method sent once: no fresh reply, no move). The Overhead
// benchmarks measure the interceptor alone, without loopback noise.
func BenchmarkUnaryEmptyPipeline(b *testing.B) {
	benchUnary(b, grpc.WithUnaryInterceptor(pavedgrpc.UnaryClientInterceptor(paved.New("bench"))))
}

// BenchmarkUnaryDialOptions adds otelgrpc's stats handler (no providers
// installed: the global no-op ones).
func BenchmarkUnaryDialOptions(b *testing.B) {
	benchUnary(b, pavedgrpc.DialOptions(paved.New("bench"))...)
}
