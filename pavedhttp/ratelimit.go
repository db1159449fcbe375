package pavedhttp

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/paved-go/paved/ratelimit"
)

// The RateLimit header fields of the IETF httpapi draft "RateLimit header
// fields for HTTP" (revision -10; docs/reference.md, "Rate limits"): the
// server's policies and the caller's quota left under each, as
// structured-field lists (RFC 9651).
const (
	RateLimitPolicyHeader = "RateLimit-Policy"
	RateLimitHeader       = "RateLimit"
)

// maxQuotaSeconds caps t and w: 10^15 - 1 is the largest integer a
// structured field may carry; a day is already more than a client waits.
const maxQuotaSeconds = int64(MaxRetryAfter / time.Second)

// FormatRateLimitPolicy returns the RateLimit-Policy field for statuses, one
// list member per limit: `"default";q=100;w=60`. It returns "" for none.
func FormatRateLimitPolicy(statuses []ratelimit.Status) string {
	var b []byte
	for i, s := range statuses {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = appendPolicyName(b, s.Policy)
		b = append(b, ";q="...)
		b = strconv.AppendInt(b, max(0, s.Quota), 10)
		b = append(b, ";w="...)
		b = strconv.AppendInt(b, wholeSeconds(s.Window), 10)
	}
	return string(b)
}

// FormatRateLimit returns the RateLimit field for statuses, one list member
// per limit: `"default";r=42;t=18`, t in whole seconds rounded up (a client
// that came back a fraction early would be refused again). It returns "" for
// none.
func FormatRateLimit(statuses []ratelimit.Status) string {
	var b []byte
	for i, s := range statuses {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = appendPolicyName(b, s.Policy)
		b = append(b, ";r="...)
		b = strconv.AppendInt(b, max(0, s.Remaining), 10)
		b = append(b, ";t="...)
		b = strconv.AppendInt(b, wholeSeconds(s.Reset), 10)
	}
	return string(b)
}

// appendPolicyName appends name as a structured-field String, escaping '"'
// and '\' and dropping bytes a String cannot hold (ratelimit.WithName
// already refuses them).
func appendPolicyName(b []byte, name string) []byte {
	b = append(b, '"')
	for i := 0; i < len(name); i++ {
		switch c := name[i]; {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c >= 0x20 && c <= 0x7e:
			b = append(b, c)
		}
	}
	return append(b, '"')
}

func wholeSeconds(d time.Duration) int64 {
	if d <= 0 {
		return 0
	}
	return min(int64((d+time.Second-1)/time.Second), maxQuotaSeconds)
}

// setRateLimitFields sets the RateLimit-Policy and RateLimit fields for
// statuses on h; nothing when there are none.
func setRateLimitFields(h http.Header, statuses []ratelimit.Status) {
	if len(statuses) == 0 {
		return
	}
	h.Set(RateLimitPolicyHeader, FormatRateLimitPolicy(statuses))
	h.Set(RateLimitHeader, FormatRateLimit(statuses))
}

// setAdmittedRateLimit sets the RateLimit fields of the limits that admitted
// the request ctx belongs to (ratelimit.AppendStatuses), so successful
// responses tell the caller its quota too.
func setAdmittedRateLimit(w http.ResponseWriter, ctx context.Context) {
	var buf [2]ratelimit.Status
	setRateLimitFields(w.Header(), ratelimit.AppendStatuses(buf[:0], ctx))
}

// setRefusedRateLimit sets the RateLimit fields of the limit that refused
// err, if a rate limit did.
func setRefusedRateLimit(h http.Header, err error) {
	var le *ratelimit.LimitedError
	if errors.As(err, &le) {
		setRateLimitFields(h, []ratelimit.Status{le.Status})
	}
}

// RateLimitItem is one member of a RateLimit field as ParseRateLimit reads
// it: the policy's name, and the r and t parameters.
type RateLimitItem struct {
	Policy    string
	Remaining int64         // r
	Reset     time.Duration // t, whole seconds
	HasReset  bool          // t was present
}

// ParseRateLimit parses a RateLimit field value (draft -10: a
// structured-field List of Strings or Tokens with parameters r and t,
// `"default";r=42;t=18, "daily";r=1000;t=3600`). Members without a
// valid, non-negative integer r are skipped, as are unknown parameters (pk,
// extensions); t is clamped to MaxRetryAfter. It reports false when the
// value is not a valid list at all.
func ParseRateLimit(v string) ([]RateLimitItem, bool) {
	p := sfParser{s: v}
	var out []RateLimitItem
	p.ows()
	if p.done() {
		return nil, false
	}
	for {
		name, ok := p.bareItemName()
		if !ok {
			return nil, false
		}
		it := RateLimitItem{Policy: name, Remaining: -1}
		for p.peek() == ';' {
			p.i++
			p.sp()
			key, ok := p.key()
			if !ok {
				return nil, false
			}
			val, isInt, ok := p.paramValue()
			if !ok {
				return nil, false
			}
			switch {
			case key == "r" && isInt && val >= 0:
				it.Remaining = val
			case key == "t" && isInt && val >= 0:
				it.Reset, it.HasReset = time.Duration(min(val, maxQuotaSeconds))*time.Second, true
			}
		}
		if it.Remaining >= 0 {
			out = append(out, it)
		}
		p.ows()
		if p.done() {
			return out, true
		}
		if p.peek() != ',' {
			return nil, false
		}
		p.i++
		p.ows()
		if p.done() {
			return nil, false // a trailing comma
		}
	}
}

// sfParser reads the parts of RFC 9651 structured fields that RateLimit
// uses. It never panics, whatever the input (FuzzParseRateLimit).
type sfParser struct {
	s string
	i int
}

func (p *sfParser) done() bool { return p.i >= len(p.s) }

func (p *sfParser) peek() byte {
	if p.done() {
		return 0
	}
	return p.s[p.i]
}

func (p *sfParser) sp() {
	for p.peek() == ' ' {
		p.i++
	}
}

func (p *sfParser) ows() {
	for c := p.peek(); c == ' ' || c == '\t'; c = p.peek() {
		p.i++
	}
}

// bareItemName reads a String or a Token, the forms a policy name takes.
func (p *sfParser) bareItemName() (string, bool) {
	c := p.peek()
	if c == '"' {
		return p.str()
	}
	if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c == '*') {
		return "", false
	}
	start := p.i
	for p.i++; !p.done() && isTokenChar(p.s[p.i]); p.i++ {
	}
	return p.s[start:p.i], true
}

func (p *sfParser) str() (string, bool) {
	p.i++ // the opening quote
	var b []byte
	for !p.done() {
		c := p.s[p.i]
		p.i++
		switch {
		case c == '\\':
			if p.done() {
				return "", false
			}
			e := p.s[p.i]
			p.i++
			if e != '"' && e != '\\' {
				return "", false
			}
			b = append(b, e)
		case c == '"':
			return string(b), true
		case c < 0x20 || c > 0x7e:
			return "", false
		default:
			b = append(b, c)
		}
	}
	return "", false // no closing quote
}

// key reads a parameter key: lcalpha or '*', then lcalpha, digits, _-.*
func (p *sfParser) key() (string, bool) {
	c := p.peek()
	if !(c >= 'a' && c <= 'z' || c == '*') {
		return "", false
	}
	start := p.i
	for p.i++; !p.done(); p.i++ {
		c := p.s[p.i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.' || c == '*') {
			break
		}
	}
	return p.s[start:p.i], true
}

// paramValue reads "=value" (or nothing: the Boolean true). isInt is set for
// an Integer, whose value is n; other bare items (Decimals, Strings, Tokens,
// Byte Sequences, Booleans) are read and skipped.
func (p *sfParser) paramValue() (n int64, isInt, ok bool) {
	if p.peek() != '=' {
		return 0, false, true
	}
	p.i++
	switch c := p.peek(); {
	case c == '-' || c >= '0' && c <= '9':
		return p.number()
	case c == '"':
		_, ok := p.str()
		return 0, false, ok
	case c == ':': // Byte Sequence: :base64:
		end := p.i + 1
		for end < len(p.s) && p.s[end] != ':' {
			if !isBase64Char(p.s[end]) {
				return 0, false, false
			}
			end++
		}
		if end >= len(p.s) {
			return 0, false, false
		}
		p.i = end + 1
		return 0, false, true
	case c == '?':
		p.i++
		if b := p.peek(); b != '0' && b != '1' {
			return 0, false, false
		}
		p.i++
		return 0, false, true
	case c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c == '*':
		_, ok := p.bareItemName()
		return 0, false, ok
	}
	return 0, false, false
}

// number reads an Integer (at most 15 digits) or skips a Decimal.
func (p *sfParser) number() (int64, bool, bool) {
	neg := false
	if p.peek() == '-' {
		neg = true
		p.i++
	}
	var n int64
	digits, frac := 0, -1
	for !p.done() {
		c := p.s[p.i]
		switch {
		case c >= '0' && c <= '9':
			if frac >= 0 {
				frac++
			} else {
				digits++
				n = n*10 + int64(c-'0')
			}
		case c == '.' && frac < 0 && digits > 0:
			frac = 0
		default:
			goto end
		}
		p.i++
		if digits > 15 || frac > 3 {
			return 0, false, false
		}
	}
end:
	switch {
	case digits == 0:
		return 0, false, false
	case frac == 0:
		return 0, false, false // "1." is not a Decimal
	case frac > 0:
		return 0, false, digits <= 12
	}
	if neg {
		n = -n
	}
	return n, true, true
}

func isTokenChar(c byte) bool {
	switch {
	case c >= 'A' && c <= 'Z', c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		return true
	}
	switch c {
	case '!', '#', '$', '%', '&', '\'', '*', '+', '-', '.', '^', '_', '`', '|', '~', ':', '/':
		return true
	}
	return false
}

func isBase64Char(c byte) bool {
	return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/' || c == '='
}

// serverQuota reads what resp says about the caller's quota: Retry-After on
// a 429, which takes precedence (the draft says so), else the most
// restrictive member of its RateLimit field — the fewest requests left, and
// among those with none left the latest reset. Members without t are
// skipped: without a reset time, a client cannot know when to come back.
func serverQuota(resp *http.Response, now time.Time) (ratelimit.ServerQuota, bool) {
	if resp.StatusCode == http.StatusTooManyRequests {
		if v := resp.Header.Get("Retry-After"); v != "" {
			if d, ok := ParseRetryAfter(v, now); ok && d > 0 {
				return ratelimit.ServerQuota{Remaining: 0, Reset: d}, true
			}
		}
	}
	vs := resp.Header.Values(RateLimitHeader)
	if len(vs) == 0 {
		return ratelimit.ServerQuota{}, false
	}
	var best ratelimit.ServerQuota
	found := false
	for _, v := range vs {
		items, ok := ParseRateLimit(v)
		if !ok {
			continue
		}
		for _, it := range items {
			if !it.HasReset {
				continue
			}
			q := ratelimit.ServerQuota{Remaining: it.Remaining, Reset: it.Reset}
			if !found || q.Remaining < best.Remaining || (q.Remaining == best.Remaining && q.Reset > best.Reset) {
				best, found = q, true
			}
		}
	}
	return best, found
}

// TakeServerQuota makes the call's state a ratelimit.QuotaSource: it reads
// the latest response an attempt received, once, so a ratelimit.Limiter in
// the Transport's pipeline slows down before the server refuses it.
func (rt *roundTrip) TakeServerQuota() (ratelimit.ServerQuota, bool) {
	resp := rt.lastResp.Swap(nil) //pavedvet:ignore RS-14 only its header is read; the attempt that received it owns the body
	if resp == nil {
		return ratelimit.ServerQuota{}, false
	}
	return serverQuota(resp, time.Now())
}

var _ ratelimit.QuotaSource = (*roundTrip)(nil)
