// Package expr is the typed expression IR of strom's SQL layer and its
// compiler to closures over [table.Row].
//
// Expressions are built by the planner after binding (names resolved to
// column indexes, literals typed): the constructors here check types,
// resolve function overloads through a [Registry] and insert the implicit
// casts Flink would, so that a built Expr is well-typed. [Compile] turns one
// into a [Program], a closure tree evaluated once per row: no AST is
// interpreted per record, and numeric paths allocate nothing.
//
// Semantics follow Flink SQL (the source of truth for each function is
// named next to its implementation; "Flink docs" means the Built-in
// Functions page of Flink 1.19/1.20):
//
//   - NULL: functions are strict (NULL in, NULL out) unless documented;
//     AND, OR, NOT, IS [NOT] NULL, IN, BETWEEN, CASE, COALESCE, IF and
//     NULLIF follow SQL three-valued logic.
//   - Integer overflow wraps at the width of the result type (TINYINT,
//     SMALLINT, INT, BIGINT), as Java's arithmetic in Flink's generated
//     code; integer division truncates and division or MOD by zero is an
//     error (Java's ArithmeticException).
//   - DECIMAL arithmetic is exact with Flink's result types
//     (table.DecimalAddType ...); a result that does not fit its type is
//     NULL, as Flink's DecimalData arithmetic returns null on overflow.
//     Division of decimals by zero is an error.
//   - CAST failures (a string that is not a number, a date ...) are errors;
//     TRY_CAST gives NULL instead. A number that does not fit a DECIMAL
//     target is NULL in both (Flink).
//   - Regular expressions are Go's RE2: Java's syntax minus backreferences
//     and lookaround (a pattern that RE2 rejects makes REGEXP_* return NULL,
//     as Flink does for an invalid pattern); replacement strings use Java's
//     $n group references, translated.
//   - Time: TIMESTAMP is zone-less; TIMESTAMP_LTZ is an instant shown and
//     parsed in the session zone (WithLocation, default UTC). The current
//     time comes only from the clock given with WithClock.
package expr

import (
	"fmt"
	"strings"

	"github.com/stromio/strom/table"
)

// Expr is a typed expression. Build it with the constructors of this
// package (ColumnRef, Lit, Registry.Call, NewCase, NewCast, ...), which
// check types; the node structs are exported for the planner to inspect.
type Expr interface {
	// Type is the type of the expression's values, nullability included.
	Type() table.Type
	// String is the expression in SQL syntax (for EXPLAIN and errors).
	String() string
	isExpr()
}

// Column reads field Index of the input row.
type Column struct {
	Index int
	Name  string // for String only
	T     table.Type
}

// Literal is a constant.
type Literal struct {
	V table.Value
	T table.Type
}

// Call is a resolved call of a function overload.
type Call struct {
	Name     string
	Args     []Expr // already cast to the overload's parameter types
	Overload *Overload
	T        table.Type
}

// When is one branch of a CASE.
type When struct{ Cond, Then Expr }

// Case is CASE WHEN c THEN v ... ELSE e END (searched form; the simple
// form CASE x WHEN a is built as x = a conditions by NewSimpleCase).
type Case struct {
	Whens []When
	Else  Expr // never nil: a NULL literal when absent
	T     table.Type
}

// Cast converts X to type T; Try makes failures NULL (TRY_CAST).
type Cast struct {
	X        Expr
	T        table.Type
	Try      bool
	Implicit bool // inserted by type coercion (printed as the operand)
	// Literal: a typed literal (TIMESTAMP '...', TIME '...'), bound as
	// the cast of its text; the planner tells it from a written CAST
	// (UIDs of plans whose literal types changed: planner/oldtypes.go).
	Literal bool
}

// IsNull is X IS [NOT] NULL.
type IsNull struct {
	X   Expr
	Not bool
}

// IsBool is X IS [NOT] TRUE / X IS [NOT] FALSE: never NULL.
type IsBool struct {
	X    Expr
	Want bool // TRUE or FALSE
	Not  bool
}

// In is X [NOT] IN (List...): X and the list are cast to their common type.
type In struct {
	X    Expr
	List []Expr
	Not  bool
}

// Between is X [NOT] BETWEEN [SYMMETRIC] Lo AND Hi, operands cast to their
// common type.
type Between struct {
	X, Lo, Hi Expr
	Not       bool
	Symmetric bool
}

// Like is X [NOT] LIKE Pattern [ESCAPE Escape] (Escape 0: none; SQL's
// default has no escape character).
type Like struct {
	X, Pattern Expr
	Escape     rune
	Not        bool
}

// IsDistinct is X IS [NOT] DISTINCT FROM Y, operands cast to their common
// type: a NULL-safe comparison (two NULLs are not distinct, a NULL and a
// value are), never NULL itself.
type IsDistinct struct {
	X, Y Expr
	Not  bool
}

// Logic is AND or OR over two or more BOOLEAN operands.
type Logic struct {
	Or   bool
	Args []Expr
}

// Not is NOT X.
type Not struct{ X Expr }

// Coalesce returns its first non-NULL argument, evaluating lazily.
type Coalesce struct {
	Args []Expr
	T    table.Type
}

func (*Column) isExpr()     {}
func (*Literal) isExpr()    {}
func (*Call) isExpr()       {}
func (*Case) isExpr()       {}
func (*Cast) isExpr()       {}
func (*IsNull) isExpr()     {}
func (*IsBool) isExpr()     {}
func (*In) isExpr()         {}
func (*Between) isExpr()    {}
func (*Like) isExpr()       {}
func (*IsDistinct) isExpr() {}
func (*Logic) isExpr()      {}
func (*Not) isExpr()        {}
func (*Coalesce) isExpr()   {}

func (e *Column) Type() table.Type     { return e.T }
func (e *Literal) Type() table.Type    { return e.T }
func (e *Call) Type() table.Type       { return e.T }
func (e *Case) Type() table.Type       { return e.T }
func (e *Cast) Type() table.Type       { return e.T }
func (e *Coalesce) Type() table.Type   { return e.T }
func (e *IsNull) Type() table.Type     { return table.BooleanType().NotNull() }
func (e *IsBool) Type() table.Type     { return table.BooleanType().NotNull() }
func (e *IsDistinct) Type() table.Type { return table.BooleanType().NotNull() }
func (e *In) Type() table.Type {
	n := e.X.Type().Nullable()
	for _, x := range e.List {
		n = n || x.Type().Nullable()
	}
	return table.BooleanType().WithNullable(n)
}
func (e *Between) Type() table.Type {
	return table.BooleanType().WithNullable(e.X.Type().Nullable() || e.Lo.Type().Nullable() || e.Hi.Type().Nullable())
}
func (e *Like) Type() table.Type {
	return table.BooleanType().WithNullable(e.X.Type().Nullable() || e.Pattern.Type().Nullable())
}
func (e *Logic) Type() table.Type {
	n := false
	for _, x := range e.Args {
		n = n || x.Type().Nullable()
	}
	return table.BooleanType().WithNullable(n)
}
func (e *Not) Type() table.Type { return table.BooleanType().WithNullable(e.X.Type().Nullable()) }

// TypeError is an error of type checking, with the expression it is about.
type TypeError struct {
	Expr string
	Msg  string
}

func (e *TypeError) Error() string {
	if e.Expr == "" {
		return "expr: " + e.Msg
	}
	return "expr: " + e.Msg + " in " + e.Expr
}

func typeErr(expr string, format string, args ...any) error {
	return &TypeError{Expr: expr, Msg: fmt.Sprintf(format, args...)}
}

// ColumnRef returns a reference to field index of the input row.
func ColumnRef(index int, name string, t table.Type) *Column {
	return &Column{Index: index, Name: name, T: t}
}

// Lit returns a literal of type t. The value must be of t's kind (or NULL).
func Lit(v table.Value, t table.Type) *Literal {
	if v.IsNull() {
		t = t.AsNullable()
	}
	return &Literal{V: v, T: t}
}

// Literal shorthands with the types Flink gives SQL literals: integers are
// INT when they fit, else BIGINT; exact decimals DECIMAL(p, s); strings
// CHAR(n) in Flink, here STRING (a simplification that changes no result:
// CHAR(n) literals compare and concatenate as strings).
func IntLit(i int64) *Literal {
	if i >= -1<<31 && i < 1<<31 {
		return Lit(table.Int(i), table.IntType().NotNull())
	}
	return Lit(table.Int(i), table.BigIntType().NotNull())
}

// BigIntLit is a BIGINT literal.
func BigIntLit(i int64) *Literal { return Lit(table.Int(i), table.BigIntType().NotNull()) }

// DoubleLit is a DOUBLE literal.
func DoubleLit(f float64) *Literal { return Lit(table.Float(f), table.DoubleType().NotNull()) }

// StrLit is a STRING literal.
func StrLit(s string) *Literal { return Lit(table.Str(s), table.StringType().NotNull()) }

// BoolLit is a BOOLEAN literal.
func BoolLit(b bool) *Literal { return Lit(table.Bool(b), table.BooleanType().NotNull()) }

// NullLit is a NULL of type t.
func NullLit(t table.Type) *Literal { return Lit(table.Null, t) }

// DecLit parses a decimal literal ("1.50" is DECIMAL(3, 2)).
func DecLit(s string) (*Literal, error) {
	d, err := table.ParseDecimal(s)
	if err != nil {
		return nil, err
	}
	p := max(d.Precision(), d.Scale(), 1)
	if p > table.MaxDecimalPrecision {
		return nil, typeErr(s, "decimal literal of %d digits", p)
	}
	return Lit(table.DecimalValue(d), table.DecimalType(p, d.Scale()).NotNull()), nil
}

// coerce returns e implicitly cast to t (no node when the types agree
// ignoring nullability), or an error when Flink has no implicit cast.
func coerce(e Expr, t table.Type) (Expr, error) {
	et := e.Type()
	t = t.WithNullable(et.Nullable())
	if et.EqualIgnoringNull(t) {
		return e, nil
	}
	if !table.SupportsImplicitCast(et, t.AsNullable()) {
		return nil, typeErr(e.String(), "cannot use %s as %s", et, t)
	}
	if lit, ok := e.(*Literal); ok && lit.V.IsNull() {
		return NullLit(t), nil
	}
	return &Cast{X: e, T: t, Implicit: true}, nil
}

// commonCoerce casts every expression to their common type.
func commonCoerce(what string, es []Expr) ([]Expr, table.Type, error) {
	ts := make([]table.Type, len(es))
	for i, e := range es {
		ts[i] = e.Type()
	}
	ct, ok := table.CommonType(ts...)
	if !ok {
		names := make([]string, len(ts))
		for i, t := range ts {
			names[i] = t.String()
		}
		return nil, table.Type{}, typeErr(what, "no common type of %s", strings.Join(names, ", "))
	}
	out := make([]Expr, len(es))
	for i, e := range es {
		c, err := coerce(e, ct)
		if err != nil {
			return nil, table.Type{}, err
		}
		out[i] = c
	}
	return out, ct, nil
}

func requireBool(e Expr, what string) error {
	r := e.Type().Root()
	if r != table.RootBoolean && r != table.RootNull {
		return typeErr(e.String(), "%s must be BOOLEAN, not %s", what, e.Type())
	}
	return nil
}

// asBool turns an untyped NULL into a BOOLEAN NULL.
func asBool(e Expr) Expr {
	if e.Type().Root() == table.RootNull {
		return NullLit(table.BooleanType())
	}
	return e
}

// NewAnd returns a AND b AND ... (three-valued).
func NewAnd(args ...Expr) (Expr, error) { return newLogic(false, args) }

// NewOr returns a OR b OR ... (three-valued).
func NewOr(args ...Expr) (Expr, error) { return newLogic(true, args) }

func newLogic(or bool, args []Expr) (Expr, error) {
	if len(args) < 2 {
		return nil, typeErr("", "AND/OR needs two operands")
	}
	out := make([]Expr, len(args))
	for i, a := range args {
		if err := requireBool(a, "an operand of AND/OR"); err != nil {
			return nil, err
		}
		out[i] = asBool(a)
	}
	return &Logic{Or: or, Args: out}, nil
}

// NewNot returns NOT x.
func NewNot(x Expr) (Expr, error) {
	if err := requireBool(x, "the operand of NOT"); err != nil {
		return nil, err
	}
	return &Not{X: asBool(x)}, nil
}

// NewIsNull returns x IS [NOT] NULL.
func NewIsNull(x Expr, not bool) Expr { return &IsNull{X: x, Not: not} }

// NewIsBool returns x IS [NOT] TRUE/FALSE.
func NewIsBool(x Expr, want, not bool) (Expr, error) {
	if err := requireBool(x, "the operand of IS TRUE/FALSE"); err != nil {
		return nil, err
	}
	return &IsBool{X: asBool(x), Want: want, Not: not}, nil
}

// NewIn returns x [NOT] IN (list...).
func NewIn(x Expr, list []Expr, not bool) (Expr, error) {
	if len(list) == 0 {
		return nil, typeErr(x.String(), "IN needs a list")
	}
	all, _, err := commonCoerce(x.String()+" IN (...)", append([]Expr{x}, list...))
	if err != nil {
		return nil, err
	}
	if err := comparable(all[0]); err != nil {
		return nil, err
	}
	return &In{X: all[0], List: all[1:], Not: not}, nil
}

// NewIsDistinct returns x IS [NOT] DISTINCT FROM y.
func NewIsDistinct(x, y Expr, not bool) (Expr, error) {
	all, _, err := commonCoerce(x.String()+" IS DISTINCT FROM "+y.String(), []Expr{x, y})
	if err != nil {
		return nil, err
	}
	if err := comparable(all[0]); err != nil {
		return nil, err
	}
	return &IsDistinct{X: all[0], Y: all[1], Not: not}, nil
}

// NewBetween returns x [NOT] BETWEEN [SYMMETRIC] lo AND hi.
func NewBetween(x, lo, hi Expr, not, symmetric bool) (Expr, error) {
	all, _, err := commonCoerce(x.String()+" BETWEEN", []Expr{x, lo, hi})
	if err != nil {
		return nil, err
	}
	if err := comparable(all[0]); err != nil {
		return nil, err
	}
	return &Between{X: all[0], Lo: all[1], Hi: all[2], Not: not, Symmetric: symmetric}, nil
}

func comparable(e Expr) error {
	switch e.Type().Root() {
	case table.RootMap:
		return typeErr(e.String(), "%s is not comparable", e.Type())
	}
	return nil
}

// NewLike returns x [NOT] LIKE pattern [ESCAPE escape] (escape 0: none).
func NewLike(x, pattern Expr, escape rune, not bool) (Expr, error) {
	for _, e := range []Expr{x, pattern} {
		if r := e.Type().Root(); r != table.RootChar && r != table.RootVarChar && r != table.RootNull {
			return nil, typeErr(e.String(), "LIKE needs strings, not %s", e.Type())
		}
	}
	return &Like{X: x, Pattern: pattern, Escape: escape, Not: not}, nil
}

// NewCase returns CASE WHEN ... THEN ... [ELSE els] END; els may be nil
// (ELSE NULL). The result type is the common type of the branches.
func NewCase(whens []When, els Expr) (Expr, error) {
	if len(whens) == 0 {
		return nil, typeErr("CASE", "CASE needs a WHEN")
	}
	vals := make([]Expr, 0, len(whens)+1)
	for _, w := range whens {
		if err := requireBool(w.Cond, "a WHEN condition"); err != nil {
			return nil, err
		}
		vals = append(vals, w.Then)
	}
	if els == nil {
		els = NullLit(table.NullType())
	}
	vals = append(vals, els)
	cv, ct, err := commonCoerce("CASE", vals)
	if err != nil {
		return nil, err
	}
	out := make([]When, len(whens))
	for i, w := range whens {
		out[i] = When{Cond: asBool(w.Cond), Then: cv[i]}
	}
	return &Case{Whens: out, Else: cv[len(whens)], T: ct}, nil
}

// NewSimpleCase returns CASE x WHEN v1 THEN r1 ... ELSE els END, as
// conditions x = v1 (x is evaluated once per WHEN).
func (r *Registry) NewSimpleCase(x Expr, whens []When, els Expr) (Expr, error) {
	conds := make([]When, len(whens))
	for i, w := range whens {
		c, err := r.Call("=", x, w.Cond)
		if err != nil {
			return nil, err
		}
		conds[i] = When{Cond: c, Then: w.Then}
	}
	return NewCase(conds, els)
}

// NewCoalesce returns COALESCE(args...): nullable only if every argument is.
func NewCoalesce(args ...Expr) (Expr, error) {
	if len(args) == 0 {
		return nil, typeErr("COALESCE", "COALESCE needs arguments")
	}
	cv, ct, err := commonCoerce("COALESCE", args)
	if err != nil {
		return nil, err
	}
	nullable := true
	for _, a := range args {
		nullable = nullable && a.Type().Nullable()
	}
	return &Coalesce{Args: cv, T: ct.WithNullable(nullable)}, nil
}

// NewCast returns CAST(x AS t) (try: TRY_CAST), or an error when Flink has
// no cast between the types. CAST keeps the nullability of x (t's own
// nullability is ignored); TRY_CAST is always nullable.
func NewCast(x Expr, t table.Type, try bool) (Expr, error) {
	if !CanCast(x.Type(), t) {
		return nil, typeErr(x.String(), "cannot cast %s to %s", x.Type(), t)
	}
	nullable := x.Type().Nullable() || try || castMayBeNull(x.Type(), t)
	return &Cast{X: x, T: t.WithNullable(nullable), Try: try}, nil
}

// String forms.

func (e *Column) String() string {
	if e.Name != "" {
		return "`" + strings.ReplaceAll(e.Name, "`", "``") + "`"
	}
	return fmt.Sprintf("$%d", e.Index)
}

func (e *Literal) String() string {
	if e.V.IsNull() && e.T.Root() != table.RootNull {
		return "CAST(NULL AS " + e.T.AsNullable().String() + ")"
	}
	return e.V.String()
}

var infix = map[string]bool{"+": true, "-": true, "*": true, "/": true, "%": true, "=": true, "<>": true,
	"<": true, "<=": true, ">": true, ">=": true, "||": true}

func (e *Call) String() string {
	if s, ok := collString(e); ok { // collfn.go
		return s
	}
	if e.Overload != nil && e.Overload.Format != nil {
		return e.Overload.Format(e.Args)
	}
	if infix[e.Name] && len(e.Args) == 2 {
		return "(" + e.Args[0].String() + " " + e.Name + " " + e.Args[1].String() + ")"
	}
	if e.Name == "-" && len(e.Args) == 1 {
		return "(-" + e.Args[0].String() + ")"
	}
	return e.Name + "(" + joinExprs(e.Args) + ")"
}

func joinExprs(es []Expr) string {
	parts := make([]string, len(es))
	for i, a := range es {
		parts[i] = a.String()
	}
	return strings.Join(parts, ", ")
}

func (e *Case) String() string {
	var b strings.Builder
	b.WriteString("CASE")
	for _, w := range e.Whens {
		fmt.Fprintf(&b, " WHEN %s THEN %s", w.Cond, w.Then)
	}
	fmt.Fprintf(&b, " ELSE %s END", e.Else)
	return b.String()
}

func (e *Cast) String() string {
	if e.Implicit {
		return e.X.String()
	}
	name := "CAST"
	if e.Try {
		name = "TRY_CAST"
	}
	return fmt.Sprintf("%s(%s AS %s)", name, e.X, e.T.AsNullable())
}

func (e *IsNull) String() string {
	if e.Not {
		return "(" + e.X.String() + " IS NOT NULL)"
	}
	return "(" + e.X.String() + " IS NULL)"
}

func (e *IsBool) String() string {
	s := "(" + e.X.String() + " IS "
	if e.Not {
		s += "NOT "
	}
	if e.Want {
		return s + "TRUE)"
	}
	return s + "FALSE)"
}

func (e *In) String() string {
	not := ""
	if e.Not {
		not = "NOT "
	}
	return "(" + e.X.String() + " " + not + "IN (" + joinExprs(e.List) + "))"
}

func (e *IsDistinct) String() string {
	not := ""
	if e.Not {
		not = "NOT "
	}
	return "(" + e.X.String() + " IS " + not + "DISTINCT FROM " + e.Y.String() + ")"
}

func (e *Between) String() string {
	s := "(" + e.X.String() + " "
	if e.Not {
		s += "NOT "
	}
	s += "BETWEEN "
	if e.Symmetric {
		s += "SYMMETRIC "
	}
	return s + e.Lo.String() + " AND " + e.Hi.String() + ")"
}

func (e *Like) String() string {
	s := "(" + e.X.String() + " "
	if e.Not {
		s += "NOT "
	}
	s += "LIKE " + e.Pattern.String()
	if e.Escape != 0 {
		s += " ESCAPE " + table.Str(string(e.Escape)).String()
	}
	return s + ")"
}

func (e *Logic) String() string {
	op := " AND "
	if e.Or {
		op = " OR "
	}
	parts := make([]string, len(e.Args))
	for i, a := range e.Args {
		parts[i] = a.String()
	}
	return "(" + strings.Join(parts, op) + ")"
}

func (e *Not) String() string      { return "(NOT " + e.X.String() + ")" }
func (e *Coalesce) String() string { return "COALESCE(" + joinExprs(e.Args) + ")" }

// Columns returns a reference to every column of s, in order (the input
// row of an expression over a table of that schema).
func Columns(s *table.Schema) []*Column {
	cs := make([]*Column, len(s.Columns))
	for i, c := range s.Columns {
		cs[i] = ColumnRef(i, c.Name, c.Type)
	}
	return cs
}
