package checks_test

import (
	"fmt"
	"testing"

	"github.com/paved-go/paved/cmd/pavedvet/checks"
	"github.com/stretchr/testify/require"
	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/analysis/analysistest"
)

func TestRetryLoop(t *testing.T) {
	analysistest.Run(t, analysistest.TestData(), checks.RetryLoop, "rs2")
}

// TestTestSupportSkipped proves test-support packages (by import of testing
// or by name) are not checked, by any analyzer.
func TestTestSupportSkipped(t *testing.T) {
	for _, a := range []*analysis.Analyzer{checks.RetryLoop, checks.Deadline, checks.BodyClose} {
		analysistest.Run(t, analysistest.TestData(), a, "rs2/testutil", "rs2support")
	}
}

type recorder struct{ errs []string }

func (r *recorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

// TestTestsFlag proves -NAME.tests=true checks test support too.
func TestTestsFlag(t *testing.T) {
	require.NoError(t, checks.RetryLoop.Flags.Set("tests", "true"))
	defer func() { require.NoError(t, checks.RetryLoop.Flags.Set("tests", "false")) }()
	var r recorder
	analysistest.Run(&r, analysistest.TestData(), checks.RetryLoop, "rs2support")
	require.Len(t, r.errs, 1)
	require.Contains(t, r.errs[0], "unexpected diagnostic: RS-2: hand-written retry loop has no bound on its attempts and no jitter")
}
