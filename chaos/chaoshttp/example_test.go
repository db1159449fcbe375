package chaoshttp_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"

	"github.com/paved-go/paved/chaos"
	"github.com/paved-go/paved/chaos/chaoshttp"
)

// A server that answers one request in three with 503, reproducibly.
func Example() {
	flaky := chaos.MustNew(chaoshttp.Status(http.StatusServiceUnavailable), chaos.WithRate(1.0/3), chaos.WithSeed(3))
	srv := httptest.NewServer(chaoshttp.NewHandler(flaky, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "ok")
	})))
	defer srv.Close()
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	for range 6 {
		resp, err := client.Get(srv.URL)
		if err != nil {
			fmt.Println(err)
			continue
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		fmt.Print(resp.StatusCode, " ")
	}
	fmt.Println()
	// Output:
	// 503 200 200 503 503 200
}
