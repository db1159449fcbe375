package pavedgrpc_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	testgrpc "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/loadshed"
	"github.com/paved-go/paved/pavedgrpc"
)

// holdService blocks UnaryCall until release is closed when the request's
// payload type says so.
type holdService struct {
	testgrpc.UnimplementedTestServiceServer
	running, release chan struct{}
}

func (s *holdService) UnaryCall(_ context.Context, req *testgrpc.SimpleRequest) (*testgrpc.SimpleResponse, error) {
	if req.GetResponseSize() == 1 {
		close(s.running)
		<-s.release
	}
	return &testgrpc.SimpleResponse{}, nil
}

// A call the Shedder refuses is answered UNAVAILABLE with the Shedder's
// Retry-After as grpc-retry-pushback-ms, which a paved client reads as
// Overload.
func TestShedCallIsUnavailableWithPushback(t *testing.T) {
	shed := loadshed.MustNew(loadshed.WithLimits(1, 1), loadshed.WithInitialLimit(1), loadshed.WithMaxQueue(0))
	svc := &holdService{running: make(chan struct{}), release: make(chan struct{})}
	addr := startServer(t, svc, pavedgrpc.ServerOptions(paved.New("server", shed))...)
	raw := dial(t, addr)
	held := make(chan error, 1)
	go func() {
		_, err := raw.UnaryCall(context.Background(), &testgrpc.SimpleRequest{ResponseSize: 1})
		held <- err
	}()
	<-svc.running

	var trailer metadata.MD
	_, err := raw.UnaryCall(context.Background(), &testgrpc.SimpleRequest{}, grpc.Trailer(&trailer))
	assert.Equal(t, codes.Unavailable, status.Code(err))
	assert.Equal(t, "loadshed: shed", status.Convert(err).Message())
	assert.Equal(t, []string{"1000"}, trailer.Get(pavedgrpc.PushbackKey))

	th := loadshed.MustNewThrottle()
	client := dial(t, addr, pavedgrpc.DialOptions(paved.New("client", th))...)
	_, err = client.UnaryCall(context.Background(), &testgrpc.SimpleRequest{})
	var se *pavedgrpc.StatusError
	require.True(t, errors.As(err, &se))
	assert.Equal(t, paved.OutcomeOverload, se.Outcome())
	req, acc := th.Counts()
	assert.Equal(t, [2]int64{1, 0}, [2]int64{req, acc})

	close(svc.release)
	require.NoError(t, <-held)
	_, err = client.UnaryCall(context.Background(), &testgrpc.SimpleRequest{})
	require.NoError(t, err)
}
