package checks_test

import (
	"regexp"
	"testing"

	"github.com/paved-go/paved/cmd/pavedvet/checks"
	"github.com/stretchr/testify/require"
	"golang.org/x/tools/go/analysis"
)

func TestAnalyzers(t *testing.T) {
	all := checks.Analyzers()
	require.NoError(t, analysis.Validate(all))
	names := map[string]bool{}
	rules := regexp.MustCompile(`^RS-[0-9]+: `)
	for _, a := range all {
		require.False(t, names[a.Name], "duplicate analyzer %s", a.Name)
		names[a.Name] = true
		require.NotEmpty(t, a.URL, a.Name)
		if a != checks.Ignore {
			require.Regexp(t, rules, a.Doc, "%s's doc names its rule", a.Name)
		}
	}
}
