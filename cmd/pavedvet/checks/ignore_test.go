package checks_test

import (
	"testing"

	"github.com/paved-go/paved/cmd/pavedvet/checks"
	"golang.org/x/tools/go/analysis/analysistest"
)

// TestIgnoreSuppresses proves which directives silence a finding: on its
// line or alone on the line above, for the rules it names, with a reason.
func TestIgnoreSuppresses(t *testing.T) {
	analysistest.Run(t, analysistest.TestData(), checks.Deadline, "ignore")
}

// TestIgnoreDirectives proves malformed directives are findings themselves.
func TestIgnoreDirectives(t *testing.T) {
	analysistest.Run(t, analysistest.TestData(), checks.Ignore, "directives")
}
