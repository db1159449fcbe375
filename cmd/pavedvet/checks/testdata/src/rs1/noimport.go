package rs1

import "net/http"

func noTimeImport() *http.Client {
	return &http.Client{Transport: &http.Transport{}} // want `RS-1: http.Client without a Timeout`
}
