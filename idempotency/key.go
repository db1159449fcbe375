package idempotency

import "strings"

// MaxKeyLength is the longest key accepted, in bytes (Stripe's limit; the
// IETF draft sets none).
const MaxKeyLength = 255

// ValidateKey reports whether key is a usable idempotency key: 1 to
// MaxKeyLength characters, each printable ASCII (0x20..0x7E). The error
// wraps ErrInvalidKey and names the rule broken, never the key.
func ValidateKey(key string) error {
	switch {
	case key == "":
		return &keyError{"empty"}
	case len(key) > MaxKeyLength:
		return &keyError{"longer than 255 characters"}
	}
	for i := 0; i < len(key); i++ {
		if c := key[i]; c < 0x20 || c > 0x7E {
			return &keyError{"character outside printable ASCII (0x20..0x7E)"}
		}
	}
	return nil
}

// ParseHeader returns the key an Idempotency-Key header value (or an
// idempotency-key gRPC metadata value) carries. The IETF draft
// (draft-ietf-httpapi-idempotency-key-header-07) makes the field a
// structured-field String (RFC 8941 §3.3.3), quoted:
//
//	Idempotency-Key: "8e03978e-40d5-43e8-bc93-6894a57f9324"
//
// with \" and \\ the only escapes. Most clients send the bare form,
// unquoted, which is accepted too: a value that does not start with a
// double quote is the key itself, unless it holds a comma, which is how a
// proxy joins two field lines (RFC 9110 §5.3): two keys, refused as two
// field lines are (quote a key that holds a comma). Leading and trailing spaces and tabs are
// ignored in both forms. Structured-field parameters (`"k";a=1`) are not
// accepted: the draft defines none. The key must then pass ValidateKey. The
// error wraps ErrInvalidKey and never contains the value.
func ParseHeader(v string) (string, error) {
	v = trimOWS(v)
	if v == "" || v[0] != '"' {
		if strings.IndexByte(v, ',') >= 0 {
			return "", &keyError{"a comma outside quotes: more than one key"}
		}
		return v, ValidateKey(v)
	}
	// A quoted String: unescape into a buffer only when an escape is seen.
	var buf []byte
	escaped := false
	start := 1
	for i := 1; i < len(v); i++ {
		c := v[i]
		switch {
		case c == '\\':
			if i+1 == len(v) || (v[i+1] != '"' && v[i+1] != '\\') {
				return "", &keyError{`bad escape in quoted string (only \" and \\)`}
			}
			buf = append(buf, v[start:i]...)
			escaped = true
			i++
			start = i // the escaped character is kept
		case c == '"':
			if i != len(v)-1 {
				return "", &keyError{"characters after the closing quote"}
			}
			var key string
			if !escaped {
				key = v[1:i]
			} else {
				key = string(append(buf, v[start:i]...))
			}
			return key, ValidateKey(key)
		case c < 0x20 || c > 0x7E:
			return "", &keyError{"character outside printable ASCII (0x20..0x7E)"}
		}
	}
	return "", &keyError{"quoted string without closing quote"}
}

// FormatHeader returns key as a structured-field String, the form the IETF
// draft specifies: quoted, with " and \ escaped. key must pass ValidateKey.
func FormatHeader(key string) string {
	n := 2 + len(key)
	for i := 0; i < len(key); i++ {
		if key[i] == '"' || key[i] == '\\' {
			n++
		}
	}
	b := make([]byte, 0, n)
	b = append(b, '"')
	for i := 0; i < len(key); i++ {
		if key[i] == '"' || key[i] == '\\' {
			b = append(b, '\\')
		}
		b = append(b, key[i])
	}
	return string(append(b, '"'))
}

func trimOWS(s string) string {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	for len(s) > 0 && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t') {
		s = s[:len(s)-1]
	}
	return s
}
