package policy_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/breaker"
	"github.com/paved-go/paved/policy"
	"github.com/paved-go/paved/ratelimit"
	"github.com/paved-go/paved/telemetry"
	"github.com/paved-go/paved/telemetry/telemetrytest"
)

// fakeFleet is a fleet-wide policy that counts its closes.
type fakeFleet struct{ closed *atomic.Int32 }

func (fakeFleet) Wrap(next paved.Op) paved.Op { return next }
func (f fakeFleet) Close() error              { f.closed.Add(1); return nil }

var errRefused = errors.New("the opener refused the URL")

// refusingLimits makes redis:// rate limits fail to open (what Parse's
// check let through) while breakers open; it returns the breakers' close
// count.
func refusingLimits(t *testing.T) *atomic.Int32 {
	var closed atomic.Int32
	restore := policy.SwapFleetOpener("redis", policy.FleetOpener{
		RateLimit: func(string, policy.FleetRateLimit) (policy.FleetPolicy, error) { return nil, errRefused },
		Breaker: func(string, policy.FleetBreaker) (policy.FleetPolicy, error) {
			return fakeFleet{&closed}, nil
		},
	})
	t.Cleanup(restore)
	return &closed
}

// A validated section that does not build never panics the service: it
// runs with its stores local and says so; the breaker the failed build had
// opened is closed.
func TestBuildFailureDegrades(t *testing.T) {
	closed := refusingLimits(t)
	cfg := mustParse(t, `
dependencies:
  d:
    breaker: {store: 'redis://127.0.0.1:6379/0'}
    rate_limit: {store: 'redis://127.0.0.1:6379/0', rate: 10, burst: 1, replicas: 2}
server:
  rate_limit: {store: 'redis://127.0.0.1:6379/0', rate: 10, burst: 1}
`)
	log, tel := telemetrytest.New()
	s := policy.New(cfg, policy.WithTelemetry(tel))
	defer func() { require.NoError(t, s.Close()) }()
	require.Equal(t, 1, log.Count(telemetry.EventConfigDegraded), "the server's limit")

	c := s.HTTPClient("d")
	require.NotNil(t, c)
	evs := log.Events(telemetry.EventConfigDegraded)
	require.Len(t, evs, 2)
	assert.Equal(t, "d", evs[1].Attrs[telemetry.AttrDependency])
	assert.NotEmpty(t, evs[1].Attrs[telemetry.AttrErrorType])
	assert.Equal(t, int32(1), closed.Load(), "the fleet breaker of the failed build is closed")

	var kinds []string
	for _, m := range policy.Middlewares(s, "d") {
		switch m.(type) {
		case *breaker.Breaker:
			kinds = append(kinds, "local breaker")
		case *ratelimit.Limiter:
			kinds = append(kinds, "local limit")
		}
	}
	assert.Equal(t, []string{"local breaker", "local limit"}, kinds)
	var deadline bool
	require.NoError(t, s.Pipeline("d").Run(context.Background(), func(ctx context.Context) error {
		_, deadline = ctx.Deadline()
		return nil
	}))
	assert.True(t, deadline, "still a client with a timeout")
}

// A name the file does not list, when the defaults do not build, still
// gets a protected client.
func TestUnknownNameWithDefaultsThatDoNotBuild(t *testing.T) {
	refusingLimits(t)
	log, tel := telemetrytest.New()
	s := policy.New(mustParse(t, `defaults: {rate_limit: {store: 'redis://127.0.0.1:6379/0'}}`), policy.WithTelemetry(tel))
	defer func() { require.NoError(t, s.Close()) }()
	var deadline bool
	require.NoError(t, s.Pipeline("anything").Run(context.Background(), func(ctx context.Context) error {
		_, deadline = ctx.Deadline()
		return nil
	}))
	assert.True(t, deadline)
	assert.Equal(t, 1, log.Count(telemetry.EventConfigDegraded))
	assert.Equal(t, 1, log.Count(telemetry.EventUnknownDependency))
}

// Open, which can, returns the error instead; so does a reload, which
// keeps the configuration in force.
func TestBuildFailureIsAnErrorForOpenAndReload(t *testing.T) {
	refusingLimits(t)
	bad := []byte("server: {rate_limit: {store: 'redis://127.0.0.1:6379/0'}}\n")
	path := filepath.Join(t.TempDir(), "paved.yaml")
	require.NoError(t, os.WriteFile(path, bad, 0o600))
	_, err := policy.Open(path)
	require.ErrorIs(t, err, errRefused)
	assert.Contains(t, err.Error(), path)

	s := policy.New(nil)
	defer func() { require.NoError(t, s.Close()) }()
	require.ErrorIs(t, s.Reload(bad), errRefused)
	assert.False(t, s.Config().Server.Limit.Enabled, "the old configuration stays")
}

// The last resort of a degraded build, the built-in defaults, builds.
func TestBuiltinDefaultsBuild(t *testing.T) {
	s := policy.New(nil)
	defer func() { require.NoError(t, s.Close()) }()
	require.NoError(t, s.Pipeline("x").Run(context.Background(), func(context.Context) error { return nil }))
}
