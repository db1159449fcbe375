package pavedhttp_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/paved-go/paved/pavedhttp"
)

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2015, 10, 21, 7, 28, 0, 0, time.UTC)
	tests := []struct {
		name string
		in   string
		want time.Duration
		ok   bool
	}{
		{"zero", "0", 0, true},
		{"seconds", "120", 120 * time.Second, true},
		{"leading zeros", "007", 7 * time.Second, true},
		{"surrounding whitespace", " 5\t", 5 * time.Second, true},
		{"clamped", "99999999999999999999999999999", pavedhttp.MaxRetryAfter, true},
		{"just over the clamp", "86401", pavedhttp.MaxRetryAfter, true},
		{"at the clamp", "86400", pavedhttp.MaxRetryAfter, true},
		{"IMF-fixdate", "Wed, 21 Oct 2015 07:30:00 GMT", 2 * time.Minute, true},
		{"RFC 850", "Wednesday, 21-Oct-15 07:30:00 GMT", 2 * time.Minute, true},
		{"asctime", "Wed Oct 21 07:30:00 2015", 2 * time.Minute, true},
		{"date in the past", "Wed, 21 Oct 2015 07:00:00 GMT", 0, true},
		{"date far ahead", "Fri, 31 Dec 9999 23:59:59 GMT", pavedhttp.MaxRetryAfter, true},
		{"empty", "", 0, false},
		{"blank", "  ", 0, false},
		{"negative", "-1", 0, false},
		{"plus sign", "+1", 0, false},
		{"fraction", "1.5", 0, false},
		{"inner space", "1 2", 0, false},
		{"unit", "10s", 0, false},
		{"garbage", "soon", 0, false},
		{"bad date", "Wed, 32 Oct 2015 07:30:00 GMT", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := pavedhttp.ParseRetryAfter(tt.in, now)
			assert.Equal(t, tt.ok, ok)
			assert.Equal(t, tt.want, got)
		})
	}
}

func FuzzParseRetryAfter(f *testing.F) {
	for _, s := range []string{"0", "120", "-1", "1.5", "99999999999999999999", "Wed, 21 Oct 2015 07:28:00 GMT",
		"Wednesday, 21-Oct-15 07:28:00 GMT", "Sun Nov  6 08:49:37 1994", "", " 1 "} {
		f.Add(s, int64(1445412480))
	}
	f.Fuzz(func(t *testing.T, v string, unix int64) {
		d, ok := pavedhttp.ParseRetryAfter(v, time.Unix(unix, 0))
		if d < 0 || d > pavedhttp.MaxRetryAfter {
			t.Fatalf("ParseRetryAfter(%q) = %v, outside [0, MaxRetryAfter]", v, d)
		}
		if !ok && d != 0 {
			t.Fatalf("ParseRetryAfter(%q) = %v, false; want 0 when invalid", v, d)
		}
	})
}
