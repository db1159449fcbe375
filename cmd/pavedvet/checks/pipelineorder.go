package checks

import (
	"fmt"
	"go/ast"
	"go/constant"
	"go/types"
	"slices"
	"strings"
	"time"

	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/analysis/passes/inspect"
	"golang.org/x/tools/go/ast/inspector"
)

// PipelineOrder checks STANDARDS.md RS-15, pipeline composition order, in
// paved.New and paved.Chain calls whose middleware are visible statically.
// The paved order, outermost first, is
//
//	total timeout, retry (or hedge), breaker, bulkhead, rate limit, attempt timeout
//
// A timeout listed before the retry is the total; one listed after it is the
// per-attempt timeout. The analyzer reports
//   - a second retry or hedge: attempts multiply (3 × 3 = 9), RS-4;
//   - a policy listed inside one that belongs inside it (a breaker outside
//     the retry counts one failure per call instead of per attempt; a
//     policy inside the attempt timeout, a retry among them, runs within one
//     attempt's deadline);
//   - a total timeout no longer than an attempt timeout, both constant: the
//     retry runs inside what is in effect a per-attempt timeout, so a hung
//     attempt leaves no time to try again.
//
// Middleware it does not know (a variable of interface type, a user's own)
// are skipped. When every middleware is known and only the order is wrong, a
// suggested fix puts them in the paved order.
var PipelineOrder = &analysis.Analyzer{
	Name:     "pipelineorder",
	Doc:      "RS-15: paved.New / paved.Chain list their policies in the paved order (total timeout, retry/hedge, breaker, bulkhead, rate limit, attempt timeout)",
	URL:      "https://github.com/paved-go/paved/blob/main/docs/pavedvet.md#rs-15-pipeline-order",
	Requires: []*analysis.Analyzer{inspect.Analyzer, Ignore},
	Run:      runPipelineOrder,
}

type policyKind int

const (
	kUnknown policyKind = iota
	kOption             // a paved.Option: configures, wraps nothing
	kTimeout
	kRetry
	kHedge
	kBreaker
	kBulkhead
	kRateLimit
)

func (k policyKind) String() string {
	return [...]string{"middleware", "option", "timeout", "retry", "hedge", "breaker", "bulkhead", "rate limit"}[k]
}

// element is one middleware of a pipeline, in order.
type element struct {
	expr  ast.Expr
	kind  policyKind
	d     time.Duration // a timeout's constant duration, 0 if not constant
	rank  int           // its place in the paved order, 1..6
	role  string        // "total timeout", "attempt timeout", or the kind
	index int           // argument position, from 1
}

func runPipelineOrder(pass *analysis.Pass) (any, error) {
	rep := newReporter(pass, RS15)
	vals := newValues(pass)
	ins := pass.ResultOf[inspect.Analyzer].(*inspector.Inspector)
	for _, f := range checkedFiles(pass) {
		root, _ := ins.Root().FindNode(f)
		for c := range root.Preorder((*ast.CallExpr)(nil)) {
			call := c.Node().(*ast.CallExpr)
			args, ok := pipelineArgs(pass.TypesInfo, call)
			if !ok {
				continue
			}
			if parent, ok := c.Parent().Node().(*ast.CallExpr); ok {
				if _, inner := pipelineArgs(pass.TypesInfo, parent); inner {
					continue // a Chain inside New or Chain: checked with its parent
				}
			}
			var els []element
			flat := true
			var flatten func([]ast.Expr)
			flatten = func(args []ast.Expr) {
				for _, a := range args {
					if inner, ok := ast.Unparen(a).(*ast.CallExpr); ok {
						if ia, ok := pipelineArgs(pass.TypesInfo, inner); ok && isPkgFunc(callee(pass.TypesInfo, inner), pavedPath, "Chain") {
							flat = false
							flatten(ia)
							continue
						}
					}
					els = append(els, element{expr: a, kind: kindOf(pass.TypesInfo.TypeOf(a)), index: len(els) + 1})
				}
			}
			flatten(args)
			checkOrder(pass, rep, vals, f, call, els, flat)
		}
	}
	return nil, nil
}

// pipelineArgs returns the middleware arguments of paved.New or paved.Chain.
func pipelineArgs(info *types.Info, call *ast.CallExpr) ([]ast.Expr, bool) {
	if call.Ellipsis.IsValid() {
		return nil, false // a slice: not visible
	}
	switch fn := callee(info, call); {
	case isPkgFunc(fn, pavedPath, "New") && len(call.Args) >= 1:
		return call.Args[1:], true
	case isPkgFunc(fn, pavedPath, "Chain"):
		return call.Args, true
	}
	return nil, false
}

// kindOf tells a middleware by its type.
func kindOf(t types.Type) policyKind {
	if p, ok := t.(*types.Pointer); ok {
		t = p.Elem()
	}
	n, ok := types.Unalias(t).(*types.Named)
	if !ok || n.Obj().Pkg() == nil {
		return kUnknown
	}
	path := n.Obj().Pkg().Path()
	if !inPaved(path) {
		return kUnknown
	}
	sub := strings.TrimPrefix(strings.TrimPrefix(path, pavedPath), "/")
	top, _, _ := strings.Cut(sub, "/")
	switch {
	case path == pavedPath && n.Obj().Name() == "Option":
		return kOption
	case top == "timeout":
		return kTimeout
	case top == "retry":
		return kRetry
	case top == "hedge":
		return kHedge
	case top == "breaker":
		return kBreaker
	case top == "bulkhead":
		return kBulkhead
	case top == "ratelimit":
		return kRateLimit
	}
	return kUnknown
}

var rankOf = map[policyKind]int{kRetry: 2, kHedge: 2, kBreaker: 3, kBulkhead: 4, kRateLimit: 5}

const paveOrder = "the paved order, outermost first, is total timeout, retry/hedge, breaker, bulkhead, rate limit, attempt timeout"

func checkOrder(pass *analysis.Pass, rep *reporter, vals *values, file *ast.File, call *ast.CallExpr, els []element, flat bool) {
	// Which timeouts are totals and which per attempt.
	firstRetry := slices.IndexFunc(els, func(e element) bool { return e.kind == kRetry || e.kind == kHedge })
	firstOther := slices.IndexFunc(els, func(e element) bool { return rankOf[e.kind] != 0 })
	known := 0
	for i := range els {
		e := &els[i]
		switch {
		case e.kind == kTimeout:
			e.d = timeoutDuration(pass, vals, e.expr)
			total := (firstRetry >= 0 && i < firstRetry) || (firstRetry < 0 && (firstOther < 0 || i < firstOther))
			if total {
				e.rank, e.role = 1, "total timeout"
			} else {
				e.rank, e.role = 6, "attempt timeout"
			}
		case rankOf[e.kind] != 0:
			e.rank, e.role = rankOf[e.kind], e.kind.String()
		}
		if e.rank != 0 {
			known++
		}
	}
	if known < 2 {
		return
	}

	// A second retry or hedge.
	reported := false
	var first *element
	for i := range els {
		e := &els[i]
		if e.kind != kRetry && e.kind != kHedge {
			continue
		}
		if first == nil {
			first = e
			continue
		}
		reported = true
		rep.report(e.expr.Pos(), e.expr.End(), nil, "a second retry layer: this %s (argument %d) repeats each attempt of the %s (argument %d), so attempts multiply (3 × 3 = 9); keep one retry or hedge per pipeline (RS-4)", e.kind, e.index, first.kind, first.index)
	}

	// Order.
	var outer *element
	for i := range els {
		e := &els[i]
		if e.rank == 0 {
			continue
		}
		if outer != nil && e.rank < outer.rank && !reported {
			reported = true // one order finding per pipeline: the fix sorts them all
			rep.report(e.expr.Pos(), e.expr.End(), orderFix(pass, call, els, flat), "%s (argument %d) is inside the %s (argument %d): %s; %s", e.role, e.index, outer.role, outer.index, consequence(e, outer), paveOrder)
		}
		if outer == nil || e.rank > outer.rank {
			outer = e
		}
	}

	// A total no longer than an attempt's timeout.
	for i := range els {
		t := &els[i]
		if t.role != "total timeout" || t.d == 0 {
			continue
		}
		for j := range els {
			a := &els[j]
			if a.role == "attempt timeout" && a.d != 0 && t.d <= a.d {
				rep.report(t.expr.Pos(), t.expr.End(), nil, "the total timeout (%s, argument %d) is not longer than the attempt timeout (%s, argument %d): the retry runs inside what is in effect one attempt's deadline, so a hung attempt leaves no time to try again", t.d, t.index, a.d, a.index)
				return
			}
		}
	}
}

// consequence says what goes wrong when inner is listed inside outer.
func consequence(inner, outer *element) string {
	resource := map[policyKind]string{kBulkhead: "slot", kRateLimit: "token"}
	switch {
	case outer.role == "attempt timeout" && (inner.kind == kRetry || inner.kind == kHedge):
		return "every retry runs within one attempt's deadline, so a hung attempt leaves no time to try again"
	case outer.role == "attempt timeout":
		return fmt.Sprintf("the attempt's deadline also bounds the %s's own wait", inner.role)
	case inner.role == "total timeout":
		return fmt.Sprintf("the %s is outside the total deadline, so its waits are unbounded", outer.role)
	case (inner.kind == kRetry || inner.kind == kHedge) && outer.kind == kBreaker:
		return fmt.Sprintf("the breaker sees one call however many attempts the %s makes", inner.kind)
	case inner.kind == kRetry || inner.kind == kHedge:
		return fmt.Sprintf("the %s counts calls, not attempts, and the call holds its %s through every backoff", outer.role, resource[outer.kind])
	}
	return fmt.Sprintf("a call the %s refuses has already taken the %s's %s", inner.role, outer.role, resource[outer.kind])
}

// timeoutDuration is timeout.New/MustNew's constant duration, followed
// through local variables; 0 when it is not constant.
func timeoutDuration(pass *analysis.Pass, vals *values, e ast.Expr) time.Duration {
	for range 4 {
		switch x := ast.Unparen(e).(type) {
		case *ast.CallExpr:
			fn := callee(pass.TypesInfo, x)
			if fn == nil || len(x.Args) == 0 || !isPkgFunc(fn, pavedPath+"/timeout", "New", "MustNew") {
				return 0
			}
			if v := pass.TypesInfo.Types[x.Args[0]].Value; v != nil {
				if n, ok := constant.Int64Val(v); ok && n > 0 {
					return time.Duration(n)
				}
			}
			return 0
		case *ast.Ident:
			vs, ok := vals.of(x)
			if !ok || len(vs) != 1 || vs[0] == nil {
				return 0
			}
			e = vs[0]
		default:
			return 0
		}
	}
	return 0
}

// orderFix sorts the middleware into the paved order when every one is
// known, the call lists them directly, and no comment would be left beside
// the wrong argument.
func orderFix(pass *analysis.Pass, call *ast.CallExpr, els []element, flat bool) []analysis.SuggestedFix {
	if !flat {
		return nil
	}
	for _, e := range els {
		if e.rank == 0 && e.kind != kOption {
			return nil
		}
		if e.kind == kRetry || e.kind == kHedge {
			if n := slices.IndexFunc(els, func(o element) bool { return (o.kind == kRetry || o.kind == kHedge) && o.expr != e.expr }); n >= 0 {
				return nil
			}
		}
	}
	file := fileOf(pass, call.Pos())
	for _, cg := range file.Comments {
		if cg.Pos() > call.Lparen && cg.End() < call.Rparen {
			return nil
		}
	}
	tf := pass.Fset.File(call.Pos())
	src, err := pass.ReadFile(tf.Name())
	if err != nil {
		return nil
	}
	text := func(e ast.Expr) []byte { return src[tf.Offset(e.Pos()):tf.Offset(e.End())] }
	var slots []int // indices of middleware (options stay where they are)
	for i, e := range els {
		if e.rank != 0 {
			slots = append(slots, i)
		}
	}
	sorted := make([]element, len(slots))
	for i, s := range slots {
		sorted[i] = els[s]
	}
	slices.SortStableFunc(sorted, func(a, b element) int { return a.rank - b.rank })
	var edits []analysis.TextEdit
	for i, s := range slots {
		if sorted[i].expr == els[s].expr {
			continue
		}
		edits = append(edits, analysis.TextEdit{Pos: els[s].expr.Pos(), End: els[s].expr.End(), NewText: text(sorted[i].expr)})
	}
	if len(edits) == 0 {
		return nil
	}
	return []analysis.SuggestedFix{{Message: "Put the policies in the paved order", TextEdits: edits}}
}
