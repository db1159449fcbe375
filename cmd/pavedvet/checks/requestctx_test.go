package checks_test

import (
	"testing"

	"github.com/paved-go/paved/cmd/pavedvet/checks"
	"golang.org/x/tools/go/analysis/analysistest"
)

func TestRequestContext(t *testing.T) {
	analysistest.RunWithSuggestedFixes(t, analysistest.TestData(), checks.RequestContext, "rs12")
}
