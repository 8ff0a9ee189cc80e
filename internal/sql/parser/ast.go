package parser

// Pos is a position in the source: byte offset (0-based), line and column
// (1-based; columns count runes).
type Pos struct {
	Offset int
	Line   int
	Col    int
}

// Node is any node of the syntax tree.
type Node interface {
	Pos() Pos
	String() string // canonical SQL (see Format)
}

// node carries the position every node has.
type node struct {
	At Pos
}

// Pos returns where the node starts in the source.
func (n *node) Pos() Pos { return n.At }

// Stmt is a statement.
type Stmt interface {
	Node
	stmt()
}

// Expr is a scalar expression (and the few argument forms that appear only
// inside calls: TableArg, Descriptor, NamedArg, TimeUnit, Star).
type Expr interface {
	Node
	expr()
}

// TableExpr is an item of a FROM clause.
type TableExpr interface {
	Node
	tableExpr()
}

// QueryBody is the body of a Query: *Select, *SetOp, *Values or a
// parenthesised *Query.
type QueryBody interface {
	Node
	queryBody()
}

// Pattern is a term of a MATCH_RECOGNIZE pattern.
type Pattern interface {
	Node
	pattern()
}

// ---------------------------------------------------------------- names

// Ident is one identifier. Unquoted identifiers keep their case (Flink
// resolves identifiers case-sensitively); Quoted records backticks in the
// source and is not part of the identity of the name.
type Ident struct {
	node
	Name   string
	Quoted bool
}

// QName is a possibly qualified name: catalog.db.table, db.fn ...
type QName struct {
	node
	Parts []*Ident
}

// ---------------------------------------------------------------- statements

// Script is a list of statements.
type Script struct {
	node
	Stmts []Stmt
}

// QueryStmt is a query used as a statement.
type QueryStmt struct {
	node
	Query *Query
}

// CreateTable is CREATE [TEMPORARY] TABLE.
type CreateTable struct {
	node
	OrReplace   bool // CREATE OR REPLACE TABLE ... AS query
	Temporary   bool
	IfNotExists bool
	Name        *QName
	Columns     []*ColumnDef
	Watermarks  []*Watermark
	PrimaryKey  *PrimaryKey
	Comment     *string
	PartitionBy []*Ident
	Options     []*Option
	AsQuery     *Query     // CREATE TABLE ... AS query
	Like        *TableLike // CREATE TABLE ... LIKE source [(options)]
}

// TableLike is the LIKE clause of CREATE TABLE (Flink's): LIKE source
// [(option ...)], the options separated by blanks.
type TableLike struct {
	node
	Source  *QName
	Options []*LikeOption // nil without the parenthesised list
}

// LikeOption is one option of LIKE: a merging strategy (INCLUDING,
// EXCLUDING or OVERWRITING) for a feature of the source table (ALL,
// CONSTRAINTS, PARTITIONS, GENERATED, OPTIONS, WATERMARKS or METADATA).
type LikeOption struct {
	node
	Strategy string
	Feature  string
}

// ColumnDef is one column of CREATE TABLE: physical (Type), computed
// (Computed) or metadata (Type with Metadata).
type ColumnDef struct {
	node
	Name        *Ident
	Type        *DataType
	Computed    Expr
	Metadata    bool
	MetadataKey *string
	Virtual     bool
	PrimaryKey  bool // inline PRIMARY KEY NOT ENFORCED
	Comment     *string
}

// Watermark is WATERMARK FOR column AS expr.
type Watermark struct {
	node
	Column *QName
	Expr   Expr
}

// PrimaryKey is [CONSTRAINT name] PRIMARY KEY (cols) NOT ENFORCED.
type PrimaryKey struct {
	node
	Name        *Ident
	Columns     []*Ident
	NotEnforced bool
}

// Option is 'key' = 'value' of a WITH clause.
type Option struct {
	node
	Key   string
	Value string
}

// CreateView is CREATE [TEMPORARY] VIEW.
type CreateView struct {
	node
	Temporary   bool
	IfNotExists bool
	Name        *QName
	Columns     []*Ident
	Query       *Query
}

// CreateFunction is CREATE [TEMPORARY [SYSTEM]] FUNCTION name AS 'class'.
type CreateFunction struct {
	node
	Temporary   bool
	System      bool
	IfNotExists bool
	Name        *QName
	Class       string
	Language    string // upper case; "" when not given
}

// Drop is DROP [TEMPORARY] TABLE|VIEW|FUNCTION [IF EXISTS] name.
type Drop struct {
	node
	Object    string // TABLE, VIEW or FUNCTION
	Temporary bool
	IfExists  bool
	Name      *QName
}

// Show is SHOW TABLES (VIEWS, FUNCTIONS, ...) or SHOW CREATE TABLE|VIEW name.
type Show struct {
	node
	What string // upper case: TABLES, VIEWS, ..., CREATE TABLE, CREATE VIEW
	Name *QName // for SHOW CREATE
}

// Describe is DESCRIBE [EXTENDED] name (or DESC ...). EXTENDED shows
// the same as without it (as Flink's describe of a table).
type Describe struct {
	node
	Extended bool
	Name     *QName
}

// Explain is EXPLAIN [PLAN FOR | detail, ...] stmt.
type Explain struct {
	node
	PlanFor bool
	Details []string // upper case, e.g. CHANGELOG_MODE
	Stmt    Stmt
}

// Use is USE [CATALOG] name.
type Use struct {
	node
	Catalog bool
	Name    *QName
}

// Set is SET ['key' = 'value']; without a key it lists the properties.
type Set struct {
	node
	Key   *string
	Value *string
}

// Reset is RESET ['key'].
type Reset struct {
	node
	Key *string
}

// Insert is INSERT INTO|OVERWRITE table [PARTITION (...)] [(cols)] query.
type Insert struct {
	node
	Overwrite bool
	Table     *QName
	Hints     []*Hint
	Partition []*PartitionValue
	Columns   []*Ident
	Query     *Query
}

// PartitionValue is col = literal of a static INSERT partition.
type PartitionValue struct {
	node
	Column *Ident
	Value  Expr
}

// StatementSet is EXECUTE STATEMENT SET BEGIN ... END or BEGIN STATEMENT
// SET; ... END.
type StatementSet struct {
	node
	Execute bool // the EXECUTE STATEMENT SET BEGIN form
	Inserts []*Insert
}

// ---------------------------------------------------------------- queries

// Query is a full query expression: [WITH ...] body [ORDER BY] [LIMIT]
// [OFFSET]. FETCH FIRST n ROWS ONLY is read as LIMIT n.
type Query struct {
	node
	With    []*CTE
	Body    QueryBody
	OrderBy []*OrderItem
	Limit   Expr
	Offset  Expr
}

// CTE is name [(cols)] AS (query) of a WITH clause.
type CTE struct {
	node
	Name    *Ident
	Columns []*Ident
	Query   *Query
}

// SetOp is left UNION|INTERSECT|EXCEPT [ALL|DISTINCT] right.
type SetOp struct {
	node
	Op       string // UNION, INTERSECT, EXCEPT
	All      bool
	Distinct bool // DISTINCT written out
	Left     QueryBody
	Right    QueryBody
}

// Values is VALUES (row), (row) ...
type Values struct {
	node
	Rows [][]Expr
}

// Select is one SELECT block.
type Select struct {
	node
	Hints    []*Hint
	Distinct bool
	Items    []*SelectItem
	From     TableExpr // nil without FROM
	Where    Expr
	GroupBy  []Expr
	Having   Expr
	Windows  []*NamedWindow
}

// Hint is one hint of a /*+ ... */ comment after SELECT, after a table name
// in FROM or after the table of INSERT: NAME, NAME('k' = 'v', ...) (e.g.
// OPTIONS, STATE_TTL, LOOKUP) or NAME(a, b) (e.g. BROADCAST).
type Hint struct {
	node
	Name    *Ident
	Options []*Option
	Args    []*Ident
}

// SelectItem is expr [AS alias], * or t.*.
type SelectItem struct {
	node
	Expr  Expr // *Star for * and t.*
	Alias *Ident
}

// NamedWindow is name AS (spec) of a WINDOW clause.
type NamedWindow struct {
	node
	Name *Ident
	Spec *WindowSpec
}

// OrderItem is expr [ASC|DESC] [NULLS FIRST|LAST].
type OrderItem struct {
	node
	Expr       Expr
	Desc       bool
	Asc        bool   // ASC written out
	NullsOrder string // "", FIRST, LAST
}

// GroupingSet is GROUPING SETS (...), ROLLUP (...) or CUBE (...) in GROUP BY.
// An item is an expression, a *Row for a parenthesised list ((a, b) or ())
// or a nested *GroupingSet.
type GroupingSet struct {
	node
	Kind  string // GROUPING SETS, ROLLUP, CUBE
	Items []Expr
}

// Alias is [AS] name [(cols)] after a FROM item.
type Alias struct {
	node
	Name    *Ident
	Columns []*Ident
}

// TableName is a table or view in FROM, optionally with FOR SYSTEM_TIME AS
// OF expr (temporal / lookup join).
type TableName struct {
	node
	Name       *QName
	Hints      []*Hint
	SystemTime Expr
	Alias      *Alias
}

// DerivedTable is [LATERAL] (query) [AS] alias.
type DerivedTable struct {
	node
	Lateral bool
	Query   *Query
	Alias   *Alias
}

// TableFunc is TABLE(fn(...)) or LATERAL TABLE(fn(...)) in FROM, e.g. the
// window table functions TUMBLE, HOP, CUMULATE, SESSION.
type TableFunc struct {
	node
	Lateral bool
	Call    *FuncCall
	Alias   *Alias
}

// Unnest is UNNEST(expr, ...) [WITH ORDINALITY] [AS alias].
type Unnest struct {
	node
	Args           []Expr
	WithOrdinality bool
	Alias          *Alias
}

// Join is left [kind] JOIN right [ON cond | USING (cols)]; Kind "," is a
// comma join.
type Join struct {
	node
	Kind    string // ",", INNER, LEFT, RIGHT, FULL, CROSS
	Natural bool
	Inner   bool // INNER written out
	Outer   bool // OUTER written out
	Left    TableExpr
	Right   TableExpr
	On      Expr
	Using   []*Ident
}

// ParenTable is a parenthesised join in FROM: (a JOIN b ON ...).
type ParenTable struct {
	node
	Table TableExpr
}

// MatchRecognize is input MATCH_RECOGNIZE (...) [AS alias].
type MatchRecognize struct {
	node
	Input        TableExpr
	PartitionBy  []Expr
	OrderBy      []*OrderItem
	Measures     []*Measure
	RowsPerMatch string // "", ONE ROW PER MATCH, ALL ROWS PER MATCH
	AfterMatch   *AfterMatch
	Pattern      Pattern
	Within       Expr
	Subsets      []*Subset
	Define       []*Define
	Alias        *Alias
}

// Measure is [RUNNING|FINAL] expr AS alias of MEASURES.
type Measure struct {
	node
	Semantics string // "", RUNNING, FINAL
	Expr      Expr
	Alias     *Ident
}

// AfterMatch is AFTER MATCH SKIP ...
type AfterMatch struct {
	node
	Kind string // PAST LAST ROW, TO NEXT ROW, TO FIRST, TO LAST, TO
	Var  *Ident
}

// Subset is SUBSET name = (vars).
type Subset struct {
	node
	Name *Ident
	Vars []*Ident
}

// Define is var AS condition of DEFINE.
type Define struct {
	node
	Var  *Ident
	Cond Expr
}

// PatternAlt is p1 | p2 | ...
type PatternAlt struct {
	node
	Alts []Pattern
}

// PatternSeq is p1 p2 ... (concatenation).
type PatternSeq struct {
	node
	Items []Pattern
}

// PatternVar is a pattern variable.
type PatternVar struct {
	node
	Name *Ident
}

// PatternGroup is ( pattern ); an empty group has a nil Inner.
type PatternGroup struct {
	node
	Inner Pattern
}

// PatternQuant is a quantified pattern term: * + ? {n} {n,} {,m} {n,m},
// each optionally reluctant (followed by ?). Max -1 means unbounded.
type PatternQuant struct {
	node
	X         Pattern
	Min, Max  int
	Form      string // the quantifier as written canonically: *, +, ?, {n}, {n,}, {,m}, {n,m}
	Reluctant bool
}

// ---------------------------------------------------------------- windows

// WindowSpec is the ( ... ) of OVER or of a WINDOW clause.
type WindowSpec struct {
	node
	Base        *Ident // an existing window name at the start
	PartitionBy []Expr
	OrderBy     []*OrderItem
	Frame       *Frame
}

// Frame is ROWS|RANGE bound or ROWS|RANGE BETWEEN bound AND bound.
type Frame struct {
	node
	Unit  string // ROWS, RANGE
	Start *FrameBound
	End   *FrameBound // nil without BETWEEN
}

// FrameBound is UNBOUNDED PRECEDING|FOLLOWING, CURRENT ROW or expr
// PRECEDING|FOLLOWING.
type FrameBound struct {
	node
	Kind   string // UNBOUNDED PRECEDING, UNBOUNDED FOLLOWING, CURRENT ROW, PRECEDING, FOLLOWING
	Offset Expr
}

// ---------------------------------------------------------------- types

// DataType is a SQL type. Name is upper case (BIGINT, DECIMAL, TIMESTAMP,
// TIMESTAMP_LTZ, VARCHAR, ARRAY, MAP, ROW, or a user type name as written).
type DataType struct {
	node
	Name     string
	User     *QName   // a user-defined type name (Name is then "")
	Params   []string // precision, scale, length as written
	Elems    []*DataType
	Fields   []*RowField
	TimeZone string // "", WITH TIME ZONE, WITHOUT TIME ZONE, WITH LOCAL TIME ZONE
	From     string // INTERVAL types: first unit
	To       string // INTERVAL types: last unit
	NotNull  bool
	Null     bool // NULL written out
}

// RowField is one field of ROW<...>.
type RowField struct {
	node
	Name    *Ident
	Type    *DataType
	Comment *string
}

// ---------------------------------------------------------------- expressions

// ColumnRef is a column or a qualified column a.b.c (a field of a nested row
// is also written this way).
type ColumnRef struct {
	node
	Parts []*Ident
}

// Star is * or qualifier.* (in a select list or COUNT(*)).
type Star struct {
	node
	Qualifier []*Ident
}

// LitKind is the kind of a literal.
type LitKind uint8

// Kinds of Literal.
const (
	LitNumber LitKind = iota + 1
	LitString
	LitBool
	LitNull
)

// Literal is a number, 'string', TRUE, FALSE, UNKNOWN or NULL. Value is the
// number's text, the unescaped string, or the upper-case keyword.
type Literal struct {
	node
	Kind  LitKind
	Value string
}

// TypedLiteral is DATE '...', TIME '...', TIMESTAMP '...' or
// TIMESTAMP_LTZ '...'.
type TypedLiteral struct {
	node
	Type  string
	Value string
}

// IntervalLit is INTERVAL [-]'value' unit [TO unit].
type IntervalLit struct {
	node
	Negative bool
	Value    string
	From     string
	To       string
}

// Param is a ? placeholder.
type Param struct {
	node
	Index int // 1-based, in source order
}

// Binary is L op R for arithmetic (+ - * / %), || , comparison (= <> != <
// <= > >=), AND and OR. Op is upper case.
type Binary struct {
	node
	Op   string
	L, R Expr
}

// Unary is -X, +X or NOT X.
type Unary struct {
	node
	Op string
	X  Expr
}

// IsExpr is X IS [NOT] NULL|TRUE|FALSE|UNKNOWN|JSON [VALUE|SCALAR|ARRAY|OBJECT].
type IsExpr struct {
	node
	X    Expr
	Not  bool
	What string // e.g. NULL, JSON, JSON OBJECT
}

// IsDistinct is X IS [NOT] DISTINCT FROM Y.
type IsDistinct struct {
	node
	X, Y Expr
	Not  bool
}

// Between is X [NOT] BETWEEN [SYMMETRIC|ASYMMETRIC] Lo AND Hi.
type Between struct {
	node
	X, Lo, Hi Expr
	Not       bool
	Mode      string // "", SYMMETRIC, ASYMMETRIC
}

// InList is X [NOT] IN (e1, e2, ...).
type InList struct {
	node
	X    Expr
	Not  bool
	List []Expr
}

// InQuery is X [NOT] IN (query).
type InQuery struct {
	node
	X     Expr
	Not   bool
	Query *Query
}

// Like is X [NOT] LIKE|SIMILAR TO pattern [ESCAPE e].
type Like struct {
	node
	X       Expr
	Not     bool
	Similar bool
	Pattern Expr
	Escape  Expr
}

// Case is CASE [operand] WHEN ... THEN ... [ELSE ...] END.
type Case struct {
	node
	Operand Expr
	Whens   []*When
	Else    Expr
}

// When is WHEN cond THEN result.
type When struct {
	node
	Cond   Expr
	Result Expr
}

// Cast is CAST(X AS type) or TRY_CAST(X AS type).
type Cast struct {
	node
	Try  bool
	X    Expr
	Type *DataType
}

// Extract is EXTRACT(unit FROM X).
type Extract struct {
	node
	Unit string
	X    Expr
}

// Position is POSITION(Sub IN X).
type Position struct {
	node
	Sub, X Expr
}

// Trim is TRIM([BOTH|LEADING|TRAILING] [Chars] FROM X).
type Trim struct {
	node
	Side  string // "", BOTH, LEADING, TRAILING
	Chars Expr
	X     Expr
}

// Substring is SUBSTRING(X FROM Start [FOR Len]); the comma form is a
// plain FuncCall.
type Substring struct {
	node
	X, Start, Len Expr
}

// FloorCeil is FLOOR(X TO unit) or CEIL(X TO unit) on a time point; the
// one-argument forms are plain FuncCalls.
type FloorCeil struct {
	node
	Func string // FLOOR, CEIL or CEILING
	X    Expr
	Unit string
}

// Overlay is OVERLAY(X PLACING With FROM Start [FOR Len]).
type Overlay struct {
	node
	X, With, Start, Len Expr
}

// JSONCall is one of the SQL/JSON functions with their clauses:
// JSON_EXISTS, JSON_VALUE and JSON_QUERY (Args: value, path), JSON_OBJECT
// and JSON_OBJECTAGG ([KEY] Keys[i] VALUE Values[i]), JSON_ARRAY and
// JSON_ARRAYAGG (Args: the elements).
type JSONCall struct {
	node
	Func      string // upper case
	Args      []Expr
	Keys      []Expr
	Values    []Expr
	Returning *DataType
	Wrapper   string // JSON_QUERY: WITHOUT ARRAY WRAPPER, WITH CONDITIONAL ARRAY WRAPPER, ...
	OnNull    string // NULL or ABSENT (ON NULL)
	OnEmpty   *JSONBehavior
	OnError   *JSONBehavior
}

// JSONBehavior is what an ON EMPTY or ON ERROR clause asks for.
type JSONBehavior struct {
	node
	Kind    string // NULL, ERROR, TRUE, FALSE, UNKNOWN, EMPTY ARRAY, EMPTY OBJECT, DEFAULT
	Default Expr
}

// TimeUnit is a bare time unit argument (TIMESTAMPADD(SECOND, ...)).
type TimeUnit struct {
	node
	Unit string
}

// FuncCall is a function call, with the aggregate and window decorations.
type FuncCall struct {
	node
	Name     *QName
	NoParens bool // niladic CURRENT_TIMESTAMP etc. written without ()
	Distinct bool
	All      bool
	Args     []Expr
	// Nulls is "RESPECT" or "IGNORE" for RESPECT NULLS / IGNORE NULLS
	// written after the arguments (ARRAY_AGG), "" without.
	Nulls    string
	Filter   Expr
	Over     *WindowSpec
	OverName *Ident
}

// NamedArg is name => value in a call.
type NamedArg struct {
	node
	Name  *Ident
	Value Expr
}

// TableArg is TABLE name or TABLE (query), [PARTITION BY ...] [ORDER BY ...], as an argument of
// a table function (window TVFs).
type TableArg struct {
	node
	Name        *QName // or
	Query       *Query // TABLE (query)
	PartitionBy []Expr
	OrderBy     []*OrderItem
}

// Descriptor is DESCRIPTOR(col, ...).
type Descriptor struct {
	node
	Columns []*Ident
}

// Subquery is a scalar subquery (query).
type Subquery struct {
	node
	Query *Query
}

// Exists is EXISTS (query).
type Exists struct {
	node
	Query *Query
}

// ArrayCtor is ARRAY[e, ...].
type ArrayCtor struct {
	node
	Elems []Expr
}

// MapCtor is MAP[k, v, ...].
type MapCtor struct {
	node
	Elems []Expr
}

// Row is ROW(e, ...) (Explicit) or a parenthesised list (e1, e2, ...).
type Row struct {
	node
	Explicit bool
	Elems    []Expr
}

// Index is X[I].
type Index struct {
	node
	X, I Expr
}

// FieldAccess is X.Field where X is not a plain column reference (f(x).a,
// a[1].b).
type FieldAccess struct {
	node
	X     Expr
	Field *Ident
}

func (*QueryStmt) stmt()      {}
func (*CreateTable) stmt()    {}
func (*CreateView) stmt()     {}
func (*CreateFunction) stmt() {}
func (*Drop) stmt()           {}
func (*Show) stmt()           {}
func (*Describe) stmt()       {}
func (*Explain) stmt()        {}
func (*Use) stmt()            {}
func (*Set) stmt()            {}
func (*Reset) stmt()          {}
func (*Insert) stmt()         {}
func (*StatementSet) stmt()   {}

func (*Select) queryBody() {}
func (*SetOp) queryBody()  {}
func (*Values) queryBody() {}
func (*Query) queryBody()  {}

func (*TableName) tableExpr()      {}
func (*DerivedTable) tableExpr()   {}
func (*TableFunc) tableExpr()      {}
func (*Unnest) tableExpr()         {}
func (*Join) tableExpr()           {}
func (*ParenTable) tableExpr()     {}
func (*MatchRecognize) tableExpr() {}

func (*PatternAlt) pattern()   {}
func (*PatternSeq) pattern()   {}
func (*PatternVar) pattern()   {}
func (*PatternGroup) pattern() {}
func (*PatternQuant) pattern() {}

func (*ColumnRef) expr()    {}
func (*Star) expr()         {}
func (*Literal) expr()      {}
func (*TypedLiteral) expr() {}
func (*IntervalLit) expr()  {}
func (*Param) expr()        {}
func (*Binary) expr()       {}
func (*Unary) expr()        {}
func (*IsExpr) expr()       {}
func (*IsDistinct) expr()   {}
func (*Between) expr()      {}
func (*InList) expr()       {}
func (*InQuery) expr()      {}
func (*Like) expr()         {}
func (*Case) expr()         {}
func (*Cast) expr()         {}
func (*Extract) expr()      {}
func (*Position) expr()     {}
func (*Trim) expr()         {}
func (*Substring) expr()    {}
func (*TimeUnit) expr()     {}
func (*FloorCeil) expr()    {}
func (*Overlay) expr()      {}
func (*JSONCall) expr()     {}
func (*FuncCall) expr()     {}
func (*NamedArg) expr()     {}
func (*TableArg) expr()     {}
func (*Descriptor) expr()   {}
func (*Subquery) expr()     {}
func (*Exists) expr()       {}
func (*ArrayCtor) expr()    {}
func (*MapCtor) expr()      {}
func (*Row) expr()          {}
func (*Index) expr()        {}
func (*FieldAccess) expr()  {}
func (*GroupingSet) expr()  {}
