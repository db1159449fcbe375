package redisbreaker

import (
	"fmt"
	"strings"
)

// tagEscape starts the hash tag of a name that cannot be its own tag. Names
// that start with it are escaped too, so an escaped tag never equals an
// ordinary name's.
const tagEscape = '%'

// tagReplacer percent-encodes the two bytes an escaped tag must not carry
// literally: '}' (it would end the tag) and the escape itself (so the encoding
// can be decoded, hence is injective).
var tagReplacer = strings.NewReplacer("%", "%25", "}", "%7D")

// hashTag is the Redis Cluster hash tag for the breaker named name: the name
// itself for an ordinary name, so existing deployments keep their keys, and
// otherwise '%' followed by the name with '%' and '}' percent-encoded. A name
// is ordinary when it is not empty, has no '}' and does not start with '%'.
//
// A Redis Cluster hashes only what is between the first '{' of a key and the
// first '}' after it, when that is not empty; an empty tag ("{}", as the name
// "" or "}" or "}x" gave) hashes the whole key, and the two keys of a breaker
// then land in different slots, which fails the script with CROSSSLOT. The
// result here is never empty and has no '}'; distinct names give distinct
// tags.
func hashTag(name string) string {
	if name != "" && name[0] != tagEscape && !strings.Contains(name, "}") {
		return name
	}
	return string(tagEscape) + tagReplacer.Replace(name)
}

// keys returns the sync script's KEYS for the breaker named name: the counts
// hash and the open key, which share one hash tag.
func keys(prefix, name string) []string {
	k := prefix + "{" + hashTag(name) + "}:"
	return []string{k + "counts", k + "open"}
}

// checkPrefix rejects a key prefix whose first '{' is followed at once by '}':
// the prefix would then hold every key's (empty) hash tag, and a Redis
// Cluster would put a breaker's two keys in different slots. Any other prefix
// is safe: if it has a non-empty tag of its own, both keys of every breaker
// share it (so all breakers of that prefix share one slot); if not, the tag
// is the breaker's own.
func checkPrefix(prefix string) error {
	if i := strings.IndexByte(prefix, '{'); i >= 0 && strings.HasPrefix(prefix[i+1:], "}") {
		return fmt.Errorf("redisbreaker: KeyPrefix %q has an empty Redis Cluster hash tag \"{}\", "+
			"which would put a breaker's two keys in different slots", prefix)
	}
	return nil
}
