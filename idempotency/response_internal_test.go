package idempotency

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestResponseEncodingRoundTrips(t *testing.T) {
	for _, r := range []*Response{
		{},
		{Code: 201, Header: map[string][]string{"Location": {"/a"}, "Vary": {"x", "y"}, "Empty": {}}, Body: []byte("body")},
		{Code: -3, Body: []byte{0, 1, 2, 255}},
		{Code: 200, Header: map[string][]string{"Content-Type": {"text/plain"}}, BodyOmitted: true, BodySize: 5 << 20},
	} {
		got, err := decodeResponse(r.encode(nil))
		require.NoError(t, err)
		if len(r.Header) == 0 {
			assert.Empty(t, got.Header)
			got.Header = r.Header
		}
		assert.Equal(t, r, got)
	}
	a := (&Response{Header: map[string][]string{"A": {"1"}, "B": {"2"}, "C": {"3"}}}).encode(nil)
	for range 20 {
		b := (&Response{Header: map[string][]string{"C": {"3"}, "A": {"1"}, "B": {"2"}}}).encode(nil)
		require.Equal(t, a, b, "equal responses encode equally")
	}
}

// Whatever a store hands back, decoding never panics, and what decodes
// encodes to a response that decodes the same.
func FuzzDecodeResponse(f *testing.F) {
	f.Add((&Response{Code: 201, Header: map[string][]string{"Location": {"/a"}}, Body: []byte("x")}).encode(nil))
	f.Add((&Response{BodyOmitted: true, BodySize: 9}).encode(nil))
	f.Add([]byte{1, 0, 0, 200, 200, 200, 200})
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := decodeResponse(b)
		if err != nil {
			return
		}
		again, err := decodeResponse(r.encode(nil))
		if err != nil {
			t.Fatalf("re-encoded response does not decode: %v", err)
		}
		if again.Code != r.Code || string(again.Body) != string(r.Body) || len(again.Header) != len(r.Header) || again.BodyOmitted != r.BodyOmitted {
			t.Fatalf("round trip changed the response: %+v -> %+v", r, again)
		}
	})
}
