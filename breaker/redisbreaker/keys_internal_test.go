package redisbreaker

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// clusterTag is what a Redis Cluster hashes of key (keyHashSlot in Redis's
// cluster.c): what is between the first '{' and the first '}' after it when
// that is not empty, else the whole key.
func clusterTag(key string) (tag string, ok bool) {
	i := strings.IndexByte(key, '{')
	if i < 0 {
		return key, false
	}
	j := strings.IndexByte(key[i+1:], '}')
	if j <= 0 {
		return key, false
	}
	return key[i+1 : i+1+j], true
}

func TestKeys(t *testing.T) {
	tests := []struct{ name, tag string }{
		{"payments", "payments"}, // as before: existing deployments keep their keys
		{"a{b", "a{b"},
		{"{", "{"},
		{"", "%"},
		{"}", "%%7D"},
		{"}x", "%%7Dx"},
		{"a}b", "%a%7Db"},
		{"{}", "%{%7D"},
		{"%", "%%25"},
		{"%7D", "%%257D"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := keys("p:", tt.name)
			assert.Equal(t, []string{"p:{" + tt.tag + "}:counts", "p:{" + tt.tag + "}:open"}, k)
		})
	}
}

// Whatever the name and the accepted prefix, a breaker's two keys share one
// non-empty hash tag, and distinct names never share keys.
func TestKeysShareATag(t *testing.T) {
	names := []string{"", "}", "}}", "}x", "x}", "a}b", "{", "{}", "{}}", "}{", "%", "%%", "%25",
		"%7D", "%}", "payments", "a{b}c", "~", " ", "\x00"}
	for _, prefix := range []string{"", "paved:breaker:", "a{", "a{b", "a{b}", "}", "}{x}", "a}{"} {
		require.NoError(t, checkPrefix(prefix), prefix)
		seen := map[string]string{}
		for _, name := range names {
			k := keys(prefix, name)
			tag0, ok0 := clusterTag(k[0])
			tag1, ok1 := clusterTag(k[1])
			assert.True(t, ok0 && ok1, "prefix %q name %q: keys %q have no hash tag", prefix, name, k)
			assert.Equal(t, tag0, tag1, "prefix %q name %q: keys %q", prefix, name, k)
			if other, dup := seen[k[0]]; dup {
				t.Errorf("prefix %q: names %q and %q share key %q", prefix, other, name, k[0])
			}
			seen[k[0]] = name
		}
	}
}

func TestCheckPrefix(t *testing.T) {
	for _, prefix := range []string{"{}", "a{}", "a{}b", "}{}", "x{}{y}"} {
		assert.ErrorContains(t, checkPrefix(prefix), "KeyPrefix", prefix)
	}
}
