package policy_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-go/paved/clock"
	"github.com/paved-go/paved/policy"
	"github.com/paved-go/paved/telemetry"
	"github.com/paved-go/paved/telemetry/telemetrytest"
)

type reload struct {
	cfg *policy.Config
	err error
}

// watching opens path on a fake clock, starts Watch, and returns what each
// reload attempt reports.
func watching(t *testing.T, path string, opts ...policy.Option) (*policy.Set, *clock.Fake, <-chan reload) {
	t.Helper()
	fake := clock.NewFake(time.Unix(1_700_000_000, 0))
	reloads := make(chan reload, 16)
	opts = append(opts, policy.WithClock(fake), policy.WithPollInterval(time.Second),
		policy.WithReloadFunc(func(cfg *policy.Config, err error) { reloads <- reload{cfg, err} }))
	s, err := policy.Open(path, opts...)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- s.Watch(ctx, "") }()
	t.Cleanup(func() {
		cancel()
		assert.ErrorIs(t, <-done, context.Canceled)
	})
	fake.BlockUntil(1) // Watch read the file and waits for its timer
	return s, fake, reloads
}

func write(t *testing.T, path, content string) {
	t.Helper()
	tmp := path + ".tmp"
	require.NoError(t, os.WriteFile(tmp, []byte(content), 0o600))
	require.NoError(t, os.Rename(tmp, path)) // as editors and ConfigMaps do
}

// tick advances the fake clock one poll interval and waits for Watch to
// wait again.
func tick(fake *clock.Fake) {
	fake.Advance(time.Second)
	fake.BlockUntil(1)
}

func TestWatchFollowsTheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "paved.yaml")
	write(t, path, "dependencies: {payments: {retry: {max_attempts: 2}}}\n")
	log, tel := telemetrytest.New()
	s, fake, reloads := watching(t, path, policy.WithTelemetry(tel))
	assert.Equal(t, 2, s.Config().Dependencies["payments"].Retry.MaxAttempts)

	tick(fake)
	select {
	case r := <-reloads:
		t.Fatalf("an unchanged file was reloaded: %+v", r)
	default:
	}

	write(t, path, "dependencies: {payments: {retry: {max_attempts: 4}}}\n")
	tick(fake)
	r := <-reloads
	require.NoError(t, r.err)
	assert.Equal(t, 4, r.cfg.Dependencies["payments"].Retry.MaxAttempts)
	assert.Same(t, r.cfg, s.Config())
	assert.Equal(t, 1, log.Count(telemetry.EventConfigReloaded))

	// A bad file: rejected, reported once, the old configuration stays.
	write(t, path, "dependencies: {payments: {retry: {max_attempts: 0}}}\n")
	tick(fake)
	r = <-reloads
	require.Error(t, r.err)
	assert.Equal(t, path+": invalid paved policy configuration:\n  line 1: dependencies.payments.retry.max_attempts: must be 1..10, got 0", r.err.Error())
	assert.Equal(t, 4, s.Config().Dependencies["payments"].Retry.MaxAttempts)
	tick(fake)
	assert.Empty(t, reloads, "the same bad file is not reported again")
	assert.Equal(t, 1, log.Count(telemetry.EventConfigRejected))

	// The file gone for a while (a ConfigMap swap): the old one stays.
	require.NoError(t, os.Remove(path))
	tick(fake)
	r = <-reloads
	assert.ErrorIs(t, r.err, os.ErrNotExist)
	tick(fake)
	assert.Empty(t, reloads)

	write(t, path, "dependencies: {payments: {retry: {max_attempts: 3}}}\n")
	tick(fake)
	r = <-reloads
	require.NoError(t, r.err)
	assert.Equal(t, 3, s.Config().Dependencies["payments"].Retry.MaxAttempts)
}

func TestWatchPutsTheFileInForce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "paved.yaml")
	write(t, path, "dependencies: {payments: {retry: {max_attempts: 5}}}\n")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	s := policy.New(nil, policy.WithReloadFunc(func(*policy.Config, error) { cancel() }))
	assert.ErrorIs(t, s.Watch(ctx, path), context.Canceled)
	assert.Equal(t, 5, s.Config().Dependencies["payments"].Retry.MaxAttempts, "put in force on Watch's first read")
	assert.EqualError(t, policy.New(nil).Watch(ctx, ""), "policy: Watch needs a path: the Set was not opened from a file")
}

func TestFromEnv(t *testing.T) {
	t.Setenv(policy.EnvConfig, "")
	s, err := policy.FromEnv()
	require.NoError(t, err)
	assert.Equal(t, policy.BuiltinDefaults(), s.Config().Defaults)

	path := filepath.Join(t.TempDir(), "paved.yaml")
	write(t, path, "defaults: {retry: {max_attempts: 4}}\n")
	t.Setenv(policy.EnvConfig, path)
	s, err = policy.FromEnv()
	require.NoError(t, err)
	assert.Equal(t, 4, s.Config().Defaults.Retry.MaxAttempts)

	write(t, path, "defaults: {retry: {max_attempts: 40}}\n")
	_, err = policy.FromEnv()
	assert.EqualError(t, err, path+": invalid paved policy configuration:\n  line 1: defaults.retry.max_attempts: must be 1..10, got 40")

	t.Setenv(policy.EnvConfig, filepath.Join(t.TempDir(), "missing.yaml"))
	_, err = policy.FromEnv()
	assert.ErrorIs(t, err, os.ErrNotExist)
}

func TestLoad(t *testing.T) {
	path := filepath.Join(t.TempDir(), "paved.yaml")
	write(t, path, designExample)
	cfg, err := policy.Load(path)
	require.NoError(t, err)
	assert.Equal(t, 2, cfg.Dependencies["payments"].Retry.MaxAttempts)
	_, err = policy.Load(path + ".missing")
	assert.ErrorIs(t, err, os.ErrNotExist)
}
