package pavedhttp

import (
	"net/url"
	"testing"

	"github.com/stretchr/testify/assert"
)

// An attempt whose query has nothing to redact costs no allocation: the
// check runs on every attempt of every traced request.
func TestRedactedURLNothingToRedactAllocatesNothing(t *testing.T) {
	u, err := url.Parse("https://example.com/search?q=shoes&page=2&sort=price&flag")
	assert.NoError(t, err)
	allocs := testing.AllocsPerRun(100, func() {
		if _, ok := redactedURL(u, false); ok {
			t.Fatal("nothing to redact")
		}
	})
	assert.Zero(t, allocs)
}
