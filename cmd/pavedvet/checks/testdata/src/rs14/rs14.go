package rs14

import (
	"context"
	"io"
	"net/http"
	"time"
)

var client = &http.Client{Timeout: time.Second}

func leaks(ctx context.Context, u string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", u, nil)
	if err != nil {
		return 0, err
	}
	resp, err := client.Do(req) // want `RS-14: response body must be closed`
	if err != nil {
		return 0, err
	}
	return resp.StatusCode, nil
}

func closes(ctx context.Context, u string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", u, nil)
	if err != nil {
		return 0, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, err = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, err
}

func handedOver(ctx context.Context, req *http.Request) *http.Response {
	resp, _ := client.Do(req) //pavedvet:ignore RS-14 the caller closes it: this returns the response
	return resp
}
