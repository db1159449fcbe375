package checks_test

import (
	"testing"

	"github.com/paved-go/paved/cmd/pavedvet/checks"
	"golang.org/x/tools/go/analysis/analysistest"
)

func TestDeadline(t *testing.T) {
	analysistest.RunWithSuggestedFixes(t, analysistest.TestData(), checks.Deadline, "rs1", "rs1grpc")
}
