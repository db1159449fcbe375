package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		// The loopback servers' and clients' idle keep-alive goroutines end
		// a moment after Shutdown and CloseIdleConnections return.
		goleak.IgnoreTopFunction("net/http.(*persistConn).writeLoop"),
		goleak.IgnoreTopFunction("net/http.(*persistConn).readLoop"),
		goleak.IgnoreTopFunction("internal/poll.runtime_pollWait"),
	)
}

// The demo as CI runs it: -quick, every scenario, the table printed and a
// chart written for each; and the claims README makes of it hold, with
// margins for a loaded machine.
func TestQuickRun(t *testing.T) {
	dir := t.TempDir()
	var out bytes.Buffer
	start := time.Now()
	results, err := runAll(config{quick: true, rate: 200, seed: 1}, "", dir, &out)
	require.NoError(t, err)
	t.Log("\n" + out.String())
	assert.Less(t, time.Since(start), 30*time.Second, "-quick is meant to take under 15 s (30 s allowed under load)")

	byName := map[string]map[string]result{}
	for _, r := range results {
		if byName[r.scenario] == nil {
			byName[r.scenario] = map[string]result{}
		}
		byName[r.scenario][r.client] = r
	}
	for _, sc := range scenarios(config{quick: true}) {
		require.Contains(t, byName, sc.name)
		b, err := os.ReadFile(filepath.Join(dir, sc.name+".svg"))
		require.NoError(t, err)
		assert.True(t, bytes.Contains(b, []byte("<svg")), "%s.svg is an SVG", sc.name)
		assert.Contains(t, out.String(), "| "+sc.name+" | naive |")
		assert.Contains(t, out.String(), "| "+sc.name+" | paved |")
	}

	flaky := byName["flaky"]
	assert.InDelta(t, flaky["naive"].success, flaky["paved"].success, 0.04, "flaky: paved matches the naive loop's success rate")
	assert.Greater(t, flaky["paved"].success, 0.9)
	assert.LessOrEqual(t, flaky["paved"].attemptsPerCall, flaky["naive"].attemptsPerCall*1.1, "flaky: no more attempts than the loop")

	outage := byName["outage"]
	assert.Less(t, outage["paved"].attemptsPerCall, outage["naive"].attemptsPerCall, "outage: paved sends fewer requests to a dead dependency")
	assert.GreaterOrEqual(t, outage["paved"].recover, time.Duration(0), "outage: time to recover is measured")
	assert.GreaterOrEqual(t, outage["paved"].stopped, time.Duration(0), "outage: paved's breaker stops the requests")
	assert.Less(t, outage["naive"].stopped, time.Duration(0), "outage: the loop never stops")

	tail := byName["slowtail"]
	assert.Less(t, tail["paved"].p99, tail["naive"].p99, "slow tail: hedging cuts the p99")

	tiers := byName["tiers"]
	assert.InDelta(t, 27, tiers["naive"].attemptsPerCall, 2, "three naive tiers multiply a call 27 times")
	assert.Less(t, tiers["paved"].attemptsPerCall, 3.5, "paved retries at one layer")
	assert.True(t, strings.Contains(out.String(), "requests at dependency per call"))
}

func TestFlags(t *testing.T) {
	var out bytes.Buffer
	require.EqualError(t, realMain([]string{"-rate", "0"}, &out), "-rate must be in (0, 2000], got 0")
	require.EqualError(t, realMain([]string{"-quick", "-only", "nope", "-out", t.TempDir()}, &out), `-only "nope" names no scenario`)
}
