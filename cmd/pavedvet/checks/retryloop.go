package checks

import (
	"go/ast"
	"go/token"
	"go/types"
	"strings"

	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/analysis/passes/inspect"
	"golang.org/x/tools/go/ast/inspector"
)

// RetryLoop checks STANDARDS.md RS-2, retries bounded, jittered and budgeted,
// in hand-written retry loops: a for loop that sleeps (time.Sleep, or
// time.After in a select) and leaves on success or goes round again on
// failure — it tests an error it got in the loop against nil and returns,
// breaks or continues on the answer. Such a loop is reported when
//   - nothing bounds it: no loop condition or counter comparison, no
//     deadline (time.Since, ctx.Err(), <-ctx.Done()) ends it, or
//   - its sleep has no jitter: no random number (math/rand, crypto/rand),
//     nor anything named jitter, rand or backoff, feeds the delay, so every
//     client that failed together retries together.
//
// A delay whose origin is not visible (a method of another package's type,
// an unexported helper with rand inside) counts as jittered. The fix is
// paved's retry package, which is bounded, jittered and budgeted; no
// automatic rewrite is offered.
var RetryLoop = &analysis.Analyzer{
	Name:     "retryloop",
	Doc:      "RS-2: hand-written retry loops (a loop around a call with time.Sleep) are bounded and jittered",
	URL:      "https://github.com/paved-go/paved/blob/main/docs/pavedvet.md#rs-2-retry-loops",
	Requires: []*analysis.Analyzer{inspect.Analyzer, Ignore},
	Run:      runRetryLoop,
}

func runRetryLoop(pass *analysis.Pass) (any, error) {
	rep := newReporter(pass, RS2)
	rl := &retryLoops{pass: pass, vals: newValues(pass), funcs: map[*types.Func]*ast.FuncDecl{}}
	for _, f := range pass.Files {
		for _, d := range f.Decls {
			if fd, ok := d.(*ast.FuncDecl); ok {
				if fn, ok := pass.TypesInfo.Defs[fd.Name].(*types.Func); ok {
					rl.funcs[fn] = fd
				}
			}
		}
	}
	ins := pass.ResultOf[inspect.Analyzer].(*inspector.Inspector)
	for _, f := range checkedFiles(pass) {
		root, _ := ins.Root().FindNode(f)
		for c := range root.Preorder((*ast.ForStmt)(nil), (*ast.RangeStmt)(nil)) {
			var label *types.Label
			if ls, ok := c.Parent().Node().(*ast.LabeledStmt); ok {
				label, _ = pass.TypesInfo.Defs[ls.Label].(*types.Label)
			}
			rl.check(rep, c.Node().(ast.Stmt), label)
		}
	}
	return nil, nil
}

type retryLoops struct {
	pass  *analysis.Pass
	vals  *values
	funcs map[*types.Func]*ast.FuncDecl
}

// loopFacts is what one loop's own statements (not nested loops' or
// function literals') contain.
type loopFacts struct {
	sleeps  []ast.Expr // the delays slept
	retries bool       // leaves on success / goes round on failure
	bounded bool       // a counter, deadline or cancellation ends it
}

func (rl *retryLoops) check(rep *reporter, loop ast.Stmt, label *types.Label) {
	var body *ast.BlockStmt
	facts := loopFacts{}
	switch l := loop.(type) {
	case *ast.RangeStmt:
		body = l.Body
		facts.bounded = true // ranging over something finite (or a channel someone closes)
	case *ast.ForStmt:
		body = l.Body
		if l.Cond != nil {
			if rl.boundsCond(l.Cond) {
				facts.bounded = true
			}
			if rl.errCompare(l.Cond, token.NEQ) {
				facts.retries = true // for err != nil { ... }
			}
		}
	}
	rl.scan(body, label, &facts)
	if len(facts.sleeps) == 0 || !facts.retries {
		return
	}
	jittered := false
	for _, d := range facts.sleeps {
		if rl.jittered(d, map[*types.Var]bool{}, 0) {
			jittered = true
		}
	}
	var problem string
	switch {
	case !facts.bounded && !jittered:
		problem = "has no bound on its attempts and no jitter in its sleep"
	case !facts.bounded:
		problem = "has no bound on its attempts (nor a deadline)"
	case !jittered:
		problem = "sleeps without jitter, so clients that failed together retry together"
	default:
		return
	}
	rep.report(loop.Pos(), body.Lbrace, nil, "hand-written retry loop %s; use paved's retry (bounded, jittered, budgeted) or add a max-attempts check and a random jitter", problem)
}

// scan walks the loop's own statements.
func (rl *retryLoops) scan(body *ast.BlockStmt, label *types.Label, facts *loopFacts) {
	info := rl.pass.TypesInfo
	ast.Inspect(body, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.FuncLit, *ast.ForStmt, *ast.RangeStmt:
			return false // their own business
		case *ast.CallExpr:
			fn := callee(info, n)
			if isPkgFunc(fn, timePath, "Sleep", "After", "NewTimer") && len(n.Args) == 1 {
				facts.sleeps = append(facts.sleeps, n.Args[0])
			}
		case *ast.IfStmt:
			exits := exitsLoop(info, n.Body, label)
			elseExits := n.Else != nil && exitsLoop(info, n.Else, label)
			cont := continues(info, n.Body, label)
			switch {
			case rl.errCompare(n.Cond, token.EQL) && exits: // if err == nil { return }
				facts.retries = true
			case rl.errCompare(n.Cond, token.NEQ) && (cont || elseExits || rl.sleepsIn(n.Body)): // if err != nil { sleep; continue }
				facts.retries = true
			}
			if exits && rl.boundsCond(n.Cond) {
				facts.bounded = true
			}
		case *ast.SelectStmt:
			for _, cc := range n.Body.List {
				cc := cc.(*ast.CommClause)
				if cc.Comm != nil && rl.isDone(cc.Comm) && exitsLoop(info, &ast.BlockStmt{List: cc.Body}, label) {
					facts.bounded = true
				}
			}
		}
		return true
	})
}

func (rl *retryLoops) sleepsIn(b *ast.BlockStmt) bool {
	found := false
	ast.Inspect(b, func(n ast.Node) bool {
		if c, ok := n.(*ast.CallExpr); ok && isPkgFunc(callee(rl.pass.TypesInfo, c), timePath, "Sleep") {
			found = true
		}
		return !found
	})
	return found
}

// errCompare reports whether cond contains `e op nil` with e an error (in
// any && / || operand).
func (rl *retryLoops) errCompare(cond ast.Expr, op token.Token) bool {
	found := false
	ast.Inspect(cond, func(n ast.Node) bool {
		b, ok := n.(*ast.BinaryExpr)
		if !ok || b.Op != op {
			return true
		}
		x, y := b.X, b.Y
		if isNil(rl.pass.TypesInfo, x) {
			x, y = y, x
		}
		if isNil(rl.pass.TypesInfo, y) && isError(rl.pass.TypesInfo.TypeOf(x)) {
			found = true
		}
		return !found
	})
	return found
}

// boundsCond reports whether cond bounds a loop: compares numbers or times,
// or asks a context or a clock.
func (rl *retryLoops) boundsCond(cond ast.Expr) bool {
	info := rl.pass.TypesInfo
	found := false
	ast.Inspect(cond, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.BinaryExpr:
			switch n.Op {
			case token.LSS, token.LEQ, token.GTR, token.GEQ:
				found = true
			case token.EQL, token.NEQ:
				if isNumeric(info.TypeOf(n.X)) && isNumeric(info.TypeOf(n.Y)) {
					found = true
				}
			}
		case *ast.CallExpr:
			fn := callee(info, n)
			switch {
			case isPkgFunc(fn, timePath, "Since", "Until", "Now"),
				isMethod(fn, timePath, "Time", "After", "Before"),
				fn != nil && fn.Name() == "Err" && isContextMethod(fn):
				found = true
			}
		}
		return !found
	})
	return found
}

// isDone reports whether a select case receives from ctx.Done() or a
// timer/ticker/deadline channel other than the sleep's own time.After.
func (rl *retryLoops) isDone(comm ast.Stmt) bool {
	var recv ast.Expr
	switch s := comm.(type) {
	case *ast.ExprStmt:
		recv = s.X
	case *ast.AssignStmt:
		if len(s.Rhs) == 1 {
			recv = s.Rhs[0]
		}
	}
	u, ok := recv.(*ast.UnaryExpr)
	if !ok || u.Op != token.ARROW {
		return false
	}
	if call, ok := ast.Unparen(u.X).(*ast.CallExpr); ok {
		fn := callee(rl.pass.TypesInfo, call)
		if fn != nil && fn.Name() == "Done" {
			return true // ctx.Done(), or anything's Done channel
		}
		return false // time.After(d): the sleep itself
	}
	return true // a channel variable: a stop or deadline signal
}

// isContextMethod reports whether fn is a method of a context (a type with
// Done and Err methods).
func isContextMethod(fn *types.Func) bool {
	sig, ok := fn.Type().(*types.Signature)
	if !ok || sig.Recv() == nil {
		return false
	}
	ms := types.NewMethodSet(sig.Recv().Type())
	return ms.Lookup(nil, "Done") != nil && ms.Lookup(nil, "Err") != nil
}

// jittered reports whether randomness (or a backoff helper) may feed d.
func (rl *retryLoops) jittered(d ast.Node, seen map[*types.Var]bool, depth int) bool {
	info := rl.pass.TypesInfo
	found := false
	ast.Inspect(d, func(n ast.Node) bool {
		if found {
			return false
		}
		switch n := n.(type) {
		case *ast.Ident:
			if hinted(n.Name) {
				found = true
				return false
			}
			v, ok := info.Uses[n].(*types.Var)
			if !ok || seen[v] {
				return true
			}
			seen[v] = true
			vals, ok := rl.vals.of(n)
			if !ok {
				return true // a parameter or field: taken as the fixed delay it usually is
			}
			for _, val := range vals {
				if val != nil && rl.jittered(val, seen, depth) {
					found = true
				}
			}
		case *ast.CallExpr:
			fn := callee(info, n)
			switch {
			case fn == nil:
				if _, isConv := info.Types[n.Fun]; !isConv || !info.Types[n.Fun].IsType() {
					found = true // a func value: origin unknown
				}
			case fn.Pkg() == nil:
			case isRandPkg(fn.Pkg().Path()), hinted(fn.Name()):
				found = true
			case fn.Pkg() == rl.pass.Pkg:
				if fd := rl.funcs[fn]; fd != nil && fd.Body != nil && depth < 3 {
					if rl.jittered(fd.Body, seen, depth+1) {
						found = true
					}
				} else {
					found = true // a method or interface: origin unknown
				}
			default:
				if sig, ok := fn.Type().(*types.Signature); ok && sig.Recv() != nil && fn.Pkg().Path() != timePath {
					found = true // another package's method: origin unknown
				}
			}
		case *ast.SelectorExpr:
			if hinted(n.Sel.Name) {
				found = true
			}
		}
		return !found
	})
	return found
}

func hinted(name string) bool {
	n := strings.ToLower(name)
	return strings.Contains(n, "jitter") || strings.Contains(n, "rand") || strings.Contains(n, "backoff")
}

func isRandPkg(path string) bool {
	return path == "math/rand" || path == "math/rand/v2" || path == "crypto/rand"
}

func isNil(info *types.Info, e ast.Expr) bool {
	_, ok := info.ObjectOf(identOf(e)).(*types.Nil)
	return ok
}

func identOf(e ast.Expr) *ast.Ident {
	id, _ := ast.Unparen(e).(*ast.Ident)
	if id == nil {
		return &ast.Ident{}
	}
	return id
}

func isError(t types.Type) bool {
	return t != nil && types.Implements(t, types.Universe.Lookup("error").Type().Underlying().(*types.Interface))
}

func isNumeric(t types.Type) bool {
	b, ok := t.Underlying().(*types.Basic)
	return ok && b.Info()&types.IsNumeric != 0
}

// exitsLoop reports whether b leaves the loop: return, panic, goto, or a
// break of this loop (not of a switch or select inside it).
func exitsLoop(info *types.Info, b ast.Stmt, label *types.Label) bool {
	return branches(info, b, label, token.BREAK, true)
}

// continues reports whether b goes round the loop again with continue.
func continues(info *types.Info, b ast.Stmt, label *types.Label) bool {
	return branches(info, b, label, token.CONTINUE, false)
}

func branches(info *types.Info, b ast.Stmt, label *types.Label, tok token.Token, returns bool) bool {
	found := false
	var walk func(n ast.Node, inSwitch, inLoop bool)
	walk = func(n ast.Node, inSwitch, inLoop bool) {
		ast.Inspect(n, func(m ast.Node) bool {
			if found || m == nil {
				return false
			}
			switch m := m.(type) {
			case *ast.FuncLit:
				return false
			case *ast.ReturnStmt:
				if returns {
					found = true
				}
			case *ast.CallExpr:
				if id, ok := ast.Unparen(m.Fun).(*ast.Ident); ok && returns && id.Name == "panic" {
					if _, builtin := info.Uses[id].(*types.Builtin); builtin {
						found = true
					}
				}
			case *ast.BranchStmt:
				switch {
				case m.Tok == token.GOTO && returns:
					found = true
				case m.Tok == tok && m.Label != nil:
					found = label != nil && info.Uses[m.Label] == label
				case m.Tok == tok && tok == token.BREAK:
					found = !inSwitch && !inLoop
				case m.Tok == tok:
					found = !inLoop
				}
			case *ast.SwitchStmt, *ast.TypeSwitchStmt, *ast.SelectStmt:
				if m != n {
					walk(m, true, inLoop)
					return false
				}
			case *ast.ForStmt, *ast.RangeStmt:
				if m != n {
					walk(m, inSwitch, true)
					return false
				}
			}
			return true
		})
	}
	walk(b, false, false)
	return found
}
