package policy

import (
	"context"
	"reflect"
	"strconv"

	"google.golang.org/grpc"

	"github.com/paved-go/paved/chaos"
	"github.com/paved-go/paved/chaos/chaosgrpc"
	"github.com/paved-go/paved/chaos/chaoshttp"
)

// chaosParts are the Chaos a chaos section built, by where they apply
// (Fault): each fault of the file is one Chaos, but a reset is one for each
// wire.
type chaosParts struct {
	pipeline  []*chaos.Chaos // error, latency, hang: innermost in the pipeline
	http      []*chaos.Chaos // http_status, reset: chaoshttp, beneath a Transport or in front of a Handler
	grpc      []*chaos.Chaos // grpc_code, reset: chaosgrpc interceptors
	grpcReset []bool         // for each of grpc: a reset
}

// buildChaos builds the Chaos of each fault, or keeps prev's when the
// section did not change (their call numbers, and so their picks, go on).
func buildChaos(name string, c, prevCfg Chaos, prev chaosParts, o *options) (chaosParts, error) {
	var out chaosParts
	if !c.Enabled {
		return out, nil
	}
	if prevCfg.Enabled && reflect.DeepEqual(c, prevCfg) {
		return prev, nil
	}
	for i, f := range c.Faults {
		opts := []chaos.Option{chaos.WithRate(f.Rate), chaos.WithName(name + ".chaos[" + strconv.Itoa(i) + "]"),
			chaos.WithClock(o.clock), chaos.WithTelemetry(o.tel)}
		if c.Seeded {
			opts = append(opts, chaos.WithSeed(c.Seed+uint64(i)))
		}
		add := func(list *[]*chaos.Chaos, fault chaos.Fault) error {
			ch, err := chaos.New(fault, opts...)
			*list = append(*list, ch)
			return err
		}
		var err error
		switch {
		case f.Error != "":
			err = add(&out.pipeline, chaos.ErrorOutcome(outcomeByName[f.Error]))
		case f.Latency != 0:
			err = add(&out.pipeline, chaos.Latency(f.Latency))
		case f.LatencyMedian != 0:
			err = add(&out.pipeline, chaos.LatencyLogNormal(f.LatencyMedian, f.LatencyP99))
		case f.Hang:
			err = add(&out.pipeline, chaos.Hang())
		case f.HTTPStatus != 0:
			err = add(&out.http, chaoshttp.Status(f.HTTPStatus).WithRetryAfter(f.RetryAfter))
		case f.GRPCCode != "":
			code, _ := grpcCodeOf(f.GRPCCode)
			err = add(&out.grpc, chaosgrpc.Code(code).WithPushback(f.Pushback))
			out.grpcReset = append(out.grpcReset, false)
		case f.Reset:
			if err = add(&out.http, chaoshttp.Reset()); err == nil {
				err = add(&out.grpc, chaosgrpc.Reset())
				out.grpcReset = append(out.grpcReset, true)
			}
		}
		if err != nil {
			return chaosParts{}, err
		}
	}
	return out, nil
}

// grpcClient returns the client interceptors of the gRPC faults, the first
// fault outermost; nil for none.
func (c chaosParts) grpcClient() (grpc.UnaryClientInterceptor, grpc.StreamClientInterceptor) {
	if len(c.grpc) == 0 {
		return nil, nil
	}
	us := make([]grpc.UnaryClientInterceptor, len(c.grpc))
	ss := make([]grpc.StreamClientInterceptor, len(c.grpc))
	for i, ch := range c.grpc {
		us[i], ss[i] = chaosgrpc.UnaryClientInterceptor(ch), chaosgrpc.StreamClientInterceptor(ch)
	}
	unary := func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		for i := len(us) - 1; i >= 0; i-- {
			next, in := invoker, us[i]
			invoker = func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, opts ...grpc.CallOption) error {
				return in(ctx, method, req, reply, cc, next, opts...)
			}
		}
		return invoker(ctx, method, req, reply, cc, opts...)
	}
	stream := func(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
		for i := len(ss) - 1; i >= 0; i-- {
			next, in := streamer, ss[i]
			streamer = func(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, opts ...grpc.CallOption) (grpc.ClientStream, error) {
				return in(ctx, desc, cc, method, next, opts...)
			}
		}
		return streamer(ctx, desc, cc, method, opts...)
	}
	return unary, stream
}

// grpcServer returns the server interceptors of p's gRPC faults, the first
// fault outermost, built once, at the first call: a reset resets a
// connection accepted by lis, and is left out when there is none
// (Set.Listener was not called). nil for none.
func (p *serverParts) grpcServer(lis *chaosgrpc.Listener) (grpc.UnaryServerInterceptor, grpc.StreamServerInterceptor) {
	p.grpcOnce.Do(func() {
		var us []grpc.UnaryServerInterceptor
		var ss []grpc.StreamServerInterceptor
		for i, ch := range p.chaos.grpc {
			var opts []chaosgrpc.ServerOption
			if p.chaos.grpcReset[i] {
				if lis == nil {
					continue
				}
				opts = append(opts, chaosgrpc.WithListener(lis))
			}
			us = append(us, chaosgrpc.UnaryServerInterceptor(ch, opts...))
			ss = append(ss, chaosgrpc.StreamServerInterceptor(ch, opts...))
		}
		if len(us) == 0 {
			return
		}
		p.grpcUnary = func(ctx context.Context, req any, info *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
			for i := len(us) - 1; i >= 0; i-- {
				next, in := h, us[i]
				h = func(ctx context.Context, req any) (any, error) { return in(ctx, req, info, next) }
			}
			return h(ctx, req)
		}
		p.grpcStream = func(srv any, st grpc.ServerStream, info *grpc.StreamServerInfo, h grpc.StreamHandler) error {
			for i := len(ss) - 1; i >= 0; i-- {
				next, in := h, ss[i]
				h = func(srv any, st grpc.ServerStream) error { return in(srv, st, info, next) }
			}
			return h(srv, st)
		}
	})
	return p.grpcUnary, p.grpcStream
}
