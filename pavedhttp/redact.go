package pavedhttp

import (
	"net/url"
	"strings"
)

// sensitiveQueryKeys are the query parameters whose values OpenTelemetry's
// semantic conventions say url.full SHOULD redact by default: they carry
// signatures and credentials of pre-signed URLs (AWS, Azure, Google Cloud).
var sensitiveQueryKeys = [...]string{"AWSAccessKeyId", "Signature", "sig", "X-Goog-Signature"}

// redactedValue replaces a redacted query value, as the conventions specify.
const redactedValue = "REDACTED"

// redactedURL returns u as url.full should record it: without user info, and
// with the values of sensitive query parameters (every parameter, with all)
// replaced by REDACTED. ok is false when nothing needed redacting beyond the
// user info, which otelhttp already removes, so the attribute it set stands.
// The parameters keep their order and spelling; only values change.
func redactedURL(u *url.URL, all bool) (string, bool) {
	if u == nil || u.RawQuery == "" || !all && !hasSensitiveQueryKey(u.RawQuery) {
		return "", false
	}
	parts := strings.Split(u.RawQuery, "&")
	changed := false
	for i, p := range parts {
		key, _, hasValue := strings.Cut(p, "=")
		if !hasValue {
			continue
		}
		if all || isSensitiveQueryKey(key) {
			parts[i] = key + "=" + redactedValue
			changed = true
		}
	}
	if !changed {
		return "", false
	}
	c := *u
	c.User = nil
	c.RawQuery = strings.Join(parts, "&")
	return c.String(), true
}

// hasSensitiveQueryKey reports whether the raw query has a parameter with a
// value under one of sensitiveQueryKeys: redactedURL's check, without
// splitting the query, for the query of every attempt that has none.
func hasSensitiveQueryKey(rawQuery string) bool {
	for rest := rawQuery; rest != ""; {
		var p string
		p, rest, _ = strings.Cut(rest, "&")
		if key, _, hasValue := strings.Cut(p, "="); hasValue && isSensitiveQueryKey(key) {
			return true
		}
	}
	return false
}

// isSensitiveQueryKey reports whether the raw (still escaped) query key is
// one of sensitiveQueryKeys.
func isSensitiveQueryKey(raw string) bool {
	key, err := url.QueryUnescape(raw)
	if err != nil {
		key = raw
	}
	for _, k := range sensitiveQueryKeys {
		if key == k {
			return true
		}
	}
	return false
}
