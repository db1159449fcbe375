// Package rs2support imports testing: test support, not checked.
package rs2support

import (
	"net/http"
	"testing"
	"time"
)

func WaitReady(t *testing.T, u string) {
	for {
		if resp, err := http.Get(u); err == nil {
			resp.Body.Close()
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}
