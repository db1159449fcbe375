package pavedhttp

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net/http"
	"strings"

	"github.com/paved-go/paved"
)

// Classifier is Classify as a paved.Classifier. NewTransport installs it on
// every call; a pipeline's own WithClassifier overrides it.
var Classifier paved.Classifier = paved.ClassifierFunc(Classify)

// Classify says what kind of outcome an error from an HTTP call is, per
// the HTTP outcome table (docs/reference.md, "HTTP outcomes"):
//
//   - an error with an Outcome() paved.Outcome method in its chain (a
//     *StatusError, paved.Permanent, paved.Transient, a rejection) is that outcome;
//   - errors.Is(err, paved.ErrRejected): Rejected;
//   - the caller's context canceled: Canceled;
//   - TLS and certificate errors, an unsupported URL scheme, too many redirects: Permanent;
//   - connection refused or reset, EOF before the response, dial and other
//     timeouts, and anything else: Transient.
//
// It is safe for concurrent use.
func Classify(err error) paved.Outcome {
	if o, ok := paved.ClassifyKnown(err); ok {
		return o
	}
	if isPermanentTransportError(err) {
		return paved.OutcomePermanent
	}
	return paved.OutcomeTransient
}

// isPermanentTransportError reports errors that repeating the same request
// cannot cure: the peer's certificate or TLS setup is wrong, or the request
// itself is.
func isPermanentTransportError(err error) bool {
	var (
		certVerify  *tls.CertificateVerificationError
		unknownAuth x509.UnknownAuthorityError
		hostname    x509.HostnameError
		invalid     x509.CertificateInvalidError
		record      tls.RecordHeaderError
		alert       tls.AlertError
	)
	switch {
	case errors.As(err, &certVerify), errors.As(err, &unknownAuth), errors.As(err, &hostname),
		errors.As(err, &invalid), errors.As(err, &record), errors.As(err, &alert),
		errors.Is(err, http.ErrSchemeMismatch):
		return true
	}
	// net/http reports these two with untyped errors, so their text is all
	// there is to match (net/http's transport.go and client.go).
	msg := err.Error()
	return strings.Contains(msg, "unsupported protocol scheme") ||
		(strings.Contains(msg, "stopped after ") && strings.Contains(msg, " redirects"))
}
