package limit_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-go/paved/internal/limit"
)

// Each Kind builds the algorithm it names.
func TestKinds(t *testing.T) {
	for _, k := range []limit.Kind{limit.KindGradient2, limit.KindVegas, limit.KindAIMD} {
		alg, err := limit.NewAlgorithm(k, limit.DefaultGradient2)
		require.NoError(t, err)
		assert.Equal(t, k.String(), alg.Name())
	}
	_, err := limit.NewAlgorithm(9, limit.DefaultGradient2)
	assert.EqualError(t, err, "limit: unknown algorithm Algorithm(9)")
}
