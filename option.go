package paved

import "github.com/paved-go/paved/telemetry"

// Option configures a Pipeline. Options are given to New among its middleware;
// they wrap nothing.
type Option struct {
	apply func(*Pipeline)
}

// Wrap returns next unchanged: an Option configures the pipeline when New
// builds it and adds nothing to a call.
func (o *Option) Wrap(next Op) Op { return next }

// WithClassifier makes c classify every error of the pipeline, overriding the
// classifier the adapters install for their transport. Default: the adapter's,
// else DefaultClassifier.
func WithClassifier(c Classifier) *Option {
	return &Option{apply: func(p *Pipeline) { p.classifier = c }}
}

// WithTelemetry makes the pipeline report through t. Default: telemetry.New(),
// the global OpenTelemetry providers and no logger.
func WithTelemetry(t *telemetry.Telemetry) *Option {
	return &Option{apply: func(p *Pipeline) { p.tel = t }}
}
