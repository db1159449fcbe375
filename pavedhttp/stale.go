package pavedhttp

import (
	"bytes"
	"container/list"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/paved-go/paved/clock"
	"github.com/paved-go/paved/fallback"
)

// Stale keeps the last good response to each GET, so that a fallback can
// answer with it when the dependency fails: graceful degradation with
// stale data (STANDARDS.md RS-16), in the spirit of RFC 5861's
// stale-if-error. Make one with NewStale; it is safe for concurrent use.
//
// Its Transport records, beneath a pavedhttp Transport, every 200 answer to
// a GET whose body the caller reads to the end (at most MaxBody bytes), keyed
// by the request's URL and, when the answer has a Vary header, by the values
// of the request fields it names; its Fallback serves the copy, with an Age
// header (RFC 9111 §5.1) saying how old it is, while it is younger than
// MaxAge:
//
//	stale := pavedhttp.MustNewStale()
//	p := paved.New("catalog", stale.MustFallback(), timeout.MustNew(...), retry.MustNew(), breaker.MustNew("catalog"))
//	client := &http.Client{Transport: pavedhttp.NewTransport(p, stale.Transport(nil))}
//
// Vary is honoured as a cache must (RFC 9111 §4.1): a copy answers only a
// request that presents the fields its Vary names with the values the
// recorded request had — the same fields absent, the others equal once
// their field lines are combined and the whitespace around list members
// removed (names are case-insensitive, values compared as sent). A request
// that differs gets no copy, and the failure stands. Each variant of a URL is
// a copy of its own, within MaxEntries; the most recently recorded one that
// matches answers. A response with Vary: * matches no request and is not
// kept.
//
// So that one caller's data never reaches another, requests that carry
// Authorization or Cookie headers are never recorded, nor are responses
// marked Cache-Control: no-store or private, nor responses that set cookies.
type Stale struct {
	cfg     staleConfig
	mu      sync.Mutex
	entries map[string][]*list.Element // by URL: its variants, most recently recorded first
	lru     list.List                  // of *staleEntry, most recently recorded first
}

type staleEntry struct {
	key    string
	vary   []varyField // the selecting fields, with the recorded request's values
	status int
	header http.Header
	body   []byte
	at     time.Time
}

// Stale's defaults.
const (
	DefaultStaleMaxAge     = 10 * time.Minute
	DefaultStaleMaxEntries = 1000
	DefaultStaleMaxBody    = 1 << 20
)

// StaleOption configures a Stale.
type StaleOption func(*staleConfig)

type staleConfig struct {
	maxAge     time.Duration
	maxEntries int
	maxBody    int
	clk        clock.Clock
}

// WithStaleMaxAge is how long a copy may be served after it was recorded.
// Must be > 0. Default 10m.
func WithStaleMaxAge(d time.Duration) StaleOption { return func(c *staleConfig) { c.maxAge = d } }

// WithStaleMaxEntries bounds how many copies are kept (each variant of a URL
// its Vary tells apart is one); the least recently recorded is dropped beyond
// it. Must be 1..1000000. Default 1000.
func WithStaleMaxEntries(n int) StaleOption { return func(c *staleConfig) { c.maxEntries = n } }

// WithStaleMaxBody bounds the body of a recorded response, in bytes; larger
// responses are not kept. Must be 1..1073741824. Default 1 MiB.
func WithStaleMaxBody(n int) StaleOption { return func(c *staleConfig) { c.maxBody = n } }

// WithStaleClock sets the clock copies are aged by. For tests; default
// clock.Real().
func WithStaleClock(clk clock.Clock) StaleOption { return func(c *staleConfig) { c.clk = clk } }

// NewStale returns an empty Stale. It returns an error naming the option that
// is out of range.
func NewStale(opts ...StaleOption) (*Stale, error) {
	c := staleConfig{maxAge: DefaultStaleMaxAge, maxEntries: DefaultStaleMaxEntries, maxBody: DefaultStaleMaxBody}
	for _, o := range opts {
		if o != nil {
			o(&c)
		}
	}
	if c.clk == nil {
		c.clk = clock.Real()
	}
	switch {
	case c.maxAge <= 0:
		return nil, fmt.Errorf("pavedhttp: Stale MaxAge must be > 0, got %v", c.maxAge)
	case c.maxEntries < 1 || c.maxEntries > 1_000_000:
		return nil, fmt.Errorf("pavedhttp: Stale MaxEntries must be 1..1000000, got %d", c.maxEntries)
	case c.maxBody < 1 || c.maxBody > 1<<30:
		return nil, fmt.Errorf("pavedhttp: Stale MaxBody must be 1..1073741824, got %d", c.maxBody)
	}
	return &Stale{cfg: c, entries: map[string][]*list.Element{}}, nil
}

// MustNewStale is NewStale that panics on an invalid option: a programmer error.
func MustNewStale(opts ...StaleOption) *Stale {
	s, err := NewStale(opts...)
	if err != nil {
		panic(err)
	}
	return s
}

// Len returns how many copies are kept, every variant counted.
func (s *Stale) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lru.Len()
}

// Transport returns a RoundTripper that sends to base (nil means
// http.DefaultTransport) and records the good answers it sees. Give it to
// NewTransport as the base.
func (s *Stale) Transport(base http.RoundTripper) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return &staleRecorder{s: s, base: base}
}

// Fallback returns the fallback policy that answers a failed GET with its
// copy while one younger than MaxAge is kept, and leaves every other failure
// as it was. opts are the policy's (fallback.WithOutcomes).
func (s *Stale) Fallback(opts ...fallback.Option) (*fallback.Fallback, error) {
	return Fallback(func(req *http.Request, _ error) (*http.Response, error) {
		return s.serve(req), nil // nil: the original error stands
	}, opts...)
}

// MustFallback is Fallback that panics on an invalid option.
func (s *Stale) MustFallback(opts ...fallback.Option) *fallback.Fallback {
	f, err := s.Fallback(opts...)
	if err != nil {
		panic(err)
	}
	return f
}

func staleKey(req *http.Request) (string, bool) {
	if req.Method != http.MethodGet && req.Method != "" {
		return "", false
	}
	return req.URL.String(), true
}

// serve returns req's copy as a fresh response, or nil.
func (s *Stale) serve(req *http.Request) *http.Response {
	key, ok := staleKey(req)
	if !ok {
		return nil
	}
	s.mu.Lock()
	var e *staleEntry
	for _, el := range s.entries[key] {
		if v := el.Value.(*staleEntry); varyMatches(v.vary, req) {
			e = v
			break
		}
	}
	s.mu.Unlock()
	if e == nil {
		return nil
	}
	age := s.cfg.clk.Since(e.at)
	if age >= s.cfg.maxAge {
		return nil
	}
	h := e.header.Clone()
	h.Set("Age", strconv.FormatInt(int64(age/time.Second), 10))
	return &http.Response{
		Status:        strconv.Itoa(e.status) + " " + http.StatusText(e.status),
		StatusCode:    e.status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        h,
		Body:          io.NopCloser(bytes.NewReader(e.body)),
		ContentLength: int64(len(e.body)),
		Request:       req,
	}
}

// store keeps e, in place of the copy of the same variant if there is one.
func (s *Stale) store(e *staleEntry) {
	s.mu.Lock()
	defer s.mu.Unlock()
	variants := s.entries[e.key]
	for i, el := range variants {
		if sameVariant(el.Value.(*staleEntry).vary, e.vary) {
			el.Value = e
			s.lru.MoveToFront(el)
			copy(variants[1:i+1], variants[:i]) // most recent first
			variants[0] = el
			return
		}
	}
	s.entries[e.key] = append([]*list.Element{s.lru.PushFront(e)}, variants...)
	for s.lru.Len() > s.cfg.maxEntries {
		s.drop(s.lru.Back())
	}
}

// drop forgets the copy el.
func (s *Stale) drop(el *list.Element) {
	s.lru.Remove(el)
	key := el.Value.(*staleEntry).key
	variants := slices.DeleteFunc(s.entries[key], func(v *list.Element) bool { return v == el })
	if len(variants) == 0 {
		delete(s.entries, key)
		return
	}
	s.entries[key] = variants
}

// recordable reports whether resp to req may be kept and served to others.
func recordable(req *http.Request, resp *http.Response, maxBody int) bool {
	if resp.StatusCode != http.StatusOK || req.Header.Get("Authorization") != "" || req.Header.Get("Cookie") != "" {
		return false
	}
	if len(resp.Header.Values("Set-Cookie")) > 0 || resp.ContentLength > int64(maxBody) {
		return false
	}
	for _, v := range resp.Header.Values("Cache-Control") {
		v = strings.ToLower(v)
		if strings.Contains(v, "no-store") || strings.Contains(v, "private") {
			return false
		}
	}
	return true
}

type staleRecorder struct {
	s    *Stale
	base http.RoundTripper
}

func (r *staleRecorder) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := r.base.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	key, ok := staleKey(req)
	if !ok || !recordable(req, resp, r.s.cfg.maxBody) || resp.Body == nil {
		return resp, nil
	}
	vary, ok := varyOf(req, resp)
	if !ok {
		return resp, nil
	}
	resp.Body = &recordingBody{ReadCloser: resp.Body, s: r.s, e: &staleEntry{
		key: key, vary: vary, status: resp.StatusCode, header: resp.Header.Clone(),
	}}
	return resp, nil
}

// recordingBody copies what the caller reads, and keeps the copy once the
// caller has read it all.
type recordingBody struct {
	io.ReadCloser
	s    *Stale
	e    *staleEntry
	buf  bytes.Buffer
	over bool // past MaxBody: nothing is kept
	done bool
}

func (b *recordingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if !b.over && n > 0 {
		if b.buf.Len()+n > b.s.cfg.maxBody {
			b.over = true
			b.buf = bytes.Buffer{}
		} else {
			b.buf.Write(p[:n])
		}
	}
	if err == io.EOF && !b.over && !b.done {
		b.done = true
		b.e.body = bytes.Clone(b.buf.Bytes())
		b.e.at = b.s.cfg.clk.Now()
		b.s.store(b.e)
	}
	return n, err
}
