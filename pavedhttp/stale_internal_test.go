package pavedhttp

import (
	"net/http"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
)

// Dropping a URL's last variant forgets the URL: the index never outgrows
// MaxEntries, however many URLs and variants pass through.
func TestStaleDropForgetsURL(t *testing.T) {
	s := MustNewStale(WithStaleMaxEntries(3))
	for i := range 100 {
		url := "http://x/" + strconv.Itoa(i%7)
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		req.Header.Set("Accept-Language", strconv.Itoa(i%5))
		vary, ok := varyOf(req, &http.Response{Header: http.Header{"Vary": {"Accept-Language"}}})
		assert.True(t, ok)
		s.store(&staleEntry{key: url, vary: vary, status: 200, header: http.Header{}, at: s.cfg.clk.Now()})
		assert.LessOrEqual(t, len(s.entries), 3)
		n := 0
		for _, vs := range s.entries {
			assert.NotEmpty(t, vs)
			n += len(vs)
		}
		assert.Equal(t, s.lru.Len(), n, "every copy indexed once")
	}
}

func TestListMembers(t *testing.T) {
	for _, tt := range []struct {
		line string
		want []string
	}{
		{"", nil},
		{" , ,", nil},
		{"a", []string{"a"}},
		{" a ,\tb\t", []string{"a", "b"}},
		{`"a, b", c`, []string{`"a, b"`, "c"}},
		{`"a\", b", c`, []string{`"a\", b"`, "c"}},
		{`"unterminated, x`, []string{`"unterminated, x`}},
	} {
		assert.Equal(t, tt.want, listMembers(tt.line), "%q", tt.line)
	}
}
