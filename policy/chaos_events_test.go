package policy_test

import (
	"bytes"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-go/paved/policy"
	"github.com/paved-go/paved/telemetry"
	"github.com/paved-go/paved/telemetry/telemetrytest"
)

// chaosEvents lists the chaos_enabled and chaos_disabled events since the
// last call, as "event section pipeline".
func chaosEvents(log *telemetrytest.Log, seen *int) []string {
	var out []string
	all := log.Events("")
	for _, e := range all[*seen:] {
		if e.Name == telemetry.EventChaosEnabled || e.Name == telemetry.EventChaosDisabled {
			out = append(out, e.Name+" "+e.Attrs[telemetry.AttrConfigSection]+" "+e.Attrs[telemetry.AttrPipeline])
		}
	}
	*seen = len(all)
	return out
}

// A configuration that turns a section's chaos on or off says so, section
// by section: at start, at a reload, never for a rejected file or one that
// leaves chaos as it was.
func TestChaosEnabledEvents(t *testing.T) {
	log, tel := telemetrytest.New()
	var seen int
	const fault = "faults: [{error: fault}]"
	set := policy.New(mustParse(t, `
dependencies:
  a: {chaos: {enabled: true, `+fault+`}}
  b: {}
server: {name: api, chaos: {enabled: true, `+fault+`}}
`), policy.WithTelemetry(tel))
	assert.Equal(t, []string{"chaos_enabled dependencies.a a", "chaos_enabled server api"}, chaosEvents(log, &seen))

	require.NoError(t, set.Reload([]byte(`
defaults: {chaos: {enabled: true, `+fault+`}}
dependencies:
  a: {chaos: {enabled: false}}
  b: {}
server: {name: api}
`)))
	assert.Equal(t, []string{
		"chaos_enabled defaults policy", "chaos_disabled dependencies.a a", "chaos_enabled dependencies.b b", "chaos_disabled server api",
	}, chaosEvents(log, &seen), "b inherits chaos from defaults")

	require.Error(t, set.Reload([]byte("dependencies: {a: {chaos: {rate: 2}}}")))
	assert.Empty(t, chaosEvents(log, &seen), "a rejected file changes nothing")

	require.NoError(t, set.Reload([]byte(`
defaults: {chaos: {enabled: true, rate: 0.5, `+fault+`}}
dependencies: {a: {chaos: {enabled: false}}}
server: {name: api}
`)))
	assert.Empty(t, chaosEvents(log, &seen), "chaos still on where it was (b, gone from the file, still gets the defaults)")
	assert.Equal(t, 4, log.Count(telemetry.EventChaosEnabled), "a, server, defaults, b")

	require.NoError(t, set.Reload(nil))
	assert.Equal(t, []string{"chaos_disabled defaults policy"}, chaosEvents(log, &seen))
}

// Chaos turned on is a warning in the log; turned off, information.
func TestChaosEnabledIsAWarning(t *testing.T) {
	var buf bytes.Buffer
	tel := telemetry.New(telemetry.WithLogger(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelWarn}))))
	set := policy.New(mustParse(t, "dependencies: {a: {chaos: {enabled: true, faults: [{hang: true}]}}}"), policy.WithTelemetry(tel))
	assert.Contains(t, buf.String(), "level=WARN msg=\"resilience chaos_enabled\"")
	require.NoError(t, set.Reload(nil))
	assert.NotContains(t, buf.String(), "chaos_disabled", "information, below the logger's level")
}
