package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"time"
)

// startFlakyInventory serves a stand-in for the inventory dependency on a
// loopback port: it answers 503 for the first outage of every cycle and 200
// otherwise. It returns a func that stops it and its base URL.
func startFlakyInventory(outage, cycle time.Duration) (stop func(), url string, err error) {
	if cycle <= 0 {
		cycle = 2 * time.Minute
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", err
	}
	start := time.Now()
	srv := &http.Server{ReadHeaderTimeout: 5 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if time.Since(start)%cycle < outage {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		_, _ = io.WriteString(w, `{"id":42,"in_stock":3}`)
	})}
	go func() { _ = srv.Serve(ln) }()
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}, "http://" + ln.Addr().String(), nil
}
