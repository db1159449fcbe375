package loopbacktest_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	testpb "google.golang.org/grpc/interop/grpc_testing"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/hedge"
	"github.com/paved-go/paved/internal/testserver"
	"github.com/paved-go/paved/retry"
	"github.com/paved-go/paved/timeout"
)

// TestGRPCHungAttempt: a first attempt that hangs is cut by an attempt
// timeout inside retry, or overtaken by a hedge, and the call gets the second
// attempt's reply; the hung call is let go on the server.
func TestGRPCHungAttempt(t *testing.T) {
	tests := []struct {
		name string
		ms   []paved.Middleware
	}{
		{"attempt timeout inside retry", []paved.Middleware{
			retry.MustNew(retry.WithBackoff(fastBackoff[0], fastBackoff[1])), timeout.MustNew(100 * time.Millisecond)}},
		{"hedge", []paved.Middleware{hedge.MustNew(hedge.WithDelay(10 * time.Millisecond))}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := testserver.NewGRPC(t, testserver.WithScript(testserver.Hang()))
			client := grpcClient(t, g, paved.New("hung", tt.ms...))
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			resp, err := client.UnaryCall(ctx, &testpb.SimpleRequest{ResponseSize: 1024})
			require.NoError(t, err)
			assert.Len(t, resp.GetPayload().GetBody(), 1024)
			assert.Equal(t, 2, g.Calls())
			require.NoError(t, g.WaitIdle(waitCtx(t)), "the hung call was canceled")
		})
	}
}
