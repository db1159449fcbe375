package pavedhttp_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/pavedhttp"
)

// varyServer answers 200 with the Vary lines vary and a body naming the
// request's number and its Accept-Language, X-Tenant and Accept values, or
// 503 while down.
type varyServer struct {
	*httptest.Server
	down atomic.Bool
	n    atomic.Int32
}

func newVaryServer(t *testing.T, vary ...string) *varyServer {
	t.Helper()
	s := &varyServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := s.n.Add(1)
		if s.down.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = fmt.Fprintf(w, "down %d", n)
			return
		}
		w.Header()["Vary"] = vary
		_, _ = fmt.Fprintf(w, "%d lang=%q tenant=%q accept=%q", n,
			r.Header.Values("Accept-Language"), r.Header.Values("X-Tenant"), r.Header.Values("Accept"))
	}))
	t.Cleanup(s.Close)
	return s
}

// staleClient is a client whose pipeline answers failures with stale's copies.
func staleClient(t *testing.T, stale *pavedhttp.Stale) *http.Client {
	t.Helper()
	p := paved.New("vary", stale.MustFallback())
	return &http.Client{Transport: pavedhttp.NewTransport(p, stale.Transport(newBase(t)))}
}

// getVary sends a GET of url with header h, and returns the status and body.
func getVary(t *testing.T, c *http.Client, url string, h http.Header) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	require.NoError(t, err)
	req.Header = h
	resp, err := c.Do(req)
	require.NoError(t, err)
	return resp.StatusCode, readAll(t, resp)
}

func lang(v ...string) http.Header { return http.Header{"Accept-Language": v} }

// Each variant a Vary tells apart is kept and served to the requests that
// present its values; a request that presents other values, or lacks the
// field, gets no copy, and the dependency's failure stands.
func TestStaleVaryServesMatchingVariant(t *testing.T) {
	srv := newVaryServer(t, "Accept-Language")
	stale := pavedhttp.MustNewStale()
	client := staleClient(t, stale)
	_, en := getVary(t, client, srv.URL, lang("en"))
	_, fr := getVary(t, client, srv.URL, lang("fr"))
	assert.Equal(t, 2, stale.Len(), "two variants of one URL, kept side by side")

	srv.down.Store(true)
	code, body := getVary(t, client, srv.URL, lang("en"))
	assert.Equal(t, 200, code)
	assert.Equal(t, en, body)
	code, body = getVary(t, client, srv.URL, lang("fr"))
	assert.Equal(t, 200, code)
	assert.Equal(t, fr, body)

	code, body = getVary(t, client, srv.URL, lang("de"))
	assert.Equal(t, 503, code, "no variant for de: the failure stands")
	assert.True(t, strings.HasPrefix(body, "down "), body)
	code, _ = getVary(t, client, srv.URL, nil)
	assert.Equal(t, 503, code, "a request without the field matches no copy recorded with it")
	code, _ = getVary(t, client, srv.URL, lang(""))
	assert.Equal(t, 503, code, "nor does an empty value")
}

// Two requests' fields match when one turns into the other by combining
// field lines and adding or removing whitespace around list members (RFC
// 9111 §4.1); field names are case-insensitive; the values' order counts.
func TestStaleVaryNormalises(t *testing.T) {
	srv := newVaryServer(t, "accept-language") // the Vary's name, not canonical
	stale := pavedhttp.MustNewStale()
	client := staleClient(t, stale)
	_, recorded := getVary(t, client, srv.URL, lang("en, fr;q=0.5"))
	srv.down.Store(true)
	for _, tt := range []struct {
		name string
		h    http.Header
		want int
	}{
		{"same", lang("en, fr;q=0.5"), 200},
		{"lines combined", lang("en", "fr;q=0.5"), 200},
		{"whitespace", lang("  en ,\tfr;q=0.5 "), 200},
		{"empty members", lang("en,,", " , fr;q=0.5"), 200},
		{"name spelled otherwise", http.Header{"accept-language": {"en, fr;q=0.5"}}, 200},
		{"order", lang("fr;q=0.5, en"), 503},
		{"inner whitespace", lang("en, fr; q=0.5"), 503},
		{"case", lang("EN, fr;q=0.5"), 503},
	} {
		t.Run(tt.name, func(t *testing.T) {
			code, body := getVary(t, client, srv.URL, tt.h)
			assert.Equal(t, tt.want, code)
			if tt.want == 200 {
				assert.Equal(t, recorded, body)
			}
		})
	}
}

// A comma inside a quoted string separates nothing.
func TestStaleVaryQuotedComma(t *testing.T) {
	srv := newVaryServer(t, "X-Tenant")
	stale := pavedhttp.MustNewStale()
	client := staleClient(t, stale)
	getVary(t, client, srv.URL, http.Header{"X-Tenant": {`"a, b"`}})
	srv.down.Store(true)
	code, _ := getVary(t, client, srv.URL, http.Header{"X-Tenant": {`"a,b"`}})
	assert.Equal(t, 503, code)
	code, _ = getVary(t, client, srv.URL, http.Header{"X-Tenant": {` "a, b" `}})
	assert.Equal(t, 200, code)
}

// Vary: * matches no request: such a response is not kept, and a failure
// finds no copy.
func TestStaleVaryStar(t *testing.T) {
	for _, vary := range [][]string{{"*"}, {"Accept-Language, *"}, {"Accept-Language", " * "}} {
		t.Run(strings.Join(vary, "|"), func(t *testing.T) {
			srv := newVaryServer(t, vary...)
			stale := pavedhttp.MustNewStale()
			client := staleClient(t, stale)
			getVary(t, client, srv.URL, lang("en"))
			assert.Zero(t, stale.Len())
			srv.down.Store(true)
			code, _ := getVary(t, client, srv.URL, lang("en"))
			assert.Equal(t, 503, code)
		})
	}
}

// Several Vary lines and lists name several fields: every one must match.
func TestStaleVaryMultipleFields(t *testing.T) {
	srv := newVaryServer(t, "Accept-Language", "Accept, X-Tenant", "accept") // accept twice
	stale := pavedhttp.MustNewStale()
	client := staleClient(t, stale)
	h := http.Header{"Accept-Language": {"en"}, "Accept": {"text/plain"}, "X-Tenant": {"t1"}}
	_, recorded := getVary(t, client, srv.URL, h)
	srv.down.Store(true)
	code, body := getVary(t, client, srv.URL, h)
	assert.Equal(t, 200, code)
	assert.Equal(t, recorded, body)
	for _, field := range []string{"Accept-Language", "Accept", "X-Tenant"} {
		other := h.Clone()
		other.Set(field, "other")
		code, _ = getVary(t, client, srv.URL, other)
		assert.Equal(t, 503, code, "%s differs", field)
		other.Del(field)
		code, _ = getVary(t, client, srv.URL, other)
		assert.Equal(t, 503, code, "%s absent", field)
	}
	code, _ = getVary(t, client, srv.URL, http.Header{"Accept-Language": {"en"}, "Accept": {"text/plain"}, "X-Tenant": {"t1"}, "X-Other": {"x"}})
	assert.Equal(t, 200, code, "a field Vary does not name does not count")
}

// A new copy of a variant replaces the old one; a copy without Vary answers
// every request.
func TestStaleVaryReplacesSameVariant(t *testing.T) {
	srv := newVaryServer(t, "Accept-Language")
	stale := pavedhttp.MustNewStale()
	client := staleClient(t, stale)
	getVary(t, client, srv.URL, lang("en"))
	getVary(t, client, srv.URL, lang("fr"))
	_, newest := getVary(t, client, srv.URL, lang("en"))
	assert.Equal(t, 2, stale.Len())
	srv.down.Store(true)
	_, body := getVary(t, client, srv.URL, lang("en"))
	assert.Equal(t, newest, body)

	plain := newVaryServer(t)
	getVary(t, client, plain.URL, lang("en"))
	plain.down.Store(true)
	code, _ := getVary(t, client, plain.URL, lang("de"))
	assert.Equal(t, 200, code, "no Vary: the copy answers any request")
}

// Variants count against MaxEntries like any copy: the least recently
// recorded is dropped, whichever URL it belongs to.
func TestStaleVaryBounds(t *testing.T) {
	srv := newVaryServer(t, "Accept-Language")
	stale := pavedhttp.MustNewStale(pavedhttp.WithStaleMaxEntries(3))
	client := staleClient(t, stale)
	for _, l := range []string{"en", "fr", "de", "it"} {
		getVary(t, client, srv.URL, lang(l))
	}
	getVary(t, client, srv.URL+"/other", lang("en"))
	assert.Equal(t, 3, stale.Len())
	srv.down.Store(true)
	for l, want := range map[string]int{"en": 503, "fr": 503, "de": 200, "it": 200} {
		code, _ := getVary(t, client, srv.URL, lang(l))
		assert.Equal(t, want, code, l)
	}
	code, _ := getVary(t, client, srv.URL+"/other", lang("en"))
	assert.Equal(t, 200, code)
}

// Many callers record and are served variants at once (for the race
// detector): each gets its own variant's copy, never another's.
func TestStaleVaryConcurrent(t *testing.T) {
	srv := newVaryServer(t, "X-Tenant")
	stale := pavedhttp.MustNewStale(pavedhttp.WithStaleMaxEntries(4))
	client := staleClient(t, stale)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tenant := strconv.Itoa(g)
			for i := range 50 {
				if i == 25 && g == 0 {
					srv.down.Store(true)
				}
				req, _ := http.NewRequest(http.MethodGet, srv.URL, nil)
				req.Header.Set("X-Tenant", tenant)
				resp, err := client.Do(req) // not getVary: require must not run off the test's goroutine
				if !assert.NoError(t, err) {
					return
				}
				b, _ := io.ReadAll(resp.Body)
				_ = resp.Body.Close()
				if resp.StatusCode == 200 {
					assert.Contains(t, string(b), `tenant=["`+tenant+`"]`)
				}
			}
		}()
	}
	wg.Wait()
	assert.LessOrEqual(t, stale.Len(), 4)
}
