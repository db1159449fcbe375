package pavedhttp_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/clock"
	"github.com/paved-go/paved/pavedhttp"
	"github.com/paved-go/paved/ratelimit"
)

func TestFormatRateLimitFields(t *testing.T) {
	one := []ratelimit.Status{{Policy: "default", Quota: 100, Window: 60 * time.Second, Remaining: 42, Reset: 18 * time.Second}}
	assert.Equal(t, `"default";q=100;w=60`, pavedhttp.FormatRateLimitPolicy(one))
	assert.Equal(t, `"default";r=42;t=18`, pavedhttp.FormatRateLimit(one))

	two := []ratelimit.Status{
		{Policy: "tenant", Quota: 10, Window: time.Second, Remaining: 0, Reset: 1100 * time.Millisecond},
		{Policy: "global", Quota: 1000, Window: 10 * time.Second, Remaining: 997, Reset: 30 * time.Millisecond},
	}
	assert.Equal(t, `"tenant";q=10;w=1, "global";q=1000;w=10`, pavedhttp.FormatRateLimitPolicy(two))
	assert.Equal(t, `"tenant";r=0;t=2, "global";r=997;t=1`, pavedhttp.FormatRateLimit(two), "t rounds up: a client back a fraction early is refused again")

	odd := []ratelimit.Status{{Policy: `a"b\c`, Quota: -1, Window: 0, Remaining: -5, Reset: 1000 * time.Hour}}
	assert.Equal(t, `"a\"b\\c";q=0;w=0`, pavedhttp.FormatRateLimitPolicy(odd), "escaped, never negative")
	assert.Equal(t, `"a\"b\\c";r=0;t=86400`, pavedhttp.FormatRateLimit(odd), "t capped at a day")
	assert.Empty(t, pavedhttp.FormatRateLimit(nil))
}

func TestParseRateLimit(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []pavedhttp.RateLimitItem
		ok   bool
	}{
		{`"default";r=42;t=18`, []pavedhttp.RateLimitItem{{Policy: "default", Remaining: 42, Reset: 18 * time.Second, HasReset: true}}, true},
		{`"a";r=0;t=30, "b";r=5;t=1`, []pavedhttp.RateLimitItem{
			{Policy: "a", Remaining: 0, Reset: 30 * time.Second, HasReset: true},
			{Policy: "b", Remaining: 5, Reset: time.Second, HasReset: true}}, true},
		{`default;r=1`, []pavedhttp.RateLimitItem{{Policy: "default", Remaining: 1}}, true},
		{` "x" ; r=1;t=2 `, nil, false}, // no space allowed before ';'
		{`"x";r=1;  t=2`, []pavedhttp.RateLimitItem{{Policy: "x", Remaining: 1, Reset: 2 * time.Second, HasReset: true}}, true},
		{`"x";pk=:cHsdsRa894==:;r=3;t=4;ext="v";flag;d=1.5;tok=abc`, []pavedhttp.RateLimitItem{{Policy: "x", Remaining: 3, Reset: 4 * time.Second, HasReset: true}}, true},
		{`"x";t=4`, nil, true},       // no r: skipped
		{`"x";r=-1;t=4`, nil, true},  // negative r: skipped
		{`"x";r=1.5;t=4`, nil, true}, // a Decimal is not an Integer
		{`"x";r=1;t=9999999999`, []pavedhttp.RateLimitItem{{Policy: "x", Remaining: 1, Reset: 24 * time.Hour, HasReset: true}}, true},
		{`"x";r=1000000000000000`, nil, false}, // 16 digits
		{``, nil, false},
		{`"unterminated;r=1`, nil, false},
		{`"x";r=1,`, nil, false},
		{`"x";R=1`, nil, false},
		{`1;r=1`, nil, false},
		{`"x";r=1 "y"`, nil, false},
		{`"bad\escape";r=1`, nil, false},
		{"\"ctl\x01\";r=1", nil, false},
	} {
		got, ok := pavedhttp.ParseRateLimit(tc.in)
		assert.Equal(t, tc.ok, ok, "%q", tc.in)
		assert.Equal(t, tc.want, got, "%q", tc.in)
	}
}

func FuzzParseRateLimit(f *testing.F) {
	for _, s := range []string{`"default";r=42;t=18`, `a;r=0;t=30, "b";r=5;t=1;pk=:AQ==:`, `"x";d=1.5;b=?1;s="q\"x"`, `,`, `"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		items, ok := pavedhttp.ParseRateLimit(s)
		if !ok {
			assert.Nil(t, items)
			return
		}
		for _, it := range items {
			assert.GreaterOrEqual(t, it.Remaining, int64(0))
			assert.GreaterOrEqual(t, it.Reset, time.Duration(0))
			assert.LessOrEqual(t, it.Reset, pavedhttp.MaxRetryAfter)
		}
		// What we parse, we format back into what parses the same.
		var st []ratelimit.Status
		for _, it := range items {
			if it.HasReset {
				st = append(st, ratelimit.Status{Policy: it.Policy, Remaining: it.Remaining, Reset: it.Reset})
			}
		}
		if len(st) == 0 {
			return
		}
		again, ok := pavedhttp.ParseRateLimit(pavedhttp.FormatRateLimit(st))
		require.True(t, ok)
		require.Len(t, again, len(st))
		for i := range st {
			assert.Equal(t, st[i].Remaining, again[i].Remaining)
			assert.Equal(t, st[i].Reset, again[i].Reset)
		}
	})
}

// rateLimitedServer serves through a Handler with a PerKey limit of 1 per
// second, burst 2, per X-Tenant.
func rateLimitedServer(t *testing.T, clk clock.Clock) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var served atomic.Int64
	p := paved.New("server", ratelimit.MustPerKey(1, 2, ratelimit.WithClock(clk), ratelimit.WithName("tenant")))
	h := pavedhttp.NewHandler(p, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		served.Add(1)
		_, _ = io.WriteString(w, "ok")
	}), pavedhttp.WithKeyFunc(func(r *http.Request) string { return r.Header.Get("X-Tenant") }))
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv, &served
}

func getAs(t *testing.T, c *http.Client, url, tenant string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	require.NoError(t, err)
	req.Header.Set("X-Tenant", tenant)
	resp, err := c.Do(req)
	require.NoError(t, err)
	t.Cleanup(func() { _ = resp.Body.Close() })
	return resp
}

func TestHandlerRateLimitFields(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	srv, served := rateLimitedServer(t, clk)
	c := srv.Client()

	resp := getAs(t, c, srv.URL, "a")
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, `"tenant";q=2;w=2`, resp.Header.Get("RateLimit-Policy"), "successes carry the policy")
	assert.Equal(t, `"tenant";r=1;t=1`, resp.Header.Get("RateLimit"), "and the quota left")
	assert.Empty(t, resp.Header.Get("Retry-After"))

	resp = getAs(t, c, srv.URL, "a")
	assert.Equal(t, `"tenant";r=0;t=1`, resp.Header.Get("RateLimit"))

	resp = getAs(t, c, srv.URL, "a")
	assert.Equal(t, http.StatusTooManyRequests, resp.StatusCode)
	assert.Equal(t, "1", resp.Header.Get("Retry-After"))
	assert.Equal(t, `"tenant";q=2;w=2`, resp.Header.Get("RateLimit-Policy"))
	assert.Equal(t, `"tenant";r=0;t=1`, resp.Header.Get("RateLimit"))
	assert.Equal(t, "application/problem+json", resp.Header.Get("Content-Type"))
	var prob map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&prob))
	assert.Equal(t, map[string]any{"type": "about:blank", "title": "Too Many Requests", "status": float64(429), "detail": "ratelimit: limited"}, prob)
	assert.EqualValues(t, 2, served.Load(), "the refused request never reached the handler")

	resp = getAs(t, c, srv.URL, "b")
	assert.Equal(t, http.StatusOK, resp.StatusCode, "another tenant has its own quota")

	clk.Advance(time.Second)
	resp = getAs(t, c, srv.URL, "a")
	assert.Equal(t, http.StatusOK, resp.StatusCode)
}

// fixedServer answers every request with status and headers.
func fixedServer(t *testing.T, status int, hdr map[string]string) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		for k, v := range hdr {
			w.Header().Set(k, v)
		}
		w.WriteHeader(status)
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

func TestTransportSlowsOnServerRateLimit(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status int
		hdr    map[string]string
		wait   time.Duration
	}{
		{"RateLimit r=0;t=30 on a success", 200, map[string]string{"RateLimit": `"default";r=0;t=30`}, 30 * time.Second},
		{"most restrictive policy", 200, map[string]string{"RateLimit": `"burst";r=5;t=1, "daily";r=0;t=3600`}, time.Hour},
		{"Retry-After on a 429 wins", 429, map[string]string{"Retry-After": "7", "RateLimit": `"default";r=0;t=30`}, 7 * time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clk := clock.NewFake(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
			srv, hits := fixedServer(t, tc.status, tc.hdr)
			lim := ratelimit.MustNew(100, 100, ratelimit.WithClock(clk), ratelimit.WithMaxWait(time.Second))
			c := &http.Client{Transport: pavedhttp.NewTransport(paved.New("dep", lim), srv.Client().Transport)}

			resp, err := c.Get(srv.URL)
			require.NoError(t, err)
			_ = resp.Body.Close()
			_, err = c.Get(srv.URL)
			require.ErrorIs(t, err, ratelimit.ErrLimited, "refused here, instead of spending a request the server refuses")
			d, _ := paved.RetryAfter(err)
			assert.Equal(t, tc.wait, d)
			assert.EqualValues(t, 1, hits.Load(), "the second request never left")

			clk.Advance(tc.wait)
			resp, err = c.Get(srv.URL)
			require.NoError(t, err, "after the server's reset the client goes again")
			_ = resp.Body.Close()
			assert.EqualValues(t, 2, hits.Load())
		})
	}
}

func TestTransportRemainingQuota(t *testing.T) {
	clk := clock.NewFake(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	srv, hits := fixedServer(t, 200, map[string]string{"RateLimit": `"default";r=2;t=10`})
	lim := ratelimit.MustNew(100, 100, ratelimit.WithClock(clk), ratelimit.WithFailFast())
	c := &http.Client{Transport: pavedhttp.NewTransport(paved.New("dep", lim), srv.Client().Transport)}
	for range 3 { // each answer says 2 more remain
		resp, err := c.Get(srv.URL)
		require.NoError(t, err)
		_ = resp.Body.Close()
	}
	assert.EqualValues(t, 3, hits.Load())

	// Ignored: malformed fields, fields without t, a 503's Retry-After.
	for _, hdr := range []map[string]string{
		{"RateLimit": `"default";r=0`},
		{"RateLimit": `garbage;;`},
		{"Retry-After": "30"},
	} {
		srv, _ := fixedServer(t, 503, hdr)
		lim := ratelimit.MustNew(100, 100, ratelimit.WithClock(clk), ratelimit.WithFailFast())
		c := &http.Client{Transport: pavedhttp.NewTransport(paved.New("dep", lim), srv.Client().Transport)}
		for range 2 {
			resp, err := c.Get(srv.URL)
			require.NoError(t, err, "%v", hdr)
			_ = resp.Body.Close()
		}
	}
}

func TestRateLimitHeaderNames(t *testing.T) {
	assert.Equal(t, "Ratelimit-Policy", http.CanonicalHeaderKey(pavedhttp.RateLimitPolicyHeader))
	assert.True(t, strings.EqualFold("ratelimit", pavedhttp.RateLimitHeader))
}
