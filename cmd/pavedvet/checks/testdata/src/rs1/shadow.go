package rs1

import "net/http"

// A local named time hides the package: the fix would not compile, so the
// finding comes without one.
func shadowedTime() *http.Client {
	time := "shadow"
	_ = time
	return &http.Client{} // want `RS-1: http.Client without a Timeout`
}
