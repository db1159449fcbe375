package pavedgrpc

import (
	"context"
	"errors"

	"google.golang.org/grpc"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/paved-go/paved"
)

// UnaryServerInterceptor admits every unary call through p before its handler
// runs: rate limits per caller (WithKeyFunc), load shedding by priority
// (WithPriorityFunc), bulkheads. The handler runs inside the pipeline with the
// incoming context, so the deadline gRPC rebuilt from grpc-timeout reaches it
// and every call it makes downstream; so do the caller's key and priority.
//
// A refusal by a policy (errors.Is(err, paved.ErrRejected)) is answered with
// RESOURCE_EXHAUSTED or UNAVAILABLE (see WithRefusalCode), and with a
// grpc-retry-pushback-ms trailer when the policy knows when to come back
// (paved.RetryAfter). The handler's own errors pass unchanged.
//
// A handler is never run twice: the server side marks every call
// Unrepeatable, so a retry or hedge in a server pipeline makes one attempt.
// p must not be nil.
func UnaryServerInterceptor(p *paved.Pipeline, opts ...Option) grpc.UnaryServerInterceptor {
	if p == nil {
		panic("pavedgrpc: UnaryServerInterceptor needs a *paved.Pipeline, got nil")
	}
	cfg := newConfig(opts)
	return func(ctx context.Context, req any, info *grpc.UnaryServerInfo, handler grpc.UnaryHandler) (any, error) {
		ctx = cfg.serverCallInfo(ctx, info.FullMethod)
		c, err := p.Execute(ctx, func(ctx context.Context) error {
			resp, err := handler(ctx, req)
			paved.AttemptFrom(ctx).SetResult(resp, nil)
			return handlerErr(err)
		})
		err = unwrapHandlerErr(err)
		resp, ran := finalResult(c)
		if !ran && err != nil {
			if trailer, serr := cfg.refusal(err); serr != nil {
				if trailer != nil {
					_ = grpc.SetTrailer(ctx, trailer)
				}
				return nil, serr
			}
		}
		if err != nil && cfg.tellNoRetry(c) {
			_ = grpc.SetTrailer(ctx, doNotRetryTrailer)
		}
		return resp, err
	}
}

// StreamServerInterceptor admits every stream through p before its handler
// runs, as UnaryServerInterceptor does for unary calls. The handler's stream
// carries the pipeline's context (deadline, caller key, priority). p must not
// be nil.
func StreamServerInterceptor(p *paved.Pipeline, opts ...Option) grpc.StreamServerInterceptor {
	if p == nil {
		panic("pavedgrpc: StreamServerInterceptor needs a *paved.Pipeline, got nil")
	}
	cfg := newConfig(opts)
	return func(srv any, ss grpc.ServerStream, info *grpc.StreamServerInfo, handler grpc.StreamHandler) error {
		ctx := cfg.serverCallInfo(ss.Context(), info.FullMethod)
		c, err := p.Execute(ctx, func(ctx context.Context) error {
			err := handler(srv, &serverStream{ServerStream: ss, ctx: ctx})
			paved.AttemptFrom(ctx).SetResult(nil, nil)
			return handlerErr(err)
		})
		err = unwrapHandlerErr(err)
		_, ran := finalResult(c)
		if !ran && err != nil {
			if trailer, serr := cfg.refusal(err); serr != nil {
				if trailer != nil {
					ss.SetTrailer(trailer)
				}
				return serr
			}
		}
		if err != nil && cfg.tellNoRetry(c) {
			ss.SetTrailer(doNotRetryTrailer)
		}
		return err
	}
}

// handlerError is a handler's status error on its way through the server
// pipeline: telemetry's error.type is its code's name ("Unavailable"), as
// on the client (StatusError), not grpc's internal type. The interceptors
// give the handler's own error back to gRPC.
type handlerError struct {
	err error
	st  *status.Status
}

func (e *handlerError) Error() string              { return e.err.Error() }
func (e *handlerError) Unwrap() error              { return e.err }
func (e *handlerError) GRPCStatus() *status.Status { return e.st }
func (e *handlerError) ErrorType() string          { return e.st.Code().String() }

// handlerErr wraps err when it carries a gRPC status; other errors (which
// gRPC answers UNKNOWN) pass unchanged.
func handlerErr(err error) error {
	if err == nil {
		return nil
	}
	if st, ok := status.FromError(err); ok {
		return &handlerError{err: err, st: st}
	}
	return err
}

// unwrapHandlerErr gives back the handler's own error when nothing wrapped
// handlerErr's.
func unwrapHandlerErr(err error) error {
	if he, ok := err.(*handlerError); ok {
		return he.err
	}
	return err
}

// finalResult returns the final attempt's result, and whether the handler
// returned one: false means a policy answered without running it (or gave up
// waiting for it). Results are read from the attempt, not a shared variable,
// because a middleware may return before the handler does.
func finalResult(c *paved.Call) (any, bool) {
	a := c.Final()
	if a == nil {
		return nil, false
	}
	defer a.Release()
	return a.Result()
}

// doNotRetryTrailer is gRFC A6's "do not retry" pushback, sent when the
// handler failed because a call it made downstream gave up (tellNoRetry).
var doNotRetryTrailer = metadata.Pairs(PushbackKey, "-1")

// tellNoRetry reports whether a failed server call should tell its caller
// not to retry: a call its handler made through paved with the call's
// context gave up after retrying, or was refused by paved's own policies
// (paved.Call.DownstreamGaveUp), so the retrying was done one tier down. A
// pushback the handler set itself comes first and wins (ParsePushback reads
// the first value).
func (cfg *config) tellNoRetry(c *paved.Call) bool {
	return !cfg.keepRetries && c.DownstreamGaveUp()
}

// serverCallInfo puts the server call's CallInfo on ctx.
func (cfg *config) serverCallInfo(ctx context.Context, method string) context.Context {
	info := paved.CallInfo{Operation: method, Unrepeatable: true, Classifier: classifier}
	info.CallerAttempt = callerAttempt(ctx)
	if cfg.key != nil {
		info.Key = cfg.key(ctx)
	}
	if cfg.priority != nil {
		info.Priority = cfg.priority(ctx)
	}
	return paved.WithCallInfo(ctx, info)
}

// refusal turns a policy's refusal into the trailer that carries its pushback
// (nil without one) and the status the server answers with. It returns a
// nil error when err is not a refusal.
func (cfg *config) refusal(err error) (metadata.MD, error) {
	if !errors.Is(err, paved.ErrRejected) {
		return nil, nil
	}
	var md metadata.MD
	if d, ok := paved.RetryAfter(err); ok && d > 0 {
		md = metadata.Pairs(PushbackKey, pushbackValue(d))
	}
	return md, status.Error(cfg.refusalCode(err), err.Error())
}

// serverStream is the handler's stream with the pipeline's context.
type serverStream struct {
	grpc.ServerStream
	ctx context.Context
}

func (s *serverStream) Context() context.Context { return s.ctx }
