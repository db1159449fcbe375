package pavedgrpc_test

import (
	"context"
	"strconv"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	testgrpc "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/pavedgrpc"
)

// replySpy is a stub invoker recording the reply message each attempt
// received into, and answering with the attempt's x-attempt header.
type replySpy struct {
	mu      sync.Mutex
	replies map[string]any // x-attempt ("" without hedgeMW) -> reply
}

func (s *replySpy) invoke(ctx context.Context, _ string, _, reply any, _ *grpc.ClientConn, _ ...grpc.CallOption) error {
	md, _ := metadata.FromOutgoingContext(ctx)
	n := ""
	if v := md.Get("x-attempt"); len(v) > 0 {
		n = v[0]
	}
	reply.(*testgrpc.SimpleResponse).Username = "user-" + n
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.replies == nil {
		s.replies = map[string]any{}
	}
	s.replies[n] = reply
	return nil
}

// TestUnaryReplyMessages: a call sent once receives straight into the
// caller's reply; a repeatable call's attempts, which may run at once, each
// receive into a message of their own, and the final one is moved into the
// caller's.
func TestUnaryReplyMessages(t *testing.T) {
	tests := []struct {
		name     string
		mw       paved.Middleware
		opts     []pavedgrpc.Option
		want     string
		callers  string // the attempt that received into the caller's reply; "-" none
		separate int    // attempts with messages of their own
	}{
		{"sent once", nil, nil, "user-", "", 0},
		{"repeatable single attempt", nil, []pavedgrpc.Option{repeatAll}, "user-", "-", 1},
		{"repeatable hedged, first final", hedgeMW(2, 1), []pavedgrpc.Option{repeatAll}, "user-1", "-", 2},
		{"repeatable hedged, second final", hedgeMW(2, 2), []pavedgrpc.Option{repeatAll}, "user-2", "-", 2},
		// hedgeMW ignores repeatability: a later attempt still never writes the caller's reply.
		{"sent once but hedged", hedgeMW(2, 2), nil, "user-2", "1", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spy := &replySpy{}
			intercept := pavedgrpc.UnaryClientInterceptor(paved.New("reply", tt.mw), tt.opts...)
			out := &testgrpc.SimpleResponse{OauthScope: "stale"}
			require.NoError(t, intercept(context.Background(), benchMethod, &testgrpc.SimpleRequest{}, out, nil, spy.invoke))
			assert.Equal(t, tt.want, out.GetUsername())
			if tt.callers != "-" {
				assert.Same(t, out, spy.replies[tt.callers], "attempt %q received into the caller's reply", tt.callers)
			} else {
				assert.Empty(t, out.GetOauthScope(), "the old contents are cleared by the move")
			}
			separate := map[any]bool{}
			for _, r := range spy.replies {
				if r != any(out) {
					separate[r] = true
				}
			}
			assert.Len(t, separate, tt.separate, "distinct messages besides the caller's")
		})
	}
}

// TestUnaryCallerOptionsBuffer: the caller's own options and the header,
// trailer and peer the interceptor records all reach the invoker, whether or
// not they fit the attempt's option buffer.
func TestUnaryCallerOptionsBuffer(t *testing.T) {
	var header, trailer metadata.MD
	for n := range 4 {
		t.Run(strconv.Itoa(n), func(t *testing.T) {
			opts := []grpc.CallOption{grpc.WaitForReady(true), grpc.Header(&header), grpc.Trailer(&trailer), grpc.MaxCallRecvMsgSize(1 << 20)}[:n]
			var got []grpc.CallOption
			invoke := func(_ context.Context, _ string, _, _ any, _ *grpc.ClientConn, o ...grpc.CallOption) error {
				got = o
				return nil
			}
			intercept := pavedgrpc.UnaryClientInterceptor(paved.New("opts"))
			require.NoError(t, intercept(context.Background(), benchMethod, &testgrpc.SimpleRequest{}, &testgrpc.SimpleResponse{}, nil, invoke, opts...))
			// The trailer, for pushback, and the peer, which tells an RPC no
			// connection carried (the method is not repeatable).
			wantLen := 2
			if n >= 1 {
				assert.Contains(t, got, grpc.CallOption(grpc.WaitForReady(true)))
				wantLen++
			}
			if n >= 2 {
				wantLen++ // the attempt's own header
			}
			if n >= 4 {
				wantLen++
			}
			assert.Len(t, got, wantLen)
		})
	}
}

// TestUnaryCallerVars: the final attempt's header, trailer and peer reach the
// caller's variables over a real connection, for a call sent once and for a
// hedged one, with or without another option of the caller's.
func TestUnaryCallerVars(t *testing.T) {
	for _, tt := range []struct {
		name  string
		mw    paved.Middleware
		opts  []pavedgrpc.Option
		extra []grpc.CallOption
		want  string
	}{
		{"sent once", nil, nil, nil, "1"},
		{"sent once, own option", nil, nil, []grpc.CallOption{grpc.WaitForReady(true)}, "1"},
		{"repeatable", nil, []pavedgrpc.Option{repeatAll}, nil, "1"},
		{"hedged", hedgeMW(2, 2), []pavedgrpc.Option{repeatAll}, []grpc.CallOption{grpc.WaitForReady(true)}, "2"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			addr := startServer(t, &testService{})
			client := dial(t, addr, pavedgrpc.DialOptions(paved.New("vars", tt.mw), tt.opts...)...)
			var hdr, tr metadata.MD
			var pr peer.Peer
			opts := append([]grpc.CallOption{grpc.Header(&hdr), grpc.Trailer(&tr), grpc.Peer(&pr)}, tt.extra...)
			resp, err := client.UnaryCall(context.Background(), &testgrpc.SimpleRequest{}, opts...)
			require.NoError(t, err)
			assert.Equal(t, "user-"+tt.want, resp.GetUsername())
			assert.NotNil(t, hdr, "header delivered")
			assert.NotEmpty(t, tr.Get("x-call"), "trailer delivered")
			require.NotNil(t, pr.Addr, "peer delivered")
			assert.Equal(t, addr, pr.Addr.String())
		})
	}
}
