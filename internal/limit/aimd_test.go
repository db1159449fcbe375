package limit_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-go/paved/internal/limit"
)

func TestAIMDTrajectory(t *testing.T) {
	a, err := limit.NewAIMD(limit.DefaultAIMD)
	require.NoError(t, err)
	steps := []struct {
		name  string
		limit float64
		s     limit.Sample
		want  float64
	}{
		{"half in flight: +1", 20, limit.Sample{RTT: ms, Inflight: 10}, 21},
		{"app-limited: hold", 21, limit.Sample{RTT: ms, Inflight: 10}, 21},
		{"drop: *0.9, floored", 21, limit.Sample{RTT: ms, Inflight: 21, Dropped: true}, 18},
		{"RTT over 5s is a drop", 18, limit.Sample{RTT: 5*time.Second + 1, Inflight: 1}, 16},
		{"RTT of 5s is not", 16, limit.Sample{RTT: 5 * time.Second, Inflight: 8}, 17},
		{"a drop takes at least 1 off", 5, limit.Sample{Dropped: true}, 4},
		{"never below 1", 1, limit.Sample{Dropped: true}, 1},
		{"a fractional limit is floored first", 20.7, limit.Sample{Inflight: 10}, 21},
	}
	for _, s := range steps {
		assert.Equal(t, s.want, a.Update(s.limit, s.s), s.name)
	}
	assert.Equal(t, "aimd", a.Name())
}

func TestAIMDValidate(t *testing.T) {
	for _, tt := range []struct {
		c    limit.AIMDConfig
		want string
	}{
		{limit.AIMDConfig{Backoff: 1, Timeout: time.Second}, "AIMD Backoff must be in [0.5, 1), got 1"},
		{limit.AIMDConfig{Backoff: 0.4, Timeout: time.Second}, "AIMD Backoff must be in [0.5, 1), got 0.4"},
		{limit.AIMDConfig{Backoff: 0.9}, "AIMD Timeout must be > 0, got 0s"},
	} {
		_, err := limit.NewAIMD(tt.c)
		require.Error(t, err)
		assert.Contains(t, err.Error(), tt.want)
	}
}
