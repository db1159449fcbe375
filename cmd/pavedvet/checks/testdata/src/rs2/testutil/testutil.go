// Package testutil is test support by its name: not checked.
package testutil

import (
	"net/http"
	"time"
)

func WaitReady(u string) {
	for {
		if resp, err := http.Get(u); err == nil {
			resp.Body.Close()
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}
