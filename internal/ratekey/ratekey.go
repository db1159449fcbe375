// Package ratekey turns a caller's key into the key a rate limiter stores,
// the same on every replica: short printable keys as they are, anything else
// (too long, control bytes, non-ASCII, Redis hash-tag braces) as a fixed-size
// digest, so that a hostile caller can make neither a huge entry nor a key
// that escapes a Redis Cluster hash tag.
package ratekey

import (
	"crypto/sha256"
	"encoding/base64"
)

// DigestPrefix starts every digested key. It is a byte Normalize never lets
// through in a plain key, so a plain key never equals a digest.
const DigestPrefix = '#'

// DigestLen is the length of a digested key: the prefix and 22 characters of
// unpadded base64url, 128 bits of SHA-256.
const DigestLen = 1 + 22

// Normalize returns key as it is when it is at most maxLen bytes of printable
// ASCII other than '#', '{' and '}', and otherwise DigestPrefix followed by
// 128 bits of its SHA-256 in base64url. The digest is deterministic, so every
// replica maps a key to the same stored key, and collisions are out of an
// attacker's reach. The empty key stays empty.
func Normalize(key string, maxLen int) string {
	if len(key) <= maxLen && plain(key) {
		return key
	}
	sum := sha256.Sum256([]byte(key))
	var b [DigestLen]byte
	b[0] = DigestPrefix
	base64.RawURLEncoding.Encode(b[1:], sum[:16])
	return string(b[:])
}

func plain(key string) bool {
	for i := 0; i < len(key); i++ {
		c := key[i]
		if c < 0x21 || c > 0x7e || c == DigestPrefix || c == '{' || c == '}' {
			return false
		}
	}
	return true
}
