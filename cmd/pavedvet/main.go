// Command pavedvet checks Go code against paved's resilience standards
// (STANDARDS.md): deadlines on every client call (RS-1), the request's context
// in handlers (RS-12), bounded and jittered retry loops (RS-2), response bodies
// closed (RS-14) and the order of a paved pipeline (RS-15). Every finding
// names its rule; `//pavedvet:ignore RS-n reason` silences a deliberate one.
//
//	go run github.com/paved-go/paved/cmd/pavedvet ./...
//	go vet -vettool=$(which pavedvet) ./...
//
// It is a golang.org/x/tools/go/analysis multichecker: -fix applies the
// suggested fixes, -json prints machine-readable output, and -NAME=false
// turns an analyzer off (deadline, requestctx, retryloop, bodyclose,
// pipelineorder, ignore). docs/pavedvet.md has the details.
package main

import (
	"github.com/paved-go/paved/cmd/pavedvet/checks"
	"golang.org/x/tools/go/analysis/multichecker"
)

func main() { multichecker.Main(checks.Analyzers()...) }
