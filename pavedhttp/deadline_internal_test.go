package pavedhttp

import (
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestParseDeadlineHeader(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"1", time.Millisecond, true},
		{"250", 250 * time.Millisecond, true},
		{" 250\t", 250 * time.Millisecond, true},
		{"0000000001", time.Millisecond, true},
		{"9999999999", 9999999999 * time.Millisecond, true},
		{"", 0, false},
		{"0", 0, false},
		{"00", 0, false},
		{"-1", 0, false},
		{"+1", 0, false},
		{"1.5", 0, false},
		{"10ms", 0, false},
		{"1 0", 0, false},
		{"10000000000", 0, false},
		{"99999999999999999999999", 0, false},
		{"\u0661", 0, false}, // a non-ASCII digit
	}
	for _, tt := range tests {
		t.Run(strconv.Quote(tt.in), func(t *testing.T) {
			got, ok := ParseDeadlineHeader(tt.in)
			assert.Equal(t, tt.ok, ok)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestDeadlineMillis(t *testing.T) {
	now := time.Unix(1000, 0)
	tests := []struct {
		left time.Duration
		want string
		ok   bool
	}{
		{1500 * time.Microsecond, "1", true},
		{999 * time.Microsecond, "1", true}, // at least 1: 0 is not a valid value
		{2 * time.Second, "2000", true},
		{2*time.Second - time.Nanosecond, "1999", true}, // rounded down
		{200 * 24 * time.Hour, "9999999999", true},      // capped at 10 digits
		{0, "", false},
		{-time.Second, "", false},
	}
	for _, tt := range tests {
		got, ok := deadlineMillis(now.Add(tt.left), now)
		assert.Equal(t, tt.ok, ok, "%v", tt.left)
		assert.Equal(t, tt.want, got, "%v", tt.left)
	}
}

// FuzzParseDeadlineHeader checks that no header value panics the parser, and
// that whatever it accepts is a positive whole number of milliseconds of at
// most 10 digits that round-trips through the formatter.
func FuzzParseDeadlineHeader(f *testing.F) {
	for _, s := range []string{"1", "250", "9999999999", "10000000000", "0", "-1", "1.5", " 7 ", "", "abc", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		d, ok := ParseDeadlineHeader(v)
		if !ok {
			if d != 0 {
				t.Fatalf("rejected %q but returned %v", v, d)
			}
			return
		}
		if d < time.Millisecond || d > maxDeadlineMillis*time.Millisecond || d%time.Millisecond != 0 {
			t.Fatalf("accepted %q as %v", v, d)
		}
		now := time.Unix(0, 0)
		s, ok := deadlineMillis(now.Add(d), now)
		if !ok {
			t.Fatalf("cannot format %v", d)
		}
		if back, ok := ParseDeadlineHeader(s); !ok || back != d {
			t.Fatalf("%q -> %v -> %q -> %v, %v", v, d, s, back, ok)
		}
	})
}
