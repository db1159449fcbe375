package pavedgrpc

import (
	"context"
	"sync"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/paved-go/paved"
)

// StreamClientInterceptor runs the creation of every client stream through p:
// the policies (retry, breaker, bulkhead, rate limit, timeouts) apply to
// opening the stream, and the stream returned is the final attempt's. What
// happens after (messages sent and received, the status at the end) is
// outside the pipeline: no policy retries a stream once it is open. Opening a
// stream sends nothing the server acts on before the first message, so a
// retried creation is safe; it mostly covers a connection that cannot be had
// or a policy's refusal. A gRPC server's own status usually arrives with the
// first RecvMsg, after the pipeline has returned.
//
// A stream whose creation was abandoned (a hedge that lost, an attempt a retry
// moved past) has its context canceled. The final stream's context lives until
// RecvMsg returns an error (io.EOF included) or the only response of a
// client-streaming call, or until the caller's context ends, as gRPC requires
// of every stream. p must not be nil.
func StreamClientInterceptor(p *paved.Pipeline, opts ...Option) grpc.StreamClientInterceptor {
	if p == nil {
		panic("pavedgrpc: StreamClientInterceptor needs a *paved.Pipeline, got nil")
	}
	cfg := newConfig(opts)
	return func(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, callOpts ...grpc.CallOption) (grpc.ClientStream, error) {
		uc := scanStreamOptions(callOpts)
		ctx = paved.WithCallInfo(ctx, paved.CallInfo{
			Operation:    method,
			Unrepeatable: uc || (cfg.unrepeatable != nil && cfg.unrepeatable(method)),
			Classifier:   classifier,
		})
		c, err := p.Execute(ctx, func(ctx context.Context) error {
			sctx, cancel := context.WithCancel(ctx)
			cs, err := streamer(sctx, desc, cc, method, callOpts...)
			if err != nil {
				cancel()
				return newStatusError(err, nil)
			}
			paved.AttemptFrom(ctx).SetResult(cs, func(any) { cancel() })
			return nil
		})
		var cs grpc.ClientStream
		if a := c.Final(); a != nil {
			if v, ok := a.Result(); ok && err == nil {
				cs = &clientStream{ClientStream: v.(grpc.ClientStream), attempt: a, single: !desc.ServerStreams}
			} else {
				a.Release()
			}
		}
		if err == nil && cs == nil {
			// A middleware ended the call without error but without marking
			// which of its attempts' streams stands (Call.SetFinal).
			return nil, status.Error(codes.Internal, "pavedgrpc: the pipeline returned no error and no final stream")
		}
		return cs, callerError(err, cfg)
	}
}

// scanStreamOptions reports whether the caller marked the stream Unrepeatable.
func scanStreamOptions(opts []grpc.CallOption) bool {
	for _, o := range opts {
		if _, ok := o.(unrepeatableOption); ok {
			return true
		}
	}
	return false
}

// clientStream is the final attempt's stream. It releases the attempt (runs
// what a policy held, such as an attempt timeout's cancel) and cancels the
// stream's own context once the stream has ended.
type clientStream struct {
	grpc.ClientStream
	attempt *paved.Attempt
	single  bool // one response only: the stream ends with it
	once    sync.Once
}

func (s *clientStream) RecvMsg(m any) error {
	err := s.ClientStream.RecvMsg(m)
	if err != nil || s.single {
		s.end()
	}
	return err
}

// end releases the attempt, then frees the stream's context through the
// discard func it was recorded with.
func (s *clientStream) end() {
	s.once.Do(func() {
		s.attempt.Release()
		s.attempt.Discard()
	})
}
