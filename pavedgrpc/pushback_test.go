package pavedgrpc_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"google.golang.org/grpc/codes"
	testgrpc "google.golang.org/grpc/interop/grpc_testing"
	"google.golang.org/grpc/metadata"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/pavedgrpc"
)

func TestParsePushback(t *testing.T) {
	tests := []struct {
		name   string
		md     metadata.MD
		want   time.Duration
		wantOK bool
	}{
		{"absent", metadata.MD{}, 0, false},
		{"nil", nil, 0, false},
		{"zero", metadata.Pairs(pavedgrpc.PushbackKey, "0"), 0, true},
		{"valid", metadata.Pairs(pavedgrpc.PushbackKey, "1500"), 1500 * time.Millisecond, true},
		{"max int32", metadata.Pairs(pavedgrpc.PushbackKey, "2147483647"), 2147483647 * time.Millisecond, true},
		{"negative", metadata.Pairs(pavedgrpc.PushbackKey, "-1"), -1, true},
		{"garbage", metadata.Pairs(pavedgrpc.PushbackKey, "soon"), -1, true},
		{"empty", metadata.Pairs(pavedgrpc.PushbackKey, ""), -1, true},
		{"fraction", metadata.Pairs(pavedgrpc.PushbackKey, "1.5"), -1, true},
		{"overflow int32", metadata.Pairs(pavedgrpc.PushbackKey, "2147483648"), -1, true},
		{"first of several", metadata.Pairs(pavedgrpc.PushbackKey, "10", pavedgrpc.PushbackKey, "20"), 10 * time.Millisecond, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, ok := pavedgrpc.ParsePushback(tt.md)
			assert.Equal(t, tt.wantOK, ok)
			assert.Equal(t, tt.want, d)
		})
	}
}

// TestPushbackFromTrailers reads the pushback a real server sends in its
// trailers, through the interceptor, as the policies see it.
func TestPushbackFromTrailers(t *testing.T) {
	tests := []struct {
		name     string
		value    string
		want     time.Duration
		wantHint bool // a positive delay for the retry policy
	}{
		{"valid", "1500", 1500 * time.Millisecond, true},
		{"negative", "-5", -1, false},
		{"garbage", "later", -1, false},
		{"overflow", "99999999999", -1, false},
	}
	svc := &testService{}
	addr := startServer(t, svc)
	p := paved.New("pushback")
	client := dial(t, addr, pavedgrpc.DialOptions(p)...)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			svc.mu.Lock()
			svc.script = []reply{{code: codes.Unavailable, pushback: tt.value}}
			svc.mu.Unlock()
			_, err := client.UnaryCall(context.Background(), &testgrpc.SimpleRequest{})
			require.Equal(t, codes.Unavailable, statusCode(err))
			var se *pavedgrpc.StatusError
			require.ErrorAs(t, err, &se)
			d, ok := se.Pushback()
			assert.True(t, ok)
			assert.Equal(t, tt.want, d)
			ra, ok := paved.RetryAfter(err)
			require.True(t, ok)
			assert.Equal(t, tt.wantHint, ra > 0)
			assert.Equal(t, !tt.wantHint, ra < 0, "negative means do not retry")
		})
	}
	t.Run("none", func(t *testing.T) {
		svc.mu.Lock()
		svc.script = []reply{{code: codes.Unavailable}}
		svc.mu.Unlock()
		_, err := client.UnaryCall(context.Background(), &testgrpc.SimpleRequest{})
		var se *pavedgrpc.StatusError
		require.ErrorAs(t, err, &se)
		_, ok := se.Pushback()
		assert.False(t, ok)
		assert.Zero(t, se.RetryAfter())
	})
}

func FuzzParsePushback(f *testing.F) {
	for _, s := range []string{"0", "1500", "-1", "2147483647", "2147483648", "-2147483649", "", "abc", "+5", " 5", "1e3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		d, ok := pavedgrpc.ParsePushback(metadata.MD{pavedgrpc.PushbackKey: {v}})
		if !ok {
			t.Fatalf("ParsePushback(%q): key present but ok=false", v)
		}
		if d != -1 && (d < 0 || d > 2147483647*time.Millisecond) {
			t.Fatalf("ParsePushback(%q) = %v, outside 0..MaxInt32 ms and not -1", v, d)
		}
	})
}
