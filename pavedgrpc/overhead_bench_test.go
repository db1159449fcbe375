package pavedgrpc_test

import (
	"context"
	"testing"

	"google.golang.org/grpc"
	testgrpc "google.golang.org/grpc/interop/grpc_testing"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/pavedgrpc"
)

// stubInvoker answers at once, filling the reply as a real call would, so the
// Overhead benchmarks measure what the interceptor itself adds in nanoseconds,
// free of the loopback noise a shared machine puts on the Unary benchmarks.
func stubInvoker(_ context.Context, _ string, _, reply any, _ *grpc.ClientConn, _ ...grpc.CallOption) error {
	r := reply.(*testgrpc.SimpleResponse)
	r.Payload = &testgrpc.Payload{Body: []byte("1")}
	r.Username = "user-1"
	return nil
}

const benchMethod = "/grpc.testing.TestService/UnaryCall"

// benchOverhead calls intercept directly with stubInvoker, a fresh reply per
// call as generated clients make.
func benchOverhead(b *testing.B, intercept grpc.UnaryClientInterceptor) {
	ctx := context.Background()
	req := &testgrpc.SimpleRequest{}
	b.ReportAllocs()
	for b.Loop() {
		reply := new(testgrpc.SimpleResponse)
		if err := intercept(ctx, benchMethod, req, reply, nil, stubInvoker); err != nil {
			b.Fatal(err)
		}
		if reply.GetUsername() != "user-1" {
			b.Fatal("reply not filled")
		}
	}
}

// BenchmarkOverheadBare is the stub alone.
func BenchmarkOverheadBare(b *testing.B) {
	benchOverhead(b, func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		return invoker(ctx, method, req, reply, cc, opts...)
	})
}

// BenchmarkOverheadEmptyPipeline is what UnaryClientInterceptor with an empty
// pipeline adds to a call of a method sent once (the default).
func BenchmarkOverheadEmptyPipeline(b *testing.B) {
	benchOverhead(b, pavedgrpc.UnaryClientInterceptor(paved.New("bench")))
}

// BenchmarkOverheadRepeatable is the same for a repeatable method: its
// attempts could run at once, so each receives into a message of its own.
func BenchmarkOverheadRepeatable(b *testing.B) {
	benchOverhead(b, pavedgrpc.UnaryClientInterceptor(paved.New("bench"), repeatAll))
}
