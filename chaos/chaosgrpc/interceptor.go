package chaosgrpc

import (
	"context"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"

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
//     call option asks for.
//
// It panics if c is nil or its fault belongs to another transport
// (chaoshttp.Status): a programmer error.
func UnaryClientInterceptor(c *chaos.Chaos) grpc.UnaryClientInterceptor {
	mustGRPCFault(c)
	return func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		if err := clientFault(ctx, c, opts); err != nil {
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
		if err := clientFault(ctx, c, opts); err != nil {
			return nil, err
		}
		return streamer(ctx, desc, cc, method, opts...)
	}
}

// clientFault applies c to one client call: the error to fail it with, or
// nil to send it (after any delay).
func clientFault(ctx context.Context, c *chaos.Chaos, opts []grpc.CallOption) error {
	in, ok := c.Pick(ctx)
	if !ok {
		return nil
	}
	if err := in.Wait(ctx); err != nil {
		return waitErr(ctx, err)
	}
	if err := in.Err(); err != nil {
		return asStatus(err)
	}
	if f, ok := in.Fault.(CodeFault); ok {
		if v := f.pushbackValue(); v != "" {
			for _, o := range opts {
				if t, ok := o.(grpc.TrailerCallOption); ok && t.TrailerAddr != nil {
					*t.TrailerAddr = metadata.Pairs(pushbackKey, v)
				}
			}
		}
		return f.status().Err()
	}
	return nil
}

// UnaryServerInterceptor disturbs a share of the unary calls a server
// receives with c's fault, so the clients under test meet it over the
// network: a latency fault delays the handler, a hang answers nothing until
// the client gives up, an error answers the status CodeForOutcome gives,
// and Code answers that status with its pushback trailer. It panics if c is
// nil or its fault belongs to another transport: a programmer error.
func UnaryServerInterceptor(c *chaos.Chaos) grpc.UnaryServerInterceptor {
	mustGRPCFault(c)
	return func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		if err := serverFault(ctx, c); err != nil {
			return nil, err
		}
		return handler(ctx, req)
	}
}

// StreamServerInterceptor disturbs a share of the streams a server accepts,
// before the handler runs, as UnaryServerInterceptor does calls.
func StreamServerInterceptor(c *chaos.Chaos) grpc.StreamServerInterceptor {
	mustGRPCFault(c)
	return func(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		if err := serverFault(ss.Context(), c); err != nil {
			return err
		}
		return handler(srv, ss)
	}
}

// serverFault applies c to one received call: the status to answer with, or
// nil to run the handler (after any delay).
func serverFault(ctx context.Context, c *chaos.Chaos) error {
	in, ok := c.Pick(ctx)
	if !ok {
		return nil
	}
	if err := in.Wait(ctx); err != nil {
		return waitErr(ctx, err)
	}
	if err := in.Err(); err != nil {
		return asStatus(err)
	}
	if f, ok := in.Fault.(CodeFault); ok {
		if v := f.pushbackValue(); v != "" {
			_ = grpc.SetTrailer(ctx, metadata.Pairs(pushbackKey, v))
		}
		return f.status().Err()
	}
	return nil
}
