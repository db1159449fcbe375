package testserver

import (
	"context"
	"errors"
	"io"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/status"
)

// Bounds on what a client may ask the interop service for, so that every
// loop in it ends.
const (
	maxPayload   = 1 << 20
	maxResponses = 1000 // per request's ResponseParameters
	maxMessages  = 10000
)

// testService implements the interop TestService. Scripted behaviours are
// applied by the interceptors before it runs; it then does what the interop
// spec says: payloads of the asked-for sizes, and the status asked for in
// ResponseStatus.
type testService struct {
	testpb.UnimplementedTestServiceServer
}

func (testService) EmptyCall(context.Context, *testpb.Empty) (*testpb.Empty, error) {
	return &testpb.Empty{}, nil
}

func (testService) UnaryCall(_ context.Context, req *testpb.SimpleRequest) (*testpb.SimpleResponse, error) {
	if err := echoStatus(req.GetResponseStatus()); err != nil {
		return nil, err
	}
	p, err := payload(req.GetResponseSize())
	if err != nil {
		return nil, err
	}
	return &testpb.SimpleResponse{Payload: p}, nil
}

func (testService) StreamingOutputCall(req *testpb.StreamingOutputCallRequest, stream grpc.ServerStreamingServer[testpb.StreamingOutputCallResponse]) error {
	if err := respond(req.GetResponseParameters(), stream.Send); err != nil {
		return err
	}
	return echoStatus(req.GetResponseStatus())
}

func (testService) FullDuplexCall(stream grpc.BidiStreamingServer[testpb.StreamingOutputCallRequest, testpb.StreamingOutputCallResponse]) error {
	for range maxMessages {
		req, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if err := echoStatus(req.GetResponseStatus()); err != nil {
			return err
		}
		if err := respond(req.GetResponseParameters(), stream.Send); err != nil {
			return err
		}
	}
	return status.Errorf(codes.ResourceExhausted, "testserver: more than %d messages on one stream", maxMessages)
}

func respond(params []*testpb.ResponseParameters, send func(*testpb.StreamingOutputCallResponse) error) error {
	if len(params) > maxResponses {
		return status.Errorf(codes.InvalidArgument, "testserver: at most %d responses per request", maxResponses)
	}
	for _, p := range params {
		body, err := payload(p.GetSize())
		if err != nil {
			return err
		}
		if err := send(&testpb.StreamingOutputCallResponse{Payload: body}); err != nil {
			return err
		}
	}
	return nil
}

func payload(size int32) (*testpb.Payload, error) {
	if size < 0 || size > maxPayload {
		return nil, status.Errorf(codes.InvalidArgument, "testserver: payload size %d not in 0..%d", size, maxPayload)
	}
	return &testpb.Payload{Type: testpb.PayloadType_COMPRESSABLE, Body: make([]byte, size)}, nil
}

func echoStatus(s *testpb.EchoStatus) error {
	if s.GetCode() == 0 {
		return nil
	}
	return status.Error(codes.Code(s.GetCode()), s.GetMessage())
}
