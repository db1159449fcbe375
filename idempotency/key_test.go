package idempotency_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/paved-go/paved/idempotency"
)

func TestParseHeader(t *testing.T) {
	long := strings.Repeat("a", idempotency.MaxKeyLength)
	for _, tt := range []struct {
		in, want string
		err      string // rule named, "" for valid
	}{
		{`"8e03978e-40d5-43e8-bc93-6894a57f9324"`, "8e03978e-40d5-43e8-bc93-6894a57f9324", ""},
		{`8e03978e-40d5-43e8-bc93-6894a57f9324`, "8e03978e-40d5-43e8-bc93-6894a57f9324", ""},
		{` "abc"	`, "abc", ""},
		{"  abc  ", "abc", ""},
		{`"a\"b\\c"`, `a"b\c`, ""},
		{`"with space"`, "with space", ""},
		{`bare with space`, "bare with space", ""},
		{`"a, b"`, "a, b", ""},
		{`a, b`, "", "comma outside quotes"}, // two field lines a proxy joined
		{`a,b`, "", "comma outside quotes"},
		{`a"b`, `a"b`, ""},
		{`"` + long + `"`, long, ""},
		{long, long, ""},
		{`"` + long + `a"`, "", "longer than 255"},
		{long + "a", "", "longer than 255"},
		{"", "", "empty"},
		{"   ", "", "empty"},
		{`""`, "", "empty"},
		{`"abc`, "", "without closing quote"},
		{`"abc"x`, "", "after the closing quote"},
		{`"abc";p=1`, "", "after the closing quote"},
		{`"a\nb"`, "", "bad escape"},
		{`"a\`, "", "bad escape"},
		{"\"a\x7fb\"", "", "outside printable ASCII"},
		{"a\x00b", "", "outside printable ASCII"},
		{"caf\u00e9", "", "outside printable ASCII"},
		{"\"caf\u00e9\"", "", "outside printable ASCII"},
	} {
		t.Run(tt.in, func(t *testing.T) {
			got, err := idempotency.ParseHeader(tt.in)
			if tt.err == "" {
				require.NoError(t, err)
				assert.Equal(t, tt.want, got)
				return
			}
			require.ErrorIs(t, err, idempotency.ErrInvalidKey)
			assert.Contains(t, err.Error(), tt.err)
			if len(tt.in) > 3 {
				assert.NotContains(t, err.Error(), strings.Trim(tt.in, ` "`), "the error never carries the key")
			}
		})
	}
}

func TestFormatHeaderRoundTrips(t *testing.T) {
	for _, k := range []string{"abc", `a"b`, `a\b`, ` `, `"\"`} {
		got, err := idempotency.ParseHeader(idempotency.FormatHeader(k))
		require.NoError(t, err, k)
		assert.Equal(t, k, got)
	}
	assert.Equal(t, `"a\"b\\c"`, idempotency.FormatHeader(`a"b\c`))
}

// Whatever the header, ParseHeader returns a valid key or an error, never
// panics, and a valid key survives FormatHeader and ParseHeader unchanged.
func FuzzParseHeader(f *testing.F) {
	for _, s := range []string{`"abc"`, `abc`, `"a\"b"`, `""`, `"`, `\`, `"a\`, " \t", `"x";y`, "\x00", "\xff", `","`, `a,b`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		key, err := idempotency.ParseHeader(v)
		if err != nil {
			if !strings.Contains(err.Error(), "invalid key") {
				t.Fatalf("error %q does not say invalid key", err)
			}
			return
		}
		if verr := idempotency.ValidateKey(key); verr != nil {
			t.Fatalf("ParseHeader(%q) = %q, which ValidateKey rejects: %v", v, key, verr)
		}
		again, err := idempotency.ParseHeader(idempotency.FormatHeader(key))
		if err != nil || again != key {
			t.Fatalf("round trip of %q: %q, %v", key, again, err)
		}
		if key[0] != ' ' && key[len(key)-1] != ' ' && key[0] != '"' {
			bare, err := idempotency.ParseHeader(key)
			switch {
			case strings.Contains(key, ","): // a bare comma is two keys: it needs the quoted form
				if err == nil {
					t.Fatalf("bare form of %q with a comma was accepted as %q", key, bare)
				}
			case err != nil || bare != key:
				t.Fatalf("bare form of %q: %q, %v", key, bare, err)
			}
		}
	})
}
