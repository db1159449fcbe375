package loadshed_test

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"github.com/paved-go/paved/loadshed"
)

// The constants name the algorithms they choose (internal/limit's Kinds,
// converted by value).
func TestAlgorithmNames(t *testing.T) {
	assert.Equal(t, "gradient2", loadshed.Gradient2.String())
	assert.Equal(t, "vegas", loadshed.Vegas.String())
	assert.Equal(t, "aimd", loadshed.AIMD.String())
	assert.Equal(t, "Algorithm(9)", loadshed.Algorithm(9).String())
}
