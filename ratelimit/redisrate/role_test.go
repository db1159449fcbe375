package redisrate_test

import (
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/ratelimit/redisrate"
	"github.com/paved-go/paved/timeout"
)

// The fleet-wide limit is a per-key rate limit to paved.Check: inside a load
// shedder it is reported, as ratelimit.Keyed is.
func TestRole(t *testing.T) {
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"}) // never dialed
	defer c.Close()
	l := redisrate.MustNew(c, 10, 10)
	defer l.Close()
	assert.Equal(t, paved.RoleKeyedRateLimit, l.Role())
	require.NoError(t, paved.Check(timeout.MustNew(1e9), l))
}
