package stores_test

import (
	"testing"

	"go.uber.org/goleak"
)

// Every store and fleet-wide policy a Set opened is closed by the tests'
// Set.Close or by a reload: a pgxpool's health checker or a redisbreaker's
// sync loop left behind fails here.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
