package checks_test

import (
	"testing"

	"github.com/paved-go/paved/cmd/pavedvet/checks"
	"golang.org/x/tools/go/analysis/analysistest"
)

func TestRetryLoop(t *testing.T) {
	analysistest.Run(t, analysistest.TestData(), checks.RetryLoop, "rs2")
}
