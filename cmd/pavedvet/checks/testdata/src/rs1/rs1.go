package rs1

import (
	"net/http"
	"time"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/pavedhttp"
)

func defaults(u string) {
	_, _ = http.Get(u)                     // want `RS-1: http.Get uses http.DefaultClient, which has no timeout`
	_, _ = http.Head(u)                    // want `RS-1: http.Head uses`
	_, _ = http.Post(u, "text/plain", nil) // want `RS-1: http.Post uses`
	_, _ = http.PostForm(u, nil)           // want `RS-1: http.PostForm uses`
	_, _ = http.DefaultClient.Get(u)       // want `RS-1: http.DefaultClient has no timeout`
	c := http.DefaultClient                // want `RS-1: http.DefaultClient has no timeout`
	_ = c
}

func configuring() {
	http.DefaultClient = &http.Client{Transport: pavedhttp.NewTransport(nil, nil)} // assigning it is not calling through it
}

func literals(p *paved.Pipeline, rt http.RoundTripper) []*http.Client {
	t := &http.Transport{}
	base := pavedhttp.NewTransport(p, nil)
	return []*http.Client{
		&http.Client{},                                  // want `RS-1: http.Client without a Timeout and without a transport`
		{Transport: t},                                  // want `RS-1: http.Client without a Timeout and its transport is not paved's`
		{Transport: http.DefaultTransport},              // want `its transport is not paved's`
		{Transport: &http.Transport{}, Timeout: 0},      // want `RS-1: http.Client with Timeout 0 \(no timeout\)`
		{Timeout: 5 * time.Second},                      // a timeout
		{Transport: pavedhttp.NewTransport(p, nil)},     // a paved transport
		{Transport: base},                               // a paved transport, through a variable
		{Transport: wrap(pavedhttp.NewTransport(p, t))}, // built from a paved call
		{Transport: rt},                                 // a parameter: origin unknown, no finding
		{Transport: local()},                            // this package's helper: unknown
	}
}

func wrap(rt http.RoundTripper) http.RoundTripper { return rt }

func local() http.RoundTripper { return nil }

func setLater() *http.Client {
	c := &http.Client{}
	c.Timeout = 3e9
	return c
}

var pkgClient = http.Client{} // want `RS-1: http.Client without a Timeout`
