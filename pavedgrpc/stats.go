package pavedgrpc

import (
	"context"
	"sync/atomic"

	"go.opentelemetry.io/contrib/instrumentation/google.golang.org/grpc/otelgrpc"
	"google.golang.org/grpc/stats"

	"github.com/paved-go/paved/telemetry"
)

// followingHandler is otelgrpc's stats handler for the providers a
// pipeline's telemetry reports to now. otelgrpc keeps the providers it was
// built with; a service that replaces its global providers after dialing
// would otherwise get its call spans in the new provider and its attempt
// spans in the old one, split across exporters. So the handler is built
// anew when the providers change: one pointer comparison per event until then.
type followingHandler struct {
	tel   *telemetry.Telemetry
	build func(...otelgrpc.Option) stats.Handler // otelgrpc.NewClientHandler or NewServerHandler
	cur   atomic.Pointer[builtHandler]
}

type builtHandler struct {
	providers telemetry.Providers
	h         stats.Handler
}

var _ stats.Handler = (*followingHandler)(nil)

func newFollowingHandler(tel *telemetry.Telemetry, build func(...otelgrpc.Option) stats.Handler) *followingHandler {
	return &followingHandler{tel: tel, build: build}
}

// handler returns otelgrpc's handler for the providers in force.
func (f *followingHandler) handler() stats.Handler {
	prov := f.tel.Providers()
	if b := f.cur.Load(); b != nil && b.providers == prov {
		return b.h
	}
	b := &builtHandler{providers: prov, h: f.build(
		otelgrpc.WithTracerProvider(prov.TracerProvider()),
		otelgrpc.WithMeterProvider(prov.MeterProvider()))}
	f.cur.Store(b)
	return b.h
}

// An RPC tagged by one handler and reported to a newer one (the providers
// changed in between) still ends its span: otelgrpc keeps the span and its
// state in the RPC's context, not in the handler.

func (f *followingHandler) TagRPC(ctx context.Context, info *stats.RPCTagInfo) context.Context {
	return f.handler().TagRPC(ctx, info)
}

func (f *followingHandler) HandleRPC(ctx context.Context, s stats.RPCStats) {
	f.handler().HandleRPC(ctx, s)
}

func (f *followingHandler) TagConn(ctx context.Context, info *stats.ConnTagInfo) context.Context {
	return f.handler().TagConn(ctx, info)
}

func (f *followingHandler) HandleConn(ctx context.Context, s stats.ConnStats) {
	f.handler().HandleConn(ctx, s)
}
