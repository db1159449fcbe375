package pavedgrpc

import (
	"testing"

	testgrpc "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/protobuf/proto"
)

func sampleResponse() *testgrpc.SimpleResponse {
	return &testgrpc.SimpleResponse{
		Payload:    &testgrpc.Payload{Body: make([]byte, 1024)},
		Username:   "user",
		OauthScope: "scope",
		ServerId:   "server",
		Hostname:   "host",
	}
}

func TestMoveReply(t *testing.T) {
	src := sampleResponse()
	src.ProtoReflect().SetUnknown([]byte{0x98, 0x06, 0x01}) // field 99, varint 1
	want := proto.Clone(src)
	dst := &testgrpc.SimpleResponse{GrpclbRouteType: testgrpc.GrpclbRouteType_GRPCLB_ROUTE_TYPE_BACKEND}
	moveReply(dst, src)
	if !proto.Equal(dst, want) {
		t.Fatalf("moveReply: got %v, want %v", dst, want)
	}
}

// BenchmarkMoveReply is what the interceptor does with the final reply.
func BenchmarkMoveReply(b *testing.B) {
	src, dst := sampleResponse(), &testgrpc.SimpleResponse{}
	b.ReportAllocs()
	for b.Loop() {
		moveReply(dst, src)
	}
}

// BenchmarkMergeReply is the deep copy moveReply avoids.
func BenchmarkMergeReply(b *testing.B) {
	src, dst := sampleResponse(), &testgrpc.SimpleResponse{}
	b.ReportAllocs()
	for b.Loop() {
		proto.Reset(dst)
		proto.Merge(dst, src)
	}
}
