package ratekey_test

import (
	"strings"
	"testing"

	"github.com/paved-go/paved/internal/ratekey"
	"github.com/stretchr/testify/assert"
)

func TestNormalize(t *testing.T) {
	long := strings.Repeat("a", 300)
	for _, tc := range []struct {
		name, key string
		plain     bool
	}{
		{"empty", "", true},
		{"short", "tenant-42", true},
		{"at the limit", long[:256], true},
		{"too long", long, false},
		{"space", "a b", false},
		{"control", "a\x00b", false},
		{"newline", "a\nb", false},
		{"non-ASCII", "café", false},
		{"invalid UTF-8", "\xff\xfe", false},
		{"hash tag open", "a{b", false},
		{"hash tag close", "a}b", false},
		{"digest prefix", "#abc", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := ratekey.Normalize(tc.key, 256)
			if tc.plain {
				assert.Equal(t, tc.key, got)
				return
			}
			assert.Len(t, got, ratekey.DigestLen)
			assert.Equal(t, byte(ratekey.DigestPrefix), got[0])
			assert.NotContains(t, got, "{")
			assert.NotContains(t, got, "}")
			assert.Equal(t, got, ratekey.Normalize(tc.key, 256), "deterministic")
		})
	}
	assert.NotEqual(t, ratekey.Normalize(long, 256), ratekey.Normalize(long+"b", 256), "distinct long keys stay distinct")
	d := ratekey.Normalize(long, 256)
	assert.NotEqual(t, d, ratekey.Normalize(d, 256), "a digest given as a key is digested again, never equal to the key it came from")
}
