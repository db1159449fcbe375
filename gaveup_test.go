package paved_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-go/paved"
)

// gaveUp is an error that says its policy gave up, as retry's
// ExhaustedError does.
type gaveUp struct{ yes bool }

func (g gaveUp) Error() string { return "gave up" }
func (g gaveUp) GaveUp() bool  { return g.yes }

// A server call learns that a call it made downstream, through a pipeline
// with its context, gave up after retrying or was refused by our own
// policies: its adapter then tells its caller not to retry.
func TestDownstreamGaveUp(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"success", nil, false},
		{"a plain failure: not retried, the caller may", errors.New("503"), false},
		{"retries exhausted", gaveUp{true}, true},
		{"wrapped", errors.Join(errors.New("x"), gaveUp{true}), true},
		{"no retry was allowed", gaveUp{false}, false},
		{"refused by our own policy", paved.NewRejection(errors.New("breaker: open"), 0), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			server, client := paved.New("server"), paved.New("client")
			c, err := server.Execute(context.Background(), func(ctx context.Context) error {
				_ = client.Run(ctx, func(context.Context) error { return tt.err })
				return errors.New("the handler failed")
			})
			require.Error(t, err)
			assert.Equal(t, tt.want, c.DownstreamGaveUp())
		})
	}

	// A call made without the server's context is no downstream call of it.
	server, client := paved.New("server"), paved.New("client")
	c, _ := server.Execute(context.Background(), func(context.Context) error {
		return client.Run(context.Background(), func(context.Context) error { return gaveUp{true} })
	})
	assert.False(t, c.DownstreamGaveUp())
}

// CallerAttempt is the call's own: nested calls do not inherit it.
func TestCallerAttemptNotInherited(t *testing.T) {
	server, client := paved.New("server"), paved.New("client")
	ctx := paved.WithCallInfo(context.Background(), paved.CallInfo{CallerAttempt: 2})
	require.NoError(t, server.Run(ctx, func(ctx context.Context) error {
		assert.Equal(t, 2, paved.CallFrom(ctx).CallerAttempt())
		return client.Run(ctx, func(ctx context.Context) error {
			assert.Zero(t, paved.CallFrom(ctx).CallerAttempt())
			return nil
		})
	}))
}
