package stores

import "github.com/redis/go-redis/v9"

// SetClientHooks calls opened and closed with every fleet client opened and
// closed, until the test ends.
func SetClientHooks(cleanup func(func()), opened, closed func(*redis.Client)) {
	hooks.opened, hooks.closed = opened, closed
	cleanup(func() { hooks.opened, hooks.closed = nil, nil })
}
