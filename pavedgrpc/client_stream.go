package pavedgrpc

import (
	"context"
	"io"
	"sync"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/paved-go/paved"
)

// StreamClientInterceptor runs the creation of every client stream through p:
// the policies (retry, breaker, bulkhead, rate limit, timeouts) apply to
// opening the stream, and the stream returned is the final attempt's. What
// happens after (messages sent and received, the status at the end) is
// outside the pipeline: no policy retries a stream once it is open. A gRPC
// server's own status usually arrives with the first RecvMsg, after the
// pipeline has returned. Opening a stream starts the server's handler, which
// may act before any message arrives, so creation is repeated (retried,
// hedged) only for repeatable methods, by the same rule as unary calls (see
// UnaryClientInterceptor); a repeated creation mostly covers a connection
// that cannot be had.
//
// A stream whose creation was abandoned (a hedge that lost, an attempt a retry
// moved past) has its context canceled. The final stream's context lives until
// RecvMsg returns an error (io.EOF included) or the only response of a
// client-streaming call, or until the caller's context ends, as gRPC requires
// of every stream.
//
// Each attempt records its own header, trailer and peer; the caller's
// grpc.Header, grpc.Trailer and grpc.Peer variables are filled from the final
// attempt's when the stream ends (RecvMsg returned an error, io.EOF included,
// or the only response of a call that has one), as grpc fills them, and never
// by an abandoned attempt. p must not be nil.
func StreamClientInterceptor(p *paved.Pipeline, opts ...Option) grpc.StreamClientInterceptor {
	if p == nil {
		panic("pavedgrpc: StreamClientInterceptor needs a *paved.Pipeline, got nil")
	}
	cfg := newConfig(opts)
	return func(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, callOpts ...grpc.CallOption) (grpc.ClientStream, error) {
		uc := scanCallOptions(callOpts)
		why := unsafeReason(true, uc.unrepeatable, cfg, method)
		ctx = paved.WithCallInfo(ctx, paved.CallInfo{
			Operation:    method,
			Unrepeatable: why != "",
			UnsafeReason: why,
			Classifier:   classifier,
		})
		c, err := p.Execute(ctx, func(ctx context.Context) error {
			sa := &streamAttempt{}
			sctx, cancel := context.WithCancel(withCriticality(withAttempt(ctx, paved.AttemptFrom(ctx).Number()), paved.CallFrom(ctx)))
			unrepeatable := !paved.CallFrom(ctx).SafeToRepeat()
			cs, err := streamer(sctx, desc, cc, method, uc.attemptOptions(&sa.callVars, false, unrepeatable, nil)...)
			if err != nil {
				cancel()
				e := newStatusError(err, nil)
				// A stream whose creation failed never reached a server: grpc
				// returns from NewStream with an error only before a transport
				// carried it (the peer check says so for streams too).
				if e.unsent = unrepeatable && sa.callVars.unsent(err); e.unsent {
					paved.AttemptFrom(ctx).MarkUnsent()
				}
				return e
			}
			sa.ClientStream, sa.cancel = cs, cancel
			paved.AttemptFrom(ctx).SetResult(sa, discardStream)
			return nil
		})
		var cs grpc.ClientStream
		if a := c.Final(); a != nil {
			if v, ok := a.Result(); ok && err == nil {
				cs = &clientStream{streamAttempt: v.(*streamAttempt), attempt: a, opts: &uc, single: !desc.ServerStreams}
			} else {
				// A policy failed the call after its final attempt opened a
				// stream: nobody will read it.
				a.Release()
				a.Discard()
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

// streamAttempt is the stream one attempt opened, with its own header,
// trailer and peer variables (see callVars) and the cancel of its context.
type streamAttempt struct {
	grpc.ClientStream
	callVars
	cancel context.CancelFunc
}

// discardStream frees an attempt's stream: canceling its context makes grpc
// finish it.
func discardStream(v any) { v.(*streamAttempt).cancel() }

// clientStream is the final attempt's stream. Once the stream has ended it
// delivers the attempt's header, trailer and peer to the caller's variables,
// releases the attempt (runs what a policy held, such as an attempt timeout's
// cancel) and cancels the stream's own context.
type clientStream struct {
	*streamAttempt
	attempt *paved.Attempt
	opts    *callOptions
	single  bool // one response only: the stream ends with it
	once    sync.Once
	// delivered guards the writes to the caller's variables, which Header (on
	// a receiving goroutine) and end (on a sending one) may both attempt: the
	// values are final once grpc finished the stream, so once is enough.
	delivered sync.Once
}

// RecvMsg ends the stream when grpc did: on an error (io.EOF included), which
// grpc returns only after finishing the stream (filling the attempt's
// variables), or with the only response of a call that has one (grpc reads
// to the end of such a stream before returning it).
func (s *clientStream) RecvMsg(m any) error {
	err := s.ClientStream.RecvMsg(m)
	if err != nil || s.single {
		s.end()
	}
	return err
}

// SendMsg ends the stream when grpc did: on an error other than io.EOF (which
// only says the status awaits RecvMsg).
func (s *clientStream) SendMsg(m any) error {
	err := s.ClientStream.SendMsg(m)
	if err != nil && err != io.EOF {
		s.end()
	}
	return err
}

// Header delivers the caller's variables when grpc finished the stream
// instead of returning a header (it then answers nil, nil); the status is
// left for RecvMsg, as grpc does.
func (s *clientStream) Header() (metadata.MD, error) {
	md, err := s.ClientStream.Header()
	if md == nil && err == nil {
		s.deliver()
	}
	return md, err
}

func (s *clientStream) deliver() { s.delivered.Do(func() { s.opts.deliver(&s.callVars) }) }

// end delivers the caller's variables, releases the attempt, then frees the
// stream's context through the discard func it was recorded with.
func (s *clientStream) end() {
	s.once.Do(func() {
		s.deliver()
		s.attempt.Release()
		s.attempt.Discard()
	})
}
