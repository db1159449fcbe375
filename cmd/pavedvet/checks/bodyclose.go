package checks

import (
	"strings"

	"github.com/timakin/bodyclose/passes/bodyclose"
	"golang.org/x/tools/go/analysis"
)

// BodyClose checks STANDARDS.md RS-14, response bodies closed, by running
// github.com/timakin/bodyclose (the analyzer golangci-lint ships) rather than
// a rewrite of it: an *http.Response whose Body is not closed on every path
// holds its connection, so the pool cannot reuse it and the process leaks
// file descriptors and goroutines. Its findings are prefixed RS-14 and obey
// //pavedvet:ignore; test files are skipped like the other analyzers'.
var BodyClose = &analysis.Analyzer{
	Name:     "bodyclose",
	Doc:      "RS-14: every *http.Response body is closed (github.com/timakin/bodyclose)",
	URL:      "https://github.com/paved-go/paved/blob/main/docs/pavedvet.md#rs-14-response-bodies",
	Requires: append([]*analysis.Analyzer{Ignore}, bodyclose.Analyzer.Requires...),
	Run:      runBodyClose,
}

func runBodyClose(pass *analysis.Pass) (any, error) {
	rep := newReporter(pass, RS14)
	inner := *pass
	inner.Analyzer = bodyclose.Analyzer
	inner.Report = func(d analysis.Diagnostic) {
		if strings.HasSuffix(pass.Fset.File(d.Pos).Name(), "_test.go") {
			return
		}
		rep.report(d.Pos, d.End, d.SuggestedFixes, "%s", d.Message)
	}
	return bodyclose.Analyzer.Run(&inner)
}
