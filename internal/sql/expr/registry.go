package expr

import (
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/stromio/strom/table"
)

// Overload is one typed signature of a scalar function.
type Overload struct {
	// Sig documents the signature for errors and listings, e.g.
	// "UPPER(STRING) -> STRING".
	Sig string
	// Bind checks the argument types. When the overload applies it returns
	// the types the arguments are implicitly cast to (one per argument) and
	// the result type. For a strict overload the result is made nullable
	// when an argument is, so Bind gives the nullability of the result for
	// non-NULL arguments (NOT NULL unless the function itself can give
	// NULL).
	Bind func(args []table.Type) (params []table.Type, result table.Type, ok bool)
	// BindLit, when set, is used instead of Bind and also sees the values
	// of literal arguments (nil for the others): ROUND(DECIMAL, n) types its
	// result by n.
	BindLit func(args []table.Type, lits []*table.Value) (params []table.Type, result table.Type, ok bool)
	// NonStrict overloads see NULL arguments; strict ones (the default) are
	// not called when an argument is NULL: the result is NULL.
	NonStrict bool
	// Volatile overloads (CURRENT_TIMESTAMP ...) are never folded.
	Volatile bool
	// UserDefined overloads were registered by the application
	// (streamsql's Session.RegisterScalar): the planner assumes nothing of
	// them (filter push-down through joins does not move their calls).
	UserDefined bool
	// Impl returns the evaluator of a call site; it runs once, at compile
	// time, so it can prepare constant arguments (a regular expression, a
	// date format).
	Impl func(b *Bound) (Func, error)
	// Format, when set, prints a call in SQL syntax (the SQL/JSON
	// functions, whose clauses are passed as literal arguments).
	Format func(args []Expr) string
}

// Bound is what Impl gets to know about a call site.
type Bound struct {
	Name   string
	Params []table.Type
	Result table.Type
	// Consts holds, per argument, its value when the argument is a literal
	// (nil otherwise).
	Consts []*table.Value
	Env    *Env
}

// Const returns the literal value of argument i.
func (b *Bound) Const(i int) (table.Value, bool) {
	if i < len(b.Consts) && b.Consts[i] != nil {
		return *b.Consts[i], true
	}
	return table.Null, false
}

// Func is an evaluator: exactly one field is set, by arity. F0 and FN also
// serve any arity (FN gets a fresh slice per call).
type Func struct {
	F0 func() (table.Value, error)
	F1 func(a table.Value) (table.Value, error)
	F2 func(a, b table.Value) (table.Value, error)
	FN func(args []table.Value) (table.Value, error)
	// Lazy gets the arguments unevaluated (for a non-strict overload that
	// evaluates some only when needed, as JSON_VALUE's DEFAULT ... ON
	// EMPTY).
	Lazy func(r *table.Row, args []Program) (table.Value, error)
}

// Registry maps upper-case function names to their overloads. It is safe
// for concurrent use.
type Registry struct {
	mu    sync.RWMutex
	funcs map[string][]*Overload
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{funcs: map[string][]*Overload{}} }

// NewBuiltinRegistry returns a registry holding the built-in functions (a
// fresh copy: registering in it changes no other registry).
func NewBuiltinRegistry() *Registry {
	r := NewRegistry()
	registerBuiltins(r)
	return r
}

var defaultRegistry = NewBuiltinRegistry()

// Default returns the process-wide registry of built-in functions, which
// Register extends.
func Default() *Registry { return defaultRegistry }

// Register adds overloads to the default registry.
func Register(name string, overloads ...Overload) { defaultRegistry.Register(name, overloads...) }

// Register adds overloads of function name (case-insensitive); earlier
// overloads are tried first.
func (r *Registry) Register(name string, overloads ...Overload) {
	name = strings.ToUpper(name)
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := range overloads {
		o := overloads[i]
		r.funcs[name] = append(r.funcs[name], &o)
	}
}

// Unregister removes every overload of function name (case-insensitive)
// and reports whether it had any.
func (r *Registry) Unregister(name string) bool {
	name = strings.ToUpper(name)
	r.mu.Lock()
	defer r.mu.Unlock()
	_, ok := r.funcs[name]
	delete(r.funcs, name)
	return ok
}

// Names returns the registered function names, sorted.
func (r *Registry) Names() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	ns := make([]string, 0, len(r.funcs))
	for n := range r.funcs {
		ns = append(ns, n)
	}
	sort.Strings(ns)
	return ns
}

// Overloads returns the overloads of name.
func (r *Registry) Overloads(name string) []*Overload {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.funcs[strings.ToUpper(name)]
}

// Call resolves name(args...) to an overload and returns the call with the
// implicit casts of its arguments. The special forms COALESCE, IF and
// NULLIF and the operators AND, OR, NOT are also accepted here.
func (r *Registry) Call(name string, args ...Expr) (Expr, error) {
	up := strings.ToUpper(name)
	switch up {
	case "COALESCE":
		return NewCoalesce(args...)
	case "IF":
		if len(args) != 3 {
			return nil, typeErr("IF", "IF takes 3 arguments")
		}
		return NewCase([]When{{Cond: args[0], Then: args[1]}}, args[2])
	case "AND", "OR":
		return newLogic(up == "OR", args)
	case "NOT":
		if len(args) != 1 {
			return nil, typeErr("NOT", "NOT takes 1 argument")
		}
		return NewNot(args[0])
	}
	ovs := r.Overloads(up)
	if len(ovs) == 0 {
		return nil, typeErr(up+"(...)", "no function named %s", up)
	}
	ts := make([]table.Type, len(args))
	for i, a := range args {
		ts[i] = a.Type()
	}
	lits := make([]*table.Value, len(args))
	for i, a := range args {
		if l, ok := a.(*Literal); ok {
			lits[i] = &l.V
		}
	}
	for _, o := range ovs {
		var params []table.Type
		var res table.Type
		var ok bool
		if o.BindLit != nil {
			params, res, ok = o.BindLit(ts, lits)
		} else {
			params, res, ok = o.Bind(ts)
		}
		if !ok || len(params) != len(args) {
			continue
		}
		cast := make([]Expr, len(args))
		nullable := res.Nullable()
		for i, a := range args {
			c, err := coerce(a, params[i])
			if err != nil {
				ok = false
				break
			}
			cast[i] = c
			nullable = nullable || (!o.NonStrict && a.Type().Nullable())
		}
		if !ok {
			continue
		}
		return &Call{Name: up, Args: cast, Overload: o, T: res.WithNullable(nullable)}, nil
	}
	sigs := make([]string, len(ovs))
	for i, o := range ovs {
		sigs[i] = o.Sig
	}
	names := make([]string, len(ts))
	for i, t := range ts {
		names[i] = t.String()
	}
	return nil, typeErr(fmt.Sprintf("%s(%s)", up, joinExprs(args)),
		"no overload of %s for (%s); candidates: %s", up, strings.Join(names, ", "), strings.Join(sigs, "; "))
}

// MustCall is Call that panics on error (for tests and fixed plans).
func (r *Registry) MustCall(name string, args ...Expr) Expr {
	e, err := r.Call(name, args...)
	if err != nil {
		panic(err)
	}
	return e
}

// Signature helpers for Bind.

// Fixed returns a Bind for the exact parameter types (arguments cast
// implicitly) and result.
func Fixed(result table.Type, params ...table.Type) func([]table.Type) ([]table.Type, table.Type, bool) {
	return func(args []table.Type) ([]table.Type, table.Type, bool) {
		if len(args) != len(params) {
			return nil, table.Type{}, false
		}
		for i, a := range args {
			if !table.SupportsImplicitCast(a.AsNullable(), params[i].AsNullable()) {
				return nil, table.Type{}, false
			}
		}
		return params, result, true
	}
}

// family predicates on argument types.
func isNum(t table.Type) bool    { return t.IsNumeric() || t.Root() == table.RootNull }
func isInt(t table.Type) bool    { return t.IsInteger() || t.Root() == table.RootNull }
func isStr(t table.Type) bool    { return t.IsString() || t.Root() == table.RootNull }
func isTS(t table.Type) bool     { return t.IsTimestamp() || t.Root() == table.RootNull }
func isBinary(t table.Type) bool { return t.IsBinary() || t.Root() == table.RootNull }

// nullTo replaces the NULL type by t (an untyped NULL argument takes the
// parameter's type).
func nullTo(a, t table.Type) table.Type {
	if a.Root() == table.RootNull {
		return t
	}
	return a
}

var (
	tBool   = table.BooleanType().NotNull()
	tInt    = table.IntType().NotNull()
	tBigInt = table.BigIntType().NotNull()
	tDouble = table.DoubleType().NotNull()
	tString = table.StringType().NotNull()
	tBytes  = table.BytesType().NotNull()
	tDate   = table.DateType().NotNull()
	tTS3    = table.TimestampType(3).NotNull()
	tLTZ3   = table.TimestampLTZType(3).NotNull()
)
