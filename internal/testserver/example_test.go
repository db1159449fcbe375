package testserver_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"google.golang.org/grpc/codes"
	testpb "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/status"

	"github.com/paved-go/paved/internal/testserver"
)

// A retry test scripts two overloaded replies, then success, and asserts on
// what the server saw.
func ExampleNewHTTP() {
	t := &testing.T{} // in a real test, the test's own t
	s := testserver.NewHTTP(t, testserver.WithScript(
		testserver.Status(503).WithHeader("Retry-After", "1"),
		testserver.Status(503),
	))
	defer s.Close() // a real test's t.Cleanup does this
	for range 3 {
		resp, err := s.Client().Get(s.URL())
		if err != nil {
			panic(err)
		}
		resp.Body.Close()
		fmt.Println(resp.StatusCode)
	}
	fmt.Println(s.Count(http.MethodGet), "requests on", s.Connections(), "connection")
	// Output:
	// 503
	// 503
	// 200
	// 3 requests on 1 connection
}

func ExampleNewGRPC() {
	t := &testing.T{} // in a real test, the test's own t
	g := testserver.NewGRPC(t, testserver.WithScript(
		testserver.Code(codes.Unavailable).WithTrailer("grpc-retry-pushback-ms", "100"),
	))
	defer g.Close()
	cc := g.Dial(t)
	defer cc.Close() // a real test's t.Cleanup does this
	client := testpb.NewTestServiceClient(cc)
	for range 2 {
		_, err := client.EmptyCall(context.Background(), &testpb.Empty{})
		fmt.Println(status.Code(err))
	}
	// Output:
	// Unavailable
	// OK
}
