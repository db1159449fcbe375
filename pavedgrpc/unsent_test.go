package pavedgrpc_test

import (
	"context"
	"net"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	testgrpc "google.golang.org/grpc/interop/grpc_testing"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/pavedgrpc"
)

// observe reports each call's Call and the error its attempts returned.
func observe(f func(c *paved.Call, err error)) paved.Middleware {
	return paved.MiddlewareFunc(func(next paved.Op) paved.Op {
		return func(ctx context.Context) error {
			err := next(ctx)
			f(paved.CallFrom(ctx), err)
			return err
		}
	})
}

// An RPC that no connection carried (nothing listens: connection refused) is
// marked unsent, so a retry may repeat it whatever its method; a server's own
// UNAVAILABLE is not, though its code and message look alike.
func TestUnsentWhenNoConnectionCarriedTheRPC(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	closed := l.Addr().String()
	require.NoError(t, l.Close())

	var got error
	var call *paved.Call
	var unsent bool
	p := paved.New("unsent", paved.MiddlewareFunc(func(next paved.Op) paved.Op {
		return func(ctx context.Context) error {
			got = next(ctx)
			call, unsent = paved.CallFrom(ctx), paved.AttemptFrom(ctx).Unsent()
			return got
		}
	}))
	client := dial(t, closed, pavedgrpc.DialOptions(p)...)
	_, err = client.UnaryCall(context.Background(), &testgrpc.SimpleRequest{})
	require.Equal(t, codes.Unavailable, statusCode(err))
	assert.False(t, call.SafeToRepeat(), "the interop method is not declared repeatable")
	assert.True(t, unsent, "connection refused: %v", got)
	var se *pavedgrpc.StatusError
	require.ErrorAs(t, err, &se)
	assert.True(t, se.Unsent(), "the caller's error says so too")

	got = nil
	_, err = dialConn(t, closed, pavedgrpc.DialOptions(p)...).NewStream(context.Background(),
		&grpc.StreamDesc{ServerStreams: true}, testgrpc.TestService_StreamingOutputCall_FullMethodName)
	require.Equal(t, codes.Unavailable, statusCode(err))
	assert.True(t, unsent, "stream creation refused: %v", got)

	svc := &testService{script: []reply{{code: codes.Unavailable}}}
	addr := startServer(t, svc)
	client = dial(t, addr, pavedgrpc.DialOptions(p)...)
	_, err = client.UnaryCall(context.Background(), &testgrpc.SimpleRequest{})
	require.Equal(t, codes.Unavailable, statusCode(err))
	assert.False(t, unsent, "the server answered: %v", got)
}

// UNAVAILABLE with a pushback delay is a server shedding load and saying when
// to come back: Overload, as 503 with Retry-After is; a breaker leaves it out.
// With "do not retry", or without pushback, it stays Transient.
func TestUnavailableWithPushbackIsOverload(t *testing.T) {
	for _, tt := range []struct {
		pushback string
		want     paved.Outcome
	}{
		{"250", paved.OutcomeOverload},
		{"0", paved.OutcomeOverload},
		{"-1", paved.OutcomeTransient},
		{"", paved.OutcomeTransient},
	} {
		svc := &testService{script: []reply{{code: codes.Unavailable, pushback: tt.pushback}}}
		var o paved.Outcome
		p := paved.New("shed", observe(func(c *paved.Call, err error) { o = c.Classify(err) }))
		client := dial(t, startServer(t, svc), pavedgrpc.DialOptions(p)...)
		_, err := client.UnaryCall(context.Background(), &testgrpc.SimpleRequest{})
		require.Equal(t, codes.Unavailable, statusCode(err))
		assert.Equal(t, tt.want, o, "pushback %q", tt.pushback)
	}
}

// Every call that may not be repeated says why.
func TestUnsafeReasons(t *testing.T) {
	addr := startServer(t, &testService{})
	var reason string
	p := paved.New("r", observe(func(c *paved.Call, _ error) { reason = c.UnsafeReason() }))
	for _, tt := range []struct {
		name string
		opts []pavedgrpc.Option
		call []grpc.CallOption
		want string
	}{
		{"not declared", nil, nil, "method not declared repeatable (idempotency_level or WithRepeatable)"},
		{"repeatable", []pavedgrpc.Option{repeatAll}, nil, ""},
		{"call option", []pavedgrpc.Option{repeatAll}, []grpc.CallOption{pavedgrpc.Unrepeatable()},
			"method marked unrepeatable (WithUnrepeatable or the Unrepeatable call option)"},
	} {
		client := dial(t, addr, pavedgrpc.DialOptions(p, tt.opts...)...)
		_, err := client.UnaryCall(context.Background(), &testgrpc.SimpleRequest{}, tt.call...)
		require.NoError(t, err)
		assert.Equal(t, tt.want, reason, tt.name)
	}
}
