package chaosgrpc

import (
	"context"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/peer"
	"google.golang.org/grpc/status"

	"github.com/paved-go/paved/chaos"
)

// UnaryClientInterceptor disturbs a share of unary calls with c's fault
// before they reach the server. Chained inside pavedgrpc's interceptor
// (grpc.WithChainUnaryInterceptor(pavedgrpc.UnaryClientInterceptor(p),
// chaosgrpc.UnaryClientInterceptor(c))), it disturbs each attempt, and
// paved's policies see the fault as a real server's status, pushback
// included. The faults:
//
//   - chaos.Latency and the like: wait, then send;
//   - chaos.Hang: wait until the call's context ends; DEADLINE_EXCEEDED or CANCELLED;
//   - chaos.Error, chaos.ErrorOutcome: the status CodeForOutcome gives;
//   - Code: that status, and its pushback in the trailer a grpc.Trailer
//     call option asks for;
//   - Reset: the status grpc-go gives a call whose connection was reset (an
//     emulation: see Reset).
//
// An injected failure (an error, Code, Reset) stands for what a server or
// its connection did to a call it carried, so a grpc.Peer call option is
// filled with an address of network "chaos" naming the channel's target:
// pavedgrpc then counts the call sent, not one no connection carried (which
// retry would repeat whatever the method).
//
// It panics if c is nil or its fault belongs to another transport
// (chaoshttp.Status): a programmer error.
func UnaryClientInterceptor(c *chaos.Chaos) grpc.UnaryClientInterceptor {
	mustGRPCFault(c)
	return func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		if err := clientFault(ctx, c, cc, opts); err != nil {
			return err
		}
		return invoker(ctx, method, req, reply, cc, opts...)
	}
}

// StreamClientInterceptor disturbs a share of stream creations with c's
// fault, as UnaryClientInterceptor does calls; a stream let through is not
// disturbed later.
func StreamClientInterceptor(c *chaos.Chaos) grpc.StreamClientInterceptor {
	mustGRPCFault(c)
	return func(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
		if err := clientFault(ctx, c, cc, opts); err != nil {
			return nil, err
		}
		return streamer(ctx, desc, cc, method, opts...)
	}
}

// clientFault applies c to one client call: the error to fail it with, or
// nil to send it (after any delay).
func clientFault(ctx context.Context, c *chaos.Chaos, cc *grpc.ClientConn, opts []grpc.CallOption) error {
	in, ok := c.Pick(ctx)
	if !ok {
		return nil
	}
	if err := in.Wait(ctx); err != nil {
		return waitErr(ctx, err)
	}
	if err := in.Err(); err != nil {
		fillPeer(cc, opts)
		return asStatus(err)
	}
	switch f := in.Fault.(type) {
	case CodeFault:
		fillPeer(cc, opts)
		if v := f.pushbackValue(); v != "" {
			for _, o := range opts {
				if t, ok := o.(grpc.TrailerCallOption); ok && t.TrailerAddr != nil {
					*t.TrailerAddr = metadata.Pairs(pushbackKey, v)
				}
			}
		}
		return &injectedStatus{st: f.status(), err: chaos.ErrInjected}
	case resetFault:
		fillPeer(cc, opts)
		return resetErr()
	}
	return nil
}

// UnaryServerInterceptor disturbs a share of the unary calls a server
// receives with c's fault, so the clients under test meet it over the
// network: a latency fault delays the handler, a hang answers nothing until
// the client gives up, an error answers the status CodeForOutcome gives,
// Code answers that status with its pushback trailer, and Reset closes the
// call's connection with an RST (it needs WithListener). It panics if c is
// nil, if its fault belongs to another transport, or if it is Reset and no
// WithListener is given: a programmer error.
func UnaryServerInterceptor(c *chaos.Chaos, opts ...ServerOption) grpc.UnaryServerInterceptor {
	cfg := newServerConfig(c, opts)
	return func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		if err := cfg.fault(ctx); err != nil {
			return nil, err
		}
		return handler(ctx, req)
	}
}

// StreamServerInterceptor disturbs a share of the streams a server accepts,
// before the handler runs, as UnaryServerInterceptor does calls.
func StreamServerInterceptor(c *chaos.Chaos, opts ...ServerOption) grpc.StreamServerInterceptor {
	cfg := newServerConfig(c, opts)
	return func(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		if err := cfg.fault(ss.Context()); err != nil {
			return err
		}
		return handler(srv, ss)
	}
}

// ServerOption configures UnaryServerInterceptor and StreamServerInterceptor.
type ServerOption func(*serverConfig)

// WithListener gives the server interceptors the Listener the server serves
// on, where a Reset fault finds the connection to reset. Required with
// Reset; other faults ignore it.
func WithListener(l *Listener) ServerOption { return func(c *serverConfig) { c.lis = l } }

type serverConfig struct {
	c   *chaos.Chaos
	lis *Listener
}

func newServerConfig(c *chaos.Chaos, opts []ServerOption) *serverConfig {
	mustGRPCFault(c)
	cfg := &serverConfig{c: c}
	for _, o := range opts {
		if o != nil {
			o(cfg)
		}
	}
	if _, ok := c.Fault().(resetFault); ok && cfg.lis == nil {
		panic("chaosgrpc: a Reset fault on a server needs WithListener, the Listener the server serves on")
	}
	return cfg
}

// errNotAccepted is what a Reset answers a call whose connection its
// Listener did not accept (the server serves on another listener too): the
// rehearsal is misconfigured, and says so rather than pass for a reset.
var errNotAccepted = status.Error(codes.Internal, "chaosgrpc: Reset: the call's connection was not accepted by the Listener given to WithListener")

// fault applies the Chaos to one received call: the status to answer with,
// or nil to run the handler (after any delay).
func (cfg *serverConfig) fault(ctx context.Context) error {
	in, ok := cfg.c.Pick(ctx)
	if !ok {
		return nil
	}
	if err := in.Wait(ctx); err != nil {
		return waitErr(ctx, err)
	}
	if err := in.Err(); err != nil {
		return asStatus(err)
	}
	switch f := in.Fault.(type) {
	case CodeFault:
		if v := f.pushbackValue(); v != "" {
			_ = grpc.SetTrailer(ctx, metadata.Pairs(pushbackKey, v))
		}
		return f.status().Err()
	case resetFault:
		p, ok := peer.FromContext(ctx)
		if !ok || !cfg.lis.reset(p.LocalAddr, p.Addr) {
			return errNotAccepted
		}
		// The connection is gone: no answer reaches the client, which sees
		// the reset.
		return status.Error(codes.Unavailable, "chaos: injected connection reset")
	}
	return nil
}
