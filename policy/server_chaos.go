package policy

import (
	"context"

	"google.golang.org/grpc/status"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/chaos"
	"github.com/paved-go/paved/chaos/chaosgrpc"
	"github.com/paved-go/paved/chaos/chaoshttp"
)

// serverChaos is a server.chaos fault in the server pipeline. An error it
// injects crosses the wire as the status its outcome calls for, as
// chaoshttp.Handler and chaosgrpc's interceptors answer one
// (docs/chaos.md): HTTP 503 / 429 / 400 / 500, gRPC UNAVAILABLE /
// RESOURCE_EXHAUSTED / INVALID_ARGUMENT / INTERNAL, for Transient /
// Overload / Permanent / the rest. A bare chaos.Chaos there would be
// answered by outcome over HTTP only for ErrorOutcome's errors, and as any
// error that is not a status over gRPC (UNKNOWN): a permanent failure
// clients retry. It picks as chaos.Chaos.Wrap does, so that only its own
// errors get a status, never the handler's.
type serverChaos struct{ c *chaos.Chaos }

func (s serverChaos) Wrap(next paved.Op) paved.Op {
	return func(ctx context.Context) error {
		in, ok := s.c.Pick(ctx)
		if !ok {
			return next(ctx)
		}
		if err := in.Err(); err != nil {
			return newWireError(err)
		}
		if err := in.Wait(ctx); err != nil {
			return err
		}
		return next(ctx)
	}
}

// wireError is an injected error with the HTTP status (pavedhttp.StatusFor
// reads HTTPStatus) and gRPC status (grpc reads GRPCStatus) of its outcome.
// errors.Is still finds chaos.ErrInjected.
type wireError struct {
	err  error
	http int
	grpc *status.Status
}

func newWireError(err error) *wireError {
	o := paved.DefaultClassifier.Classify(err)
	return &wireError{err: err, http: chaoshttp.StatusForOutcome(o), grpc: status.New(chaosgrpc.CodeForOutcome(o), err.Error())}
}

func (e *wireError) Error() string              { return e.err.Error() }
func (e *wireError) Unwrap() error              { return e.err }
func (e *wireError) HTTPStatus() int            { return e.http }
func (e *wireError) GRPCStatus() *status.Status { return e.grpc }
