package bulkhead_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/paved-go/paved/bulkhead"
)

// The constants name the algorithms they choose (internal/limit's Kinds,
// converted by value).
func TestAlgorithmNames(t *testing.T) {
	assert.Equal(t, "gradient2", bulkhead.Gradient2.String())
	assert.Equal(t, "vegas", bulkhead.Vegas.String())
	assert.Equal(t, "aimd", bulkhead.AIMD.String())
	assert.Equal(t, "Algorithm(9)", bulkhead.Algorithm(9).String())
}
