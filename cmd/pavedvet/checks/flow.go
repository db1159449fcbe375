package checks

import (
	"go/ast"
	"go/types"

	"golang.org/x/tools/go/analysis"
)

// values records, for each local variable of a package, every expression
// assigned to it, so an analyzer can follow `t := pavedhttp.NewTransport(...)`
// to where t is used. A variable whose values cannot all be seen (a
// parameter, a package-level or captured-by-pointer variable, a range
// variable, one side of a multi-value assignment other than the value of
// x, err := f(...)) is opaque.
type values struct {
	info   *types.Info
	pkg    *types.Package
	assign map[*types.Var][]ast.Expr
	opaque map[*types.Var]bool
}

func newValues(pass *analysis.Pass) *values {
	v := &values{
		info:   pass.TypesInfo,
		pkg:    pass.Pkg,
		assign: map[*types.Var][]ast.Expr{},
		opaque: map[*types.Var]bool{},
	}
	for _, f := range pass.Files {
		ast.Inspect(f, v.visit)
	}
	return v
}

func (v *values) varOf(e ast.Expr) *types.Var {
	id, ok := ast.Unparen(e).(*ast.Ident)
	if !ok {
		return nil
	}
	obj, _ := v.info.ObjectOf(id).(*types.Var)
	return obj
}

func (v *values) visit(n ast.Node) bool {
	switch n := n.(type) {
	case *ast.FuncType:
		for _, fl := range []*ast.FieldList{n.TypeParams, n.Params, n.Results} {
			if fl == nil {
				continue
			}
			for _, f := range fl.List {
				for _, name := range f.Names {
					if obj := v.varOf(name); obj != nil {
						v.opaque[obj] = true
					}
				}
			}
		}
	case *ast.FuncDecl:
		if n.Recv != nil {
			for _, f := range n.Recv.List {
				for _, name := range f.Names {
					if obj := v.varOf(name); obj != nil {
						v.opaque[obj] = true
					}
				}
			}
		}
	case *ast.AssignStmt:
		if len(n.Lhs) != len(n.Rhs) {
			for i, l := range n.Lhs {
				if obj := v.varOf(l); obj != nil {
					if i == 0 && v.valueAndError(n) {
						// x, err := f(...): x is the call's first result,
						// as a constructor's New returns its policy.
						v.assign[obj] = append(v.assign[obj], n.Rhs[0])
						continue
					}
					v.opaque[obj] = true
				}
			}
			return true
		}
		for i, l := range n.Lhs {
			if obj := v.varOf(l); obj != nil {
				v.assign[obj] = append(v.assign[obj], n.Rhs[i])
			}
		}
	case *ast.ValueSpec:
		if len(n.Values) != 0 && len(n.Values) != len(n.Names) {
			for _, name := range n.Names {
				if obj := v.varOf(name); obj != nil {
					v.opaque[obj] = true
				}
			}
			return true
		}
		for i, name := range n.Names {
			obj := v.varOf(name)
			if obj == nil {
				continue
			}
			if len(n.Values) == 0 {
				v.assign[obj] = append(v.assign[obj], nil) // the zero value
			} else {
				v.assign[obj] = append(v.assign[obj], n.Values[i])
			}
		}
	case *ast.RangeStmt:
		for _, e := range []ast.Expr{n.Key, n.Value} {
			if obj := v.varOf(e); obj != nil {
				v.opaque[obj] = true
			}
		}
	case *ast.UnaryExpr:
		if obj := v.varOf(n.X); obj != nil && n.Op.String() == "&" {
			v.opaque[obj] = true // may be written through the pointer
		}
	}
	return true
}

// valueAndError reports whether n is x, err := f(...) (or =) with f
// returning a value and an error.
func (v *values) valueAndError(n *ast.AssignStmt) bool {
	if len(n.Lhs) != 2 || len(n.Rhs) != 1 {
		return false
	}
	call, ok := ast.Unparen(n.Rhs[0]).(*ast.CallExpr)
	if !ok {
		return false
	}
	t, ok := v.info.TypeOf(call).(*types.Tuple)
	return ok && t.Len() == 2 && types.Identical(t.At(1).Type(), types.Universe.Lookup("error").Type())
}

// of returns the expressions assigned to the local variable e names (nil
// entries for the zero value), and whether they are all of its values.
func (v *values) of(e ast.Expr) ([]ast.Expr, bool) {
	obj := v.varOf(e)
	if obj == nil || obj.IsField() || v.opaque[obj] || obj.Parent() == nil || obj.Parent() == v.pkg.Scope() || obj.Pkg() != v.pkg {
		return nil, false
	}
	vals, ok := v.assign[obj]
	return vals, ok
}

// kind is what an expression is known to carry: something of paved's, or
// nothing of it, or unknown (its origin is not visible here).
type kind int

const (
	notPaved kind = iota
	unknown
	paved
)

func join(a, b kind) kind { return max(a, b) }

// classify says whether e carries something of paved's: a call into one of
// paved's packages, anywhere in it or in the values of the local variables it
// names. Anything whose origin cannot be seen — a parameter, a field, a
// function of this package, a function literal — is unknown, so callers can
// stay silent rather than guess.
func (v *values) classify(e ast.Expr, seen map[*types.Var]bool) kind {
	switch e := ast.Unparen(e).(type) {
	case nil:
		return notPaved
	case *ast.BasicLit:
		return notPaved
	case *ast.Ident:
		switch obj := v.info.ObjectOf(e).(type) {
		case *types.Nil, *types.Const, *types.TypeName, *types.Builtin:
			return notPaved
		case *types.Func:
			return funcKind(obj, v.pkg)
		case *types.Var:
			if seen[obj] {
				return notPaved
			}
			vals, ok := v.of(e)
			if !ok {
				return unknown
			}
			if seen == nil {
				seen = map[*types.Var]bool{}
			}
			seen[obj] = true
			k := notPaved
			for _, val := range vals {
				k = join(k, v.classify(val, seen))
			}
			return k
		}
		return unknown
	case *ast.SelectorExpr:
		if _, ok := v.info.Selections[e]; ok {
			return unknown // a field or method value of some value
		}
		switch obj := v.info.ObjectOf(e.Sel).(type) {
		case *types.Func:
			return funcKind(obj, v.pkg)
		case *types.Var:
			if inPaved(obj.Pkg().Path()) {
				return paved
			}
			if obj.Pkg() == v.pkg {
				return unknown
			}
			return notPaved
		}
		return notPaved
	case *ast.CallExpr:
		if tv, ok := v.info.Types[e.Fun]; ok && tv.IsType() {
			return v.classifyAll(e.Args, seen) // a conversion
		}
		k := v.classifyAll(e.Args, seen)
		if fn := callee(v.info, e); fn != nil {
			k = join(k, funcKind(fn, v.pkg))
			if sel, ok := ast.Unparen(e.Fun).(*ast.SelectorExpr); ok {
				if _, isMethod := v.info.Selections[sel]; isMethod && k != paved {
					k = join(k, v.classify(sel.X, seen))
				}
			}
			return k
		}
		if id, ok := ast.Unparen(e.Fun).(*ast.Ident); ok {
			if _, ok := v.info.ObjectOf(id).(*types.Builtin); ok {
				return k // append, new, ...
			}
		}
		return join(k, unknown) // a func value or literal called
	case *ast.CompositeLit:
		k := notPaved
		for _, el := range e.Elts {
			if kv, ok := el.(*ast.KeyValueExpr); ok {
				el = kv.Value
			}
			k = join(k, v.classify(el, seen))
		}
		if t := v.info.TypeOf(e); t != nil && k == notPaved {
			if p, ok := t.(*types.Pointer); ok {
				t = p.Elem()
			}
			if n, ok := types.Unalias(t).(*types.Named); ok && n.Obj().Pkg() == v.pkg {
				if _, isStruct := n.Underlying().(*types.Struct); isStruct {
					return unknown // this package's own type: its methods may do anything
				}
			}
		}
		return k
	case *ast.UnaryExpr:
		return v.classify(e.X, seen)
	case *ast.StarExpr:
		return v.classify(e.X, seen)
	case *ast.SliceExpr:
		return v.classify(e.X, seen)
	}
	return unknown
}

func (v *values) classifyAll(es []ast.Expr, seen map[*types.Var]bool) kind {
	k := notPaved
	for _, e := range es {
		k = join(k, v.classify(e, seen))
	}
	return k
}

// funcKind: paved's functions are paved; this package's own functions are
// unknown (they may build a paved value inside); others are not paved.
func funcKind(fn *types.Func, pkg *types.Package) kind {
	switch {
	case fn.Pkg() == nil:
		return notPaved
	case inPaved(fn.Pkg().Path()):
		return paved
	case fn.Pkg() == pkg:
		return unknown
	}
	return notPaved
}
