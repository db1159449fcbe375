package policy_test

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
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

func (*fakeFleet) Wrap(next paved.Op) paved.Op { return next }
func (f *fakeFleet) Close() error              { f.closed.Add(1); return nil }

// fakeClient is a fleet client that counts its closes.
type fakeClient struct{ closed *atomic.Int32 }

func (c *fakeClient) Close() error { c.closed.Add(1); return nil }

var errRefused = errors.New("the opener refused the URL")

// closes counts what a refusingLimits opener closed.
type closes struct{ breakers, clients atomic.Int32 }

// refusingLimits makes redis:// rate limits fail to open (what Parse's
// check let through) while clients and breakers open.
func refusingLimits(t *testing.T) *closes {
	var n closes
	restore := policy.SwapFleetOpener("redis", policy.FleetOpener{
		Client: func(string) (policy.FleetClient, error) { return &fakeClient{&n.clients}, nil },
		RateLimit: func(policy.FleetClient, policy.FleetRateLimit) (policy.FleetPolicy, error) {
			return nil, errRefused
		},
		Breaker: func(policy.FleetClient, policy.FleetBreaker) (policy.FleetPolicy, error) {
			return &fakeFleet{&n.breakers}, nil
		},
	})
	t.Cleanup(restore)
	return &n
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
	assert.Equal(t, int32(1), closed.breakers.Load(), "the fleet breaker of the failed build is closed")
	assert.Equal(t, int32(2), closed.clients.Load(), "and its client, as was the server's")

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

// levels is a slog handler that keeps the level of each record by message.
type levels struct {
	mu sync.Mutex
	m  map[string]slog.Level
}

func (l *levels) Enabled(context.Context, slog.Level) bool { return true }
func (l *levels) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l *levels) WithGroup(string) slog.Handler            { return l }
func (l *levels) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.m[r.Message] = r.Level
	return nil
}

// A degraded build is a warning in the log, as an unknown name is.
func TestConfigDegradedIsAWarning(t *testing.T) {
	refusingLimits(t)
	h := &levels{m: map[string]slog.Level{}}
	s := policy.New(mustParse(t, "server: {rate_limit: {store: 'redis://127.0.0.1:6379/0'}}"),
		policy.WithTelemetry(telemetry.New(telemetry.WithLogger(slog.New(h)))))
	defer func() { require.NoError(t, s.Close()) }()
	h.mu.Lock()
	defer h.mu.Unlock()
	lvl, ok := h.m["resilience "+telemetry.EventConfigDegraded]
	require.True(t, ok, "logged: %v", h.m)
	assert.Equal(t, slog.LevelWarn, lvl)
}
