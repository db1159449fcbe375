package chaosgrpc

import (
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"

	"github.com/paved-go/paved/chaos"
)

// Reset returns the fault of a connection reset: the TCP connection that
// carries the call ends with an RST while the call is on it.
//
// On a server (UnaryServerInterceptor, StreamServerInterceptor with
// WithListener) the reset is real: the interceptor closes the call's
// connection with an RST, without running the handler, and the client's gRPC
// library reports it as it reports any peer's reset. Every other call on that
// connection fails with it, as on a real reset, and the client's channel
// reconnects for the next call.
//
// On a client (UnaryClientInterceptor, StreamClientInterceptor) it is an
// emulation, since an interceptor has no hold on the connection: the call
// fails, without being sent, with the status grpc-go gives a call whose
// connection a peer reset — UNAVAILABLE, "error reading from server:
// connection reset by peer" — which still matches chaos.ErrInjected with
// errors.Is. As a real reset's call was carried by a connection (the server
// may have acted on it), a grpc.Peer call option is filled with an address
// of network "chaos" naming the channel's target; so pavedgrpc counts the
// call sent, and retries it only when its method is repeatable, as it would
// after a real reset.
func Reset() chaos.Fault { return resetFault{} }

type resetFault struct{}

// Name is "reset", as chaoshttp.Reset's.
func (resetFault) Name() string { return "reset" }

// resetMessage is the status message grpc-go (v1.85) gives the calls on a
// connection its peer reset; TestClientResetMatchesRealReset compares it
// with a real reset's.
const resetMessage = "error reading from server: connection reset by peer"

// resetErr is the error an emulated reset fails a client call with.
func resetErr() error {
	return &injectedStatus{st: status.New(codes.Unavailable, resetMessage), err: chaos.ErrInjected}
}

// injectedAddr is the peer address an injected client failure reports: the
// channel's target, under network "chaos".
type injectedAddr string

func (injectedAddr) Network() string  { return "chaos" }
func (a injectedAddr) String() string { return string(a) }

// fillPeer fills the grpc.Peer options among opts with cc's target, under
// network "chaos": the call stands for one a connection carried.
func fillPeer(cc *grpc.ClientConn, opts []grpc.CallOption) {
	for _, o := range opts {
		if p, ok := o.(grpc.PeerCallOption); ok && p.PeerAddr != nil {
			target := "chaos"
			if cc != nil {
				target = cc.Target()
			}
			*p.PeerAddr = peer.Peer{Addr: injectedAddr(target)}
		}
	}
}
