package redisbreaker_test

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/paved-go/paved/internal/redistest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// The real Redis servers these tests use (see package redistest).
var (
	newClient  = redistest.NewClient  // the shared Redis, or skip
	newCluster = redistest.NewCluster // a one-node Redis Cluster of the test's own
	hungServer = redistest.HungServer // accepts connections, never answers
	redisAddr  = redistest.Addr
	prefix     = redistest.Prefix // a key prefix of the test's own
)
