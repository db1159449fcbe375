package pavedhttp_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/trace"

	"github.com/paved-go/paved"
	"github.com/paved-go/paved/pavedhttp"
)

// urlFulls sends one GET to path through a traced transport made with opts
// and returns the url.full of its attempt span.
func urlFull(t *testing.T, path string, opts ...pavedhttp.Option) string {
	t.Helper()
	srv := newScript(t, 200)
	tel, exp := newTracing(t)
	client := &http.Client{Transport: pavedhttp.NewTransport(paved.New("s3", paved.WithTelemetry(tel)), newBase(t), opts...)}
	resp, err := client.Get(srv.URL + path)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	for _, s := range exp.GetSpans() {
		if s.SpanKind == trace.SpanKindClient {
			v, ok := attr(s.Attributes, "url.full")
			require.True(t, ok, "the attempt span has url.full")
			return v.AsString()[len(srv.URL):]
		}
	}
	t.Fatal("no attempt span")
	return ""
}

// The attempt span's url.full redacts the query values that the semantic
// conventions name, and only those; the request sent is untouched.
func TestURLFullRedactsSensitiveQueryValues(t *testing.T) {
	tests := []struct{ path, want string }{
		{"/o?AWSAccessKeyId=AKIA1&Signature=s1g&Expires=1", "/o?AWSAccessKeyId=REDACTED&Signature=REDACTED&Expires=1"},
		{"/blob?sv=2020&sig=abc%2Fdef&se=x", "/blob?sv=2020&sig=REDACTED&se=x"},
		{"/g?X-Goog-Signature=ff00&X-Goog-Date=1", "/g?X-Goog-Signature=REDACTED&X-Goog-Date=1"},
		{"/plain?page=2&q=shoes", "/plain?page=2&q=shoes"},
		{"/none", "/none"},
		{"/flag?sig", "/flag?sig"}, // no value to redact
		{"/esc?Sig%6Eature=x&a=1", "/esc?Sig%6Eature=REDACTED&a=1"}, // the key unescaped
		{"/last?a=1&&sig=2", "/last?a=1&&sig=REDACTED"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			assert.Equal(t, tt.want, urlFull(t, tt.path))
		})
	}
}

func TestURLFullRedactsEveryQueryValueWhenAsked(t *testing.T) {
	assert.Equal(t, "/p?token=REDACTED&page=REDACTED&flag",
		urlFull(t, "/p?token=t0k3n&page=2&flag", pavedhttp.WithRedactedQuery()))
}
