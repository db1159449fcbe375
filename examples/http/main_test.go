package main

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestQuick runs the example as CI does (-quick): every call succeeds
// though a fifth of the requests fail and a seventh hang.
func TestQuick(t *testing.T) {
	var out bytes.Buffer
	require.NoError(t, run(&out, 40), out.String())
	assert.Contains(t, out.String(), "40 of 40 calls succeeded")
	assert.Contains(t, out.String(), "its handler ran 40 times for 40 orders, tenants map[acme:")
	t.Log(out.String())
}
