package pavedgrpc_test

import (
	"context"
	"io"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	testgrpc "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protodesc"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/pavedgrpc"
	"github.com/paved-go/paved/retry"
)

// The service pavedgrpc.test.Idem, registered in protoregistry.GlobalFiles as
// generated code would: Get declares NO_SIDE_EFFECTS, Put IDEMPOTENT, Post
// IDEMPOTENCY_UNKNOWN, Plain nothing.
const (
	idemGet   = "/pavedgrpc.test.Idem/Get"
	idemPut   = "/pavedgrpc.test.Idem/Put"
	idemPost  = "/pavedgrpc.test.Idem/Post"
	idemPlain = "/pavedgrpc.test.Idem/Plain"
	unaryCall = testgrpc.TestService_UnaryCall_FullMethodName
)

func init() {
	method := func(name string, level *descriptorpb.MethodOptions_IdempotencyLevel) *descriptorpb.MethodDescriptorProto {
		m := &descriptorpb.MethodDescriptorProto{
			Name:       proto.String(name),
			InputType:  proto.String(".google.protobuf.Empty"),
			OutputType: proto.String(".google.protobuf.Empty"),
		}
		if level != nil {
			m.Options = &descriptorpb.MethodOptions{IdempotencyLevel: level}
		}
		return m
	}
	fdp := &descriptorpb.FileDescriptorProto{
		Name:       proto.String("pavedgrpc_test/idem.proto"),
		Package:    proto.String("pavedgrpc.test"),
		Syntax:     proto.String("proto3"),
		Dependency: []string{"google/protobuf/empty.proto"},
		Service: []*descriptorpb.ServiceDescriptorProto{{
			Name: proto.String("Idem"),
			Method: []*descriptorpb.MethodDescriptorProto{
				method("Get", descriptorpb.MethodOptions_NO_SIDE_EFFECTS.Enum()),
				method("Put", descriptorpb.MethodOptions_IDEMPOTENT.Enum()),
				method("Post", descriptorpb.MethodOptions_IDEMPOTENCY_UNKNOWN.Enum()),
				method("Plain", nil),
			},
		}},
	}
	_ = emptypb.Empty{} // its file is the dependency
	fd, err := protodesc.NewFile(fdp, protoregistry.GlobalFiles)
	if err != nil {
		panic(err)
	}
	if err := protoregistry.GlobalFiles.RegisterFile(fd); err != nil {
		panic(err)
	}
}

// TestRepeatable: which calls retry and hedge may repeat. A call is sent once
// unless its method's proto declares NO_SIDE_EFFECTS or IDEMPOTENT or
// WithRepeatable names it; WithUnrepeatable and the Unrepeatable CallOption
// always make it single. The real retry proves it: a repeatable call is
// retried past UNAVAILABLE, a single one is not.
func TestRepeatable(t *testing.T) {
	only := func(method string) func(string) bool { return func(m string) bool { return m == method } }
	tests := []struct {
		name       string
		method     string
		opts       []pavedgrpc.Option
		callOpts   []grpc.CallOption
		repeatable bool
	}{
		{"undeclared method: once", unaryCall, nil, nil, false},
		{"no idempotency_level: once", idemPlain, nil, nil, false},
		{"IDEMPOTENCY_UNKNOWN: once", idemPost, nil, nil, false},
		{"NO_SIDE_EFFECTS: repeatable", idemGet, nil, nil, true},
		{"IDEMPOTENT: repeatable", idemPut, nil, nil, true},
		{"WithRepeatable names it", unaryCall, []pavedgrpc.Option{pavedgrpc.WithRepeatable(only(unaryCall))}, nil, true},
		{"WithRepeatable names another", idemPost, []pavedgrpc.Option{pavedgrpc.WithRepeatable(only(unaryCall))}, nil, false},
		{"nil WithRepeatable is the default", idemGet, []pavedgrpc.Option{pavedgrpc.WithRepeatable(nil)}, nil, true},
		{"WithUnrepeatable beats WithRepeatable", unaryCall, []pavedgrpc.Option{
			pavedgrpc.WithRepeatable(only(unaryCall)), pavedgrpc.WithUnrepeatable(only(unaryCall)),
		}, nil, false},
		{"WithUnrepeatable beats the proto", idemGet, []pavedgrpc.Option{pavedgrpc.WithUnrepeatable(only(idemGet))}, nil, false},
		{"WithUnrepeatable leaves other methods", idemGet, []pavedgrpc.Option{pavedgrpc.WithUnrepeatable(only(idemPut))}, nil, true},
		{"Unrepeatable CallOption beats the proto", idemGet, nil, []grpc.CallOption{pavedgrpc.Unrepeatable()}, false},
		{"Unrepeatable CallOption beats WithRepeatable", unaryCall, []pavedgrpc.Option{pavedgrpc.WithRepeatable(only(unaryCall))},
			[]grpc.CallOption{pavedgrpc.Unrepeatable()}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var calls atomic.Int32
			// Every method answers UNAVAILABLE once, then OK.
			addr := startUnknownServer(t, func(ss grpc.ServerStream) error {
				if err := ss.RecvMsg(&emptypb.Empty{}); err != nil {
					return err
				}
				if calls.Add(1) == 1 {
					return status.Error(codes.Unavailable, "first call")
				}
				return ss.SendMsg(&emptypb.Empty{})
			})
			spy := &spyMW{}
			p := paved.New("repeatable", fastRetry(), spy)
			conn := dialConn(t, addr, pavedgrpc.DialOptions(p, tt.opts...)...)
			err := conn.Invoke(context.Background(), tt.method, &emptypb.Empty{}, &emptypb.Empty{}, tt.callOpts...)

			infos := spy.seen()
			require.NotEmpty(t, infos)
			assert.Equal(t, tt.method, infos[0].Operation)
			assert.Equal(t, !tt.repeatable, infos[0].Unrepeatable)
			assert.False(t, infos[0].Sequential, "a repeatable method may be hedged too")
			if tt.repeatable {
				assert.NoError(t, err)
				assert.Equal(t, int32(2), calls.Load(), "retried")
			} else {
				assert.Equal(t, codes.Unavailable, status.Code(err))
				assert.Equal(t, int32(1), calls.Load(), "sent once")
			}
		})
	}
}

// fastRetry is the real retry with millisecond backoff and no budget.
func fastRetry() paved.Middleware {
	return retry.MustNew(retry.WithBackoff(time.Millisecond, time.Millisecond), retry.WithoutBudget())
}

// startUnknownServer serves every method with handle, on a loopback port; the
// methods' messages are Empty (also a valid, empty, SimpleRequest).
func startUnknownServer(t *testing.T, handle func(ss grpc.ServerStream) error) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := grpc.NewServer(grpc.UnknownServiceHandler(func(_ any, ss grpc.ServerStream) error { return handle(ss) }))
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(lis)
	}()
	t.Cleanup(func() {
		srv.Stop()
		<-done
	})
	return lis.Addr().String()
}

// TestStreamRepeatable: stream creation follows the same rule.
func TestStreamRepeatable(t *testing.T) {
	for _, tt := range []struct {
		name       string
		opts       []pavedgrpc.Option
		repeatable bool
	}{
		{"default: once", nil, false},
		{"WithRepeatable", []pavedgrpc.Option{repeatAll}, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			addr := startServer(t, &testService{})
			spy := &spyMW{}
			client := dial(t, addr, pavedgrpc.DialOptions(paved.New("stream-repeatable", spy), tt.opts...)...)
			stream, err := client.StreamingOutputCall(context.Background(), &testgrpc.StreamingOutputCallRequest{})
			require.NoError(t, err)
			_, err = stream.Recv()
			require.ErrorIs(t, err, io.EOF)
			infos := spy.seen()
			require.Len(t, infos, 1)
			assert.Equal(t, !tt.repeatable, infos[0].Unrepeatable)
		})
	}
}

// TestRepeatableMethodsShareInterceptor: one interceptor answers each method
// for itself, whichever it saw first (it remembers the first).
func TestRepeatableMethodsShareInterceptor(t *testing.T) {
	spy := &spyMW{}
	intercept := pavedgrpc.UnaryClientInterceptor(paved.New("methods", spy))
	invoke := func(context.Context, string, any, any, *grpc.ClientConn, ...grpc.CallOption) error { return nil }
	methods := []string{idemGet, idemPlain, idemPut, idemGet, idemPost, idemPlain, idemGet}
	for _, m := range methods {
		require.NoError(t, intercept(context.Background(), m, &emptypb.Empty{}, &emptypb.Empty{}, nil, invoke))
	}
	seen := spy.seen()
	require.Len(t, seen, len(methods))
	for i, m := range methods {
		want := m == idemGet || m == idemPut
		assert.Equal(t, want, !seen[i].Unrepeatable, "%s (call %d) repeatable", m, i)
		assert.Equal(t, m, seen[i].Operation)
	}
}
