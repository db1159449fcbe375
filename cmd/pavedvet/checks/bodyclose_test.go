package checks_test

import (
	"testing"

	"github.com/paved-go/paved/cmd/pavedvet/checks"
	"golang.org/x/tools/go/analysis/analysistest"
)

// TestBodyClose proves bodyclose runs under pavedvet: its findings carry
// RS-14 and obey //pavedvet:ignore.
func TestBodyClose(t *testing.T) {
	analysistest.Run(t, analysistest.TestData(), checks.BodyClose, "rs14")
}
